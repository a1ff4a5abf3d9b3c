// The timer globals, as Node has them: `setTimeout`/`setInterval` return a `Timeout`,
// `setImmediate` an `Immediate`, each with `ref`/`unref`/`hasRef` (and `refresh` and
// `close` for timeouts) and converting to its numeric id; the clears take either.
(function (add, clear, setRef, refresh, queueMicrotaskNative) {
  "use strict";
  const idOf = (t) => (t !== null && typeof t === "object" ? +t : t);
  // What Node's timer handles share: ref/unref/hasRef and their numeric id.
  class Handle {
    #id;
    #ref = true;
    constructor(id) {
      this.#id = id;
    }
    ref() {
      this.#ref = true;
      setRef(this.#id, true);
      return this;
    }
    unref() {
      this.#ref = false;
      setRef(this.#id, false);
      return this;
    }
    hasRef() {
      return this.#ref;
    }
    [Symbol.toPrimitive]() {
      return this.#id;
    }
  }
  class Timeout extends Handle {
    refresh() {
      refresh(+this);
      return this;
    }
    close() {
      clear(+this);
      return this;
    }
  }
  class Immediate extends Handle {}
  const define = (name, value) =>
    Object.defineProperty(globalThis, name, { value, writable: true, enumerable: true, configurable: true });
  define("setTimeout", function setTimeout(callback, delay, ...args) {
    return new Timeout(add(callback, delay, args, 0));
  });
  define("setInterval", function setInterval(callback, delay, ...args) {
    return new Timeout(add(callback, delay, args, 1));
  });
  define("setImmediate", function setImmediate(callback, ...args) {
    return new Immediate(add(callback, 0, args, 2));
  });
  define("clearTimeout", function clearTimeout(timer) {
    clear(idOf(timer));
  });
  define("clearInterval", function clearInterval(timer) {
    clear(idOf(timer));
  });
  define("clearImmediate", function clearImmediate(timer) {
    clear(idOf(timer));
  });
  define("queueMicrotask", function queueMicrotask(callback) {
    queueMicrotaskNative(callback);
  });
})

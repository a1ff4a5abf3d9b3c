// `EventTarget`, `Event`, `AbortController` and `AbortSignal` (with `abort`, `timeout` and
// `any`), as Node 20 has them. `AbortSignal.timeout`'s timer is unreferenced, so it never
// keeps a call open.
(function (natives, require, internal) {
  "use strict";
  const abortError = (message = "This operation was aborted") => {
    const e = new Error(message);
    e.name = "AbortError";
    e.code = 20;
    return e;
  };
  let setTarget;
  class Event {
    #type;
    #target = null;
    #defaultPrevented = false;
    #cancelable;
    constructor(type, options = {}) {
      if (arguments.length === 0) throw new TypeError('The "type" argument must be specified');
      this.#type = String(type);
      this.#cancelable = Boolean(options && options.cancelable);
      this.timeStamp = Date.now();
    }
    get type() {
      return this.#type;
    }
    get target() {
      return this.#target;
    }
    get currentTarget() {
      return this.#target;
    }
    get defaultPrevented() {
      return this.#defaultPrevented;
    }
    get cancelable() {
      return this.#cancelable;
    }
    preventDefault() {
      if (this.#cancelable) this.#defaultPrevented = true;
    }
    stopPropagation() {}
    stopImmediatePropagation() {}
    static {
      setTarget = (event, target) => {
        event.#target = target;
      };
    }
  }

  class EventTarget {
    #listeners = new Map();
    addEventListener(type, listener, options = {}) {
      if (listener === null || listener === undefined) return;
      const once = typeof options === "object" && options !== null && Boolean(options.once);
      const list = this.#listeners.get(type) || [];
      if (list.some((l) => l.listener === listener)) return;
      list.push({ listener, once });
      this.#listeners.set(type, list);
      const signal = typeof options === "object" && options !== null ? options.signal : undefined;
      if (signal) signal.addEventListener("abort", () => this.removeEventListener(type, listener), { once: true });
    }
    removeEventListener(type, listener) {
      const list = this.#listeners.get(type);
      if (list) this.#listeners.set(type, list.filter((l) => l.listener !== listener));
    }
    dispatchEvent(event) {
      if (!(event instanceof Event)) throw new TypeError('The "event" argument must be an instance of Event.');
      setTarget(event, this);
      const handler = this[`on${event.type}`];
      const list = (this.#listeners.get(event.type) || []).slice();
      if (typeof handler === "function") list.unshift({ listener: handler, once: false });
      for (const { listener, once } of list) {
        if (once) this.removeEventListener(event.type, listener);
        if (typeof listener === "function") listener.call(this, event);
        else if (listener && typeof listener.handleEvent === "function") listener.handleEvent(event);
      }
      return !event.defaultPrevented;
    }
  }

  let signalParts;
  class AbortSignal extends EventTarget {
    #aborted = false;
    #reason = undefined;
    constructor(key) {
      if (key !== signalParts) throw new TypeError("Illegal constructor");
      super();
    }
    static {
      signalParts = {
        abort: (signal, reason) => {
          if (signal.#aborted) return;
          signal.#aborted = true;
          signal.#reason = reason === undefined ? abortError() : reason;
          signal.dispatchEvent(new Event("abort"));
        },
      };
    }
    get aborted() {
      return this.#aborted;
    }
    get reason() {
      return this.#reason;
    }
    throwIfAborted() {
      if (this.#aborted) throw this.#reason;
    }
    static abort(reason) {
      const s = new AbortSignal(signalParts);
      signalParts.abort(s, reason);
      return s;
    }
    static timeout(ms) {
      const s = new AbortSignal(signalParts);
      setTimeout(() => {
        const e = new Error("The operation was aborted due to timeout");
        e.name = "TimeoutError";
        e.code = 23;
        signalParts.abort(s, e);
      }, ms).unref();
      return s;
    }
    static any(signals) {
      const s = new AbortSignal(signalParts);
      for (const other of signals) {
        if (other.aborted) {
          signalParts.abort(s, other.reason);
          return s;
        }
      }
      for (const other of signals) other.addEventListener("abort", () => signalParts.abort(s, other.reason), { once: true });
      return s;
    }
    get [Symbol.toStringTag]() {
      return "AbortSignal";
    }
  }
  class AbortController {
    #signal = new AbortSignal(signalParts);
    get signal() {
      return this.#signal;
    }
    abort(reason) {
      signalParts.abort(this.#signal, reason);
    }
    get [Symbol.toStringTag]() {
      return "AbortController";
    }
  }
  return { Event, EventTarget, AbortController, AbortSignal, abortError };
})

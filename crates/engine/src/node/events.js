// `events`: Node's EventEmitter (listeners, once, prepend, error events, max listeners
// warning), `once` as a promise, and `EventEmitter.defaultMaxListeners`.
(function (natives, require, internal) {
  "use strict";
  // Node lets code change this default; on writ the change lasts until the call ends.
  let defaultMaxListeners = 10;
  let setInCall = -1;
  const currentDefault = () => (setInCall === natives.epoch() ? defaultMaxListeners : 10);
  const kCapture = Symbol("kCapture");
  function checkListener(listener) {
    if (typeof listener !== "function") {
      const e = new TypeError(`The "listener" argument must be of type function. Received ${listener === null ? "null" : typeof listener}`);
      e.code = "ERR_INVALID_ARG_TYPE";
      throw e;
    }
  }
  function EventEmitter(opts) {
    EventEmitter.init.call(this, opts);
  }
  EventEmitter.init = function () {
    if (this._events === undefined || this._events === Object.getPrototypeOf(this)._events) {
      this._events = Object.create(null);
      this._eventsCount = 0;
    }
    this._maxListeners = this._maxListeners || undefined;
  };
  Object.defineProperty(EventEmitter, "defaultMaxListeners", {
    enumerable: true,
    get() {
      return currentDefault();
    },
    set(n) {
      if (typeof n !== "number" || n < 0 || Number.isNaN(n)) {
        throw new RangeError(`The value of "defaultMaxListeners" is out of range. It must be a non-negative number. Received ${n}`);
      }
      defaultMaxListeners = n;
      setInCall = natives.epoch();
    },
  });
  const proto = EventEmitter.prototype;
  const events = (self) => {
    if (self._events === undefined) {
      self._events = Object.create(null);
      self._eventsCount = 0;
    }
    return self._events;
  };
  proto.setMaxListeners = function setMaxListeners(n) {
    if (typeof n !== "number" || n < 0 || Number.isNaN(n)) {
      throw new RangeError(`The value of "n" is out of range. It must be a non-negative number. Received ${n}`);
    }
    this._maxListeners = n;
    return this;
  };
  proto.getMaxListeners = function getMaxListeners() {
    return this._maxListeners === undefined ? currentDefault() : this._maxListeners;
  };
  proto.emit = function emit(type, ...args) {
    const list = events(this)[type];
    if (type === "error" && list === undefined) {
      const er = args[0];
      if (er instanceof Error) throw er;
      const err = new Error(`Unhandled error. (${er === undefined ? "undefined" : String(er)})`);
      err.code = "ERR_UNHANDLED_ERROR";
      err.context = er;
      throw err;
    }
    if (list === undefined) return false;
    if (typeof list === "function") {
      Reflect.apply(list, this, args);
    } else {
      for (const listener of list.slice()) Reflect.apply(listener, this, args);
    }
    return true;
  };
  function addListener(target, type, listener, prepend) {
    checkListener(listener);
    const evts = events(target);
    if (evts.newListener !== undefined) {
      target.emit("newListener", type, listener.listener ? listener.listener : listener);
    }
    const existing = evts[type];
    if (existing === undefined) {
      evts[type] = listener;
      ++target._eventsCount;
    } else {
      const list = typeof existing === "function" ? [existing] : existing;
      if (prepend) list.unshift(listener);
      else list.push(listener);
      evts[type] = list;
      const m = target.getMaxListeners();
      if (m > 0 && list.length > m && !list.warned) {
        list.warned = true;
        console.warn(
          `MaxListenersExceededWarning: Possible EventEmitter memory leak detected. ${list.length} ${String(type)} listeners added to ${target.constructor.name}. Use emitter.setMaxListeners() to increase limit`,
        );
      }
    }
    return target;
  }
  proto.addListener = function addListener_(type, listener) {
    return addListener(this, type, listener, false);
  };
  proto.on = proto.addListener;
  proto.prependListener = function prependListener(type, listener) {
    return addListener(this, type, listener, true);
  };
  function onceWrapper(target, type, listener) {
    const state = { fired: false, target, type, listener };
    function wrapped(...args) {
      if (!state.fired) {
        state.target.removeListener(state.type, wrapped);
        state.fired = true;
        return Reflect.apply(state.listener, state.target, args);
      }
    }
    wrapped.listener = listener;
    return wrapped;
  }
  proto.once = function once(type, listener) {
    checkListener(listener);
    this.on(type, onceWrapper(this, type, listener));
    return this;
  };
  proto.prependOnceListener = function prependOnceListener(type, listener) {
    checkListener(listener);
    this.prependListener(type, onceWrapper(this, type, listener));
    return this;
  };
  proto.removeListener = function removeListener(type, listener) {
    checkListener(listener);
    const evts = events(this);
    const list = evts[type];
    if (list === undefined) return this;
    if (list === listener || list.listener === listener) {
      if (--this._eventsCount === 0) this._events = Object.create(null);
      else delete evts[type];
      if (evts.removeListener) this.emit("removeListener", type, list.listener || listener);
    } else if (typeof list !== "function") {
      let position = -1;
      for (let i = list.length - 1; i >= 0; i--) {
        if (list[i] === listener || list[i].listener === listener) {
          position = i;
          break;
        }
      }
      if (position < 0) return this;
      list.splice(position, 1);
      if (list.length === 1) evts[type] = list[0];
      if (evts.removeListener !== undefined) this.emit("removeListener", type, listener);
    }
    return this;
  };
  proto.off = proto.removeListener;
  proto.removeAllListeners = function removeAllListeners(type) {
    const evts = events(this);
    if (type === undefined) {
      for (const key of Reflect.ownKeys(evts)) {
        if (key !== "removeListener") this.removeAllListeners(key);
      }
      this.removeAllListeners("removeListener");
      this._events = Object.create(null);
      this._eventsCount = 0;
      return this;
    }
    const listeners = evts[type];
    if (typeof listeners === "function") {
      this.removeListener(type, listeners);
    } else if (listeners !== undefined) {
      for (let i = listeners.length - 1; i >= 0; i--) this.removeListener(type, listeners[i]);
    }
    return this;
  };
  proto.listeners = function listeners(type) {
    const list = events(this)[type];
    if (list === undefined) return [];
    if (typeof list === "function") return [list.listener || list];
    return list.map((l) => l.listener || l);
  };
  proto.rawListeners = function rawListeners(type) {
    const list = events(this)[type];
    if (list === undefined) return [];
    return typeof list === "function" ? [list] : list.slice();
  };
  proto.listenerCount = function listenerCount(type) {
    const list = events(this)[type];
    if (list === undefined) return 0;
    return typeof list === "function" ? 1 : list.length;
  };
  proto.eventNames = function eventNames() {
    return this._eventsCount > 0 ? Reflect.ownKeys(this._events) : [];
  };
  EventEmitter.listenerCount = (emitter, type) => emitter.listenerCount(type);
  EventEmitter.once = function once(emitter, name) {
    return new Promise((resolve, reject) => {
      const errorListener = (err) => {
        emitter.removeListener(name, resolver);
        reject(err);
      };
      const resolver = (...args) => {
        if (name !== "error") emitter.removeListener("error", errorListener);
        resolve(args);
      };
      emitter.once(name, resolver);
      if (name !== "error") emitter.once("error", errorListener);
    });
  };
  EventEmitter.EventEmitter = EventEmitter;
  EventEmitter.captureRejectionSymbol = Symbol.for("nodejs.rejection");
  EventEmitter.errorMonitor = Symbol("events.errorMonitor");
  EventEmitter[kCapture] = false;
  internal.subclassable(proto);
  return EventEmitter;
})

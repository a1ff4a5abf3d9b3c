// `diagnostics_channel` as Node 20 has it: named channels with subscribers, and tracing
// channels (start, end, asyncStart, asyncEnd, error) around sync, promise and callback
// functions. Database clients (mysql2, node-redis, ioredis) publish on them when the module
// offers `tracingChannel`. The module is shared by a worker's calls and frozen, so the named
// channels are the running call's own: a call never sees another's channels or subscribers.
(function (natives, require, internal) {
  "use strict";
  const { codeError } = internal;
  const typeName = (v) => (v === null ? "null" : typeof v === "object" ? `an instance of ${v.constructor ? v.constructor.name : "Object"}` : `type ${typeof v} (${String(v)})`);
  const checkFunction = (fn, name) => {
    if (typeof fn !== "function") throw codeError(TypeError, "ERR_INVALID_ARG_TYPE", `The "${name}" argument must be of type function. Received ${typeName(fn)}`);
  };
  // An exception in a subscriber does not stop the others: it is thrown again on its own.
  const rethrow = (err) =>
    require("process").nextTick(() => {
      throw err;
    });

  class Channel {
    constructor(name) {
      this._subscribers = [];
      this._stores = new Map();
      this.name = name;
    }
    get hasSubscribers() {
      return this._subscribers.length > 0 || this._stores.size > 0;
    }
    subscribe(subscription) {
      checkFunction(subscription, "subscription");
      this._subscribers = [...this._subscribers, subscription];
    }
    unsubscribe(subscription) {
      const i = this._subscribers.indexOf(subscription);
      if (i === -1) return false;
      this._subscribers = this._subscribers.filter((_, j) => j !== i);
      return true;
    }
    bindStore(store, transform) {
      this._stores.set(store, transform);
    }
    unbindStore(store) {
      return this._stores.delete(store);
    }
    publish(data) {
      for (const subscriber of this._subscribers) {
        try {
          subscriber(data, this.name);
        } catch (err) {
          rethrow(err);
        }
      }
    }
    runStores(data, fn, thisArg, ...args) {
      let run = () => {
        this.publish(data);
        return Reflect.apply(fn, thisArg, args);
      };
      for (const [store, transform] of this._stores) {
        const next = run;
        run = () => store.run(transform === undefined ? data : transform(data), next);
      }
      return run();
    }
  }

  let channels = new Map();
  let channelsCall = -1;
  const current = () => {
    const call = natives.epoch();
    if (call !== channelsCall) {
      channels = new Map();
      channelsCall = call;
    }
    return channels;
  };
  function channel(name) {
    const channels = current();
    if (typeof name !== "string" && typeof name !== "symbol") {
      throw codeError(TypeError, "ERR_INVALID_ARG_TYPE", `The "channel" argument must be one of type string or symbol. Received ${typeName(name)}`);
    }
    let c = channels.get(name);
    if (c === undefined) {
      c = new Channel(name);
      channels.set(name, c);
    }
    return c;
  }
  const hasSubscribers = (name) => current().has(name) && current().get(name).hasSubscribers;
  const subscribe = (name, subscription) => channel(name).subscribe(subscription);
  const unsubscribe = (name, subscription) => channel(name).unsubscribe(subscription);

  const EVENTS = ["start", "end", "asyncStart", "asyncEnd", "error"];
  class TracingChannel {
    constructor(nameOrChannels) {
      for (const event of EVENTS) {
        let c;
        if (typeof nameOrChannels === "string") {
          c = channel(`tracing:${nameOrChannels}:${event}`);
        } else if (typeof nameOrChannels === "object" && nameOrChannels !== null) {
          c = nameOrChannels[event];
          if (!(c instanceof Channel)) {
            throw codeError(TypeError, "ERR_INVALID_ARG_TYPE", `The "nameOrChannels.${event}" property must be an instance of Channel. Received ${typeName(c)}`);
          }
        } else {
          throw codeError(TypeError, "ERR_INVALID_ARG_TYPE", `The "nameOrChannels" argument must be of type string or an instance of TracingChannel or Object. Received ${typeName(nameOrChannels)}`);
        }
        Object.defineProperty(this, event, { value: c, writable: false, enumerable: false, configurable: true });
      }
    }
    get hasSubscribers() {
      return EVENTS.some((e) => this[e].hasSubscribers);
    }
    subscribe(handlers) {
      for (const e of EVENTS) if (handlers[e]) this[e].subscribe(handlers[e]);
    }
    unsubscribe(handlers) {
      let done = true;
      for (const e of EVENTS) if (handlers[e] && !this[e].unsubscribe(handlers[e])) done = false;
      return done;
    }
    traceSync(fn, context = {}, thisArg, ...args) {
      return traced(this, context, () => {
        const result = Reflect.apply(fn, thisArg, args);
        context.result = result;
        return result;
      });
    }
    tracePromise(fn, context = {}, thisArg, ...args) {
      const { asyncStart, asyncEnd, error } = this;
      const settled = (key, value) => {
        context[key] = value;
        if (key === "error") error.publish(context);
        asyncStart.publish(context);
        asyncEnd.publish(context);
      };
      return traced(this, context, () => {
        let promise = Reflect.apply(fn, thisArg, args);
        if (!(promise instanceof Promise)) promise = Promise.resolve(promise);
        return promise.then(
          (result) => {
            settled("result", result);
            return result;
          },
          (err) => {
            settled("error", err);
            return Promise.reject(err);
          },
        );
      });
    }
    traceCallback(fn, position = -1, context = {}, thisArg, ...args) {
      const { asyncStart, asyncEnd, error } = this;
      const callback = args.at(position);
      checkFunction(callback, "callback");
      function wrapped(err, res) {
        if (err) {
          context.error = err;
          error.publish(context);
        } else {
          context.result = res;
        }
        const self = this;
        const given = arguments;
        return asyncStart.runStores(context, () => {
          try {
            return Reflect.apply(callback, self, given);
          } finally {
            asyncEnd.publish(context);
          }
        });
      }
      args.splice(position, 1, wrapped);
      return traced(this, context, () => Reflect.apply(fn, thisArg, args));
    }
  }
  // `run` inside the start channel's stores: a throw is published on `error`, `end` always.
  function traced(tracing, context, run) {
    const { start, end, error } = tracing;
    return start.runStores(context, () => {
      try {
        return run();
      } catch (err) {
        context.error = err;
        error.publish(context);
        throw err;
      } finally {
        end.publish(context);
      }
    });
  }
  const tracingChannel = (nameOrChannels) => new TracingChannel(nameOrChannels);

  return { channel, hasSubscribers, subscribe, tracingChannel, unsubscribe, Channel };
})

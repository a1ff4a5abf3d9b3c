// Helpers the built-in modules share, and the lazy registry that creates each built-in
// module on its first use (frozen at once, as lockdown froze the intrinsics). Never reachable
// from function code.
(function (natives) {
  "use strict";
  const { defineProperty, getOwnPropertyDescriptor } = Object;
  const hasOwn = Object.prototype.hasOwnProperty;
  // SES's enablement: a built-in's data property becomes an accessor whose setter defines the
  // property on the assigning object, so freezing the built-in does not break code that sets
  // the name on objects inheriting it (the "override mistake"). Lockdown uses it too.
  function enable(proto, name) {
    const desc = getOwnPropertyDescriptor(proto, name);
    if (!desc || !("value" in desc)) return;
    const value = desc.value;
    defineProperty(proto, name, {
      get() {
        return value;
      },
      set(next) {
        if (this === proto) {
          throw new TypeError(`Cannot assign to read only property '${String(name)}' of a built-in prototype`);
        }
        if (hasOwn.call(this, name)) {
          this[name] = next;
        } else {
          defineProperty(this, name, { value: next, writable: true, enumerable: true, configurable: true });
        }
      },
      enumerable: desc.enumerable,
      configurable: false,
    });
  }
  const codeError = (Ctor, code, message) => {
    const e = new Ctor(message);
    e.code = code;
    return e;
  };
  // A member writ does not offer: reading it works (so packages that destructure their
  // imports still load), using it throws an error naming it.
  function missing(label, why) {
    const message = `${label} is not supported by writ${why ? `: ${why}` : " yet"}`;
    const fail = () => {
      throw codeError(Error, "ERR_NOT_SUPPORTED_BY_WRIT", message);
    };
    const target = function () {};
    return new Proxy(target, {
      apply: fail,
      construct: fail,
      get(t, key) {
        if (key === Symbol.hasInstance) return () => false;
        if (key === "prototype") return t.prototype;
        if (typeof key === "symbol" || key === "then") return undefined;
        return fail();
      },
    });
  }
  // A module writ does not have yet, as `require` returns it: loading works (packages that
  // import it but never use it on the paths a function takes keep working); every member is
  // a `missing` value that throws naming itself when used. `known` holds real plain data
  // members (constants) to serve instead.
  function stubModule(name, why, known = {}) {
    const cache = new Map();
    return new Proxy(Object.freeze({ ...known }), {
      get(target, key) {
        if (typeof key === "symbol") return undefined;
        if (hasOwn.call(target, key)) return target[key];
        if (key === "__esModule" || key === "then" || key === "default") return undefined;
        if (!cache.has(key)) cache.set(key, missing(`${name}.${key}`, why));
        return cache.get(key);
      },
      has(target, key) {
        return typeof key === "string";
      },
      set() {
        throw codeError(Error, "ERR_NOT_SUPPORTED_BY_WRIT", `${name} is not supported by writ yet`);
      },
    });
  }
  function unsupported(target, module, names, why) {
    for (const name of names) {
      Object.defineProperty(target, name, { value: missing(`${module}.${name}`, why), writable: false, enumerable: false, configurable: false });
    }
  }
  // Prototypes whose methods code commonly replaces on its own subclasses
  // (`Sub.prototype.write = ...`): every method gets the enablement, `constructor` too, which
  // TypeScript's and CoffeeScript's `extends` helpers set with `this.constructor = Sub` on an
  // object inheriting the prototype (xml2js's Parser extends EventEmitter so).
  function subclassable(proto) {
    for (const name of Reflect.ownKeys(proto)) {
      if (typeof getOwnPropertyDescriptor(proto, name).value === "function") enable(proto, name);
    }
  }
  function structuredClone(value, options) {
    const seen = new Map();
    const fail = (what) => {
      const e = new Error(`${what} could not be cloned.`);
      e.name = "DataCloneError";
      e.code = 25;
      return e;
    };
    function clone(v) {
      if (typeof v === "function") throw fail(`${v.name ? `function ${v.name}` : "function"}() {}`);
      if (typeof v === "symbol") throw fail(v.toString());
      if (v === null || typeof v !== "object") return v;
      if (seen.has(v)) return seen.get(v);
      let out;
      if (Array.isArray(v)) {
        out = new Array(v.length);
        seen.set(v, out);
        for (const k of Object.keys(v)) out[k] = clone(v[k]);
        return out;
      }
      if (v instanceof Date) out = new Date(v.getTime());
      else if (v instanceof RegExp) out = new RegExp(v.source, v.flags);
      else if (v instanceof ArrayBuffer) out = v.slice(0);
      else if (ArrayBuffer.isView(v)) {
        const buffer = clone(v.buffer);
        const Ctor = v instanceof DataView ? DataView : Object.getPrototypeOf(Object.getPrototypeOf(v)) === Object.getPrototypeOf(Int8Array.prototype) ? Object.getPrototypeOf(v).constructor : Uint8Array;
        const Plain = [Int8Array, Uint8Array, Uint8ClampedArray, Int16Array, Uint16Array, Int32Array, Uint32Array, Float32Array, Float64Array, BigInt64Array, BigUint64Array, DataView].find((C) => v instanceof C) || Ctor;
        out = Plain === DataView ? new DataView(buffer, v.byteOffset, v.byteLength) : new Plain(buffer, v.byteOffset, v.length);
      } else if (v instanceof Map) {
        out = new Map();
        seen.set(v, out);
        for (const [k, x] of v) out.set(clone(k), clone(x));
        return out;
      } else if (v instanceof Set) {
        out = new Set();
        seen.set(v, out);
        for (const x of v) out.add(clone(x));
        return out;
      } else if (v instanceof Error) {
        const names = ["EvalError", "RangeError", "ReferenceError", "SyntaxError", "TypeError", "URIError"];
        const Ctor = names.includes(v.name) ? globalThis[v.name] : Error;
        out = new Ctor(v.message);
        if ("stack" in v) Object.defineProperty(out, "stack", { value: v.stack, writable: true, configurable: true });
        if ("cause" in v) out.cause = clone(v.cause);
      } else if (v instanceof Boolean || v instanceof Number || v instanceof String) {
        out = Object(v.valueOf());
      } else if (v instanceof Promise || v instanceof WeakMap || v instanceof WeakSet) {
        throw fail(`#<${Object.prototype.toString.call(v).slice(8, -1)}>`);
      } else {
        out = {};
        seen.set(v, out);
        for (const k of Object.keys(v)) out[k] = clone(v[k]);
        return out;
      }
      seen.set(v, out);
      return out;
    }
    if (arguments.length === 0) throw new TypeError("The \"value\" argument must be specified");
    if (options && options.transfer && options.transfer.length) throw fail("transfer lists");
    return clone(value);
  }
  // Node modules writ does not have (yet, or ever): `require` gives a stub (see `stubModule`)
  // with the plain data members that are real.
  const STATUS_CODES = {"100":"Continue","101":"Switching Protocols","102":"Processing","103":"Early Hints","200":"OK","201":"Created","202":"Accepted","203":"Non-Authoritative Information","204":"No Content","205":"Reset Content","206":"Partial Content","207":"Multi-Status","208":"Already Reported","226":"IM Used","300":"Multiple Choices","301":"Moved Permanently","302":"Found","303":"See Other","304":"Not Modified","305":"Use Proxy","307":"Temporary Redirect","308":"Permanent Redirect","400":"Bad Request","401":"Unauthorized","402":"Payment Required","403":"Forbidden","404":"Not Found","405":"Method Not Allowed","406":"Not Acceptable","407":"Proxy Authentication Required","408":"Request Timeout","409":"Conflict","410":"Gone","411":"Length Required","412":"Precondition Failed","413":"Payload Too Large","414":"URI Too Long","415":"Unsupported Media Type","416":"Range Not Satisfiable","417":"Expectation Failed","418":"I'm a Teapot","421":"Misdirected Request","422":"Unprocessable Entity","423":"Locked","424":"Failed Dependency","425":"Too Early","426":"Upgrade Required","428":"Precondition Required","429":"Too Many Requests","431":"Request Header Fields Too Large","451":"Unavailable For Legal Reasons","500":"Internal Server Error","501":"Not Implemented","502":"Bad Gateway","503":"Service Unavailable","504":"Gateway Timeout","505":"HTTP Version Not Supported","506":"Variant Also Negotiates","507":"Insufficient Storage","508":"Loop Detected","509":"Bandwidth Limit Exceeded","510":"Not Extended","511":"Network Authentication Required"};
  const METHODS = ["ACL","BIND","CHECKOUT","CONNECT","COPY","DELETE","GET","HEAD","LINK","LOCK","M-SEARCH","MERGE","MKACTIVITY","MKCALENDAR","MKCOL","MOVE","NOTIFY","OPTIONS","PATCH","POST","PROPFIND","PROPPATCH","PURGE","PUT","QUERY","REBIND","REPORT","SEARCH","SOURCE","SUBSCRIBE","TRACE","UNBIND","UNLINK","UNLOCK","UNSUBSCRIBE"];
  // The plain data members that are real in otherwise missing modules.
  const known = {};
  const notYet = new Set(natives.notYet());
  const NOT_YET = "writ does not support this Node module yet";
  const never = new Set(natives.never());
  const NEVER = "it is not available to functions (App Services did not offer it either)";

  // The built-in modules, created on first use. `natives.source(name)` evaluates a module's
  // file (null for a name that is not a built-in); the result is frozen before anyone sees it.
  const aliases = { "stream/promises": ["stream", "promises"], http: ["internal/http", "http"], https: ["internal/http", "https"], http2: ["internal/http", "http2"], net: ["internal/net", "net"], tls: ["internal/net", "tls"], "dns/promises": ["dns", "promises"], "fs/promises": ["fs", "promises"], tty: ["internal/small", "tty"], perf_hooks: ["internal/small", "perf_hooks"], console: ["internal/small", "console"], "util/types": ["util", "types"], "path/posix": ["path"], sys: ["util"], "assert/strict": ["assert", "strict"], "timers/promises": ["timers", "promises"] };
  const builtins = Object.create(null);
  function require(name) {
    if (name in builtins) return builtins[name];
    if (hasOwn.call(aliases, name)) {
      const [module, member] = aliases[name];
      const m = require(module);
      return member === undefined ? m : m[member];
    }
    const factory = natives.source(name);
    if (factory === null) {
      // Packages often import a module at the top for a path a function never takes
      // (nodemailer's sendmail transport and child_process): the module loads, and using any
      // of it throws an error naming it.
      if (never.has(name)) builtins[name] = stubModule(name, NEVER, known[name]);
      else if (notYet.has(name)) builtins[name] = stubModule(name, NOT_YET, known[name]);
      else return undefined;
      return builtins[name];
    }
    const exports = factory(natives, require, internal);
    natives.freeze(exports);
    builtins[name] = exports;
    return exports;
  }
  // Annex B's `escape`/`unescape`, which Boa leaves out and older packages still call.
  const hex = (n, width) => n.toString(16).toUpperCase().padStart(width, "0");
  function escape(string) {
    const s = String(string);
    let out = "";
    for (let i = 0; i < s.length; i++) {
      const c = s.charCodeAt(i);
      if (/[A-Za-z0-9@*_+\-./]/.test(s[i])) out += s[i];
      else if (c < 256) out += "%" + hex(c, 2);
      else out += "%u" + hex(c, 4);
    }
    return out;
  }
  function unescape(string) {
    const s = String(string);
    let out = "";
    for (let i = 0; i < s.length; i++) {
      if (s[i] === "%") {
        if (/^u[0-9a-fA-F]{4}$/.test(s.slice(i + 1, i + 6))) {
          out += String.fromCharCode(parseInt(s.slice(i + 2, i + 6), 16));
          i += 5;
          continue;
        }
        if (/^[0-9a-fA-F]{2}$/.test(s.slice(i + 1, i + 3))) {
          out += String.fromCharCode(parseInt(s.slice(i + 1, i + 3), 16));
          i += 2;
          continue;
        }
      }
      out += s[i];
    }
    return out;
  }
  // Node's globals, each created with its module the first time code reads it.
  function installGlobals() {
    const lazy = {
      Buffer: () => require("buffer").Buffer,
      URL: () => require("url").URL,
      URLSearchParams: () => require("url").URLSearchParams,
      process: () => require("process"),
      crypto: () => require("crypto").webcrypto,
      performance: () => require("perf_hooks").performance,
      Event: () => require("internal/abort").Event,
      EventTarget: () => require("internal/abort").EventTarget,
      AbortController: () => require("internal/abort").AbortController,
      AbortSignal: () => require("internal/abort").AbortSignal,
      fetch: () => require("internal/fetch").fetch,
      Headers: () => require("internal/fetch").Headers,
      Request: () => require("internal/fetch").Request,
      Response: () => require("internal/fetch").Response,
      Blob: () => require("internal/blob").Blob,
      File: () => require("internal/blob").File,
      FormData: () => require("internal/blob").FormData,
    };
    for (const name of ["ReadableStream", "ReadableStreamDefaultReader", "ReadableStreamDefaultController", "WritableStream", "WritableStreamDefaultWriter", "WritableStreamDefaultController", "TransformStream", "TransformStreamDefaultController", "TextEncoderStream", "TextDecoderStream", "ByteLengthQueuingStrategy", "CountQueuingStrategy"]) {
      lazy[name] = () => require("stream/web")[name];
    }
    for (const name of Object.keys(lazy)) {
      defineProperty(globalThis, name, { get: lazy[name], enumerable: false, configurable: true });
    }
    for (const [name, value] of [["structuredClone", structuredClone], ["escape", escape], ["unescape", unescape]]) {
      defineProperty(globalThis, name, { value, writable: true, enumerable: false, configurable: true });
    }
  }
  const internal = { STATUS_CODES, METHODS, codeError, missing, stubModule, unsupported, subclassable, enable, require, installGlobals };
  return internal;
})

// Helpers the built-in modules share; never reachable from function code.
(function () {
  "use strict";
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
  function unsupported(target, module, names, why) {
    for (const name of names) {
      Object.defineProperty(target, name, { value: missing(`${module}.${name}`, why), writable: false, enumerable: false, configurable: false });
    }
  }
  // Prototypes whose methods code commonly replaces on its own subclasses
  // (`Sub.prototype.write = ...`): lockdown makes each method an accessor whose setter defines
  // the property on the assigning object, so freezing the built-in does not break that.
  const overridable = [];
  const subclassable = (proto) => overridable.push(proto);
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
  // `require` for the built-ins among themselves, in the order they are created.
  const builtins = Object.create(null);
  const require = (name) => {
    if (!(name in builtins)) throw new Error(`internal: built-in '${name}' used before it exists`);
    return builtins[name];
  };
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
        const u = /^u[0-9a-fA-F]{4}/.exec(s.slice(i + 1, i + 6));
        if (u) {
          out += String.fromCharCode(parseInt(s.slice(i + 2, i + 6), 16));
          i += 5;
          continue;
        }
        const b = /^[0-9a-fA-F]{2}/.exec(s.slice(i + 1, i + 3));
        if (b) {
          out += String.fromCharCode(parseInt(b[0], 16));
          i += 2;
          continue;
        }
      }
      out += s[i];
    }
    return out;
  }
  return { escape, unescape, codeError, missing, unsupported, subclassable, overridable, structuredClone, builtins, require };
})

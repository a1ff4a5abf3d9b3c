// `util`: format (with Node's %s %d %i %f %j %o %O %c %%), inspect (Node's layout for the
// common values: nesting depth, circular references, Map/Set, class names, line breaks at
// 80 columns), promisify/callbackify, inherits, deprecate, isDeepStrictEqual, types, and
// the legacy `is*` checks.
(function (natives, require, internal) {
  "use strict";
  const custom = Symbol.for("nodejs.util.inspect.custom");
  const promisifyCustom = Symbol.for("nodejs.util.promisify.custom");
  const { getPrototypeOf, getOwnPropertyNames, getOwnPropertySymbols, prototype: ObjectProto } = Object;
  const hasOwn = (o, k) => ObjectProto.hasOwnProperty.call(o, k);
  const tag = (v) => ObjectProto.toString.call(v).slice(8, -1);
  const identifier = /^[a-zA-Z_$][a-zA-Z_$0-9]*$/;

  function quote(s) {
    const q = !s.includes("'") ? "'" : !s.includes('"') ? '"' : !s.includes("`") && !s.includes("${") ? "`" : "'";
    let out = "";
    for (const ch of s) {
      const c = ch.codePointAt(0);
      if (ch === q || ch === "\\") out += "\\" + ch;
      else if (ch === "\n") out += "\\n";
      else if (ch === "\t") out += "\\t";
      else if (ch === "\r") out += "\\r";
      else if (ch === "\b") out += "\\b";
      else if (ch === "\f") out += "\\f";
      else if (ch === "\v") out += "\\v";
      else if (c < 0x20 || c === 0x7f) out += "\\x" + c.toString(16).toUpperCase().padStart(2, "0");
      else out += ch;
    }
    return q + out + q;
  }
  const key = (k) => (typeof k === "symbol" ? `[${k.toString()}]` : identifier.test(k) ? k : quote(k));

  function constructorName(obj) {
    let o = obj;
    while (o !== null && o !== undefined) {
      const d = Object.getOwnPropertyDescriptor(o, "constructor");
      // Lockdown turns built-in prototypes' `constructor` into an accessor.
      const c = d && ("value" in d ? d.value : o === ObjectProto ? Object : o === Function.prototype ? Function : undefined);
      if (typeof c === "function" && c.name !== "") return c.name;
      o = getPrototypeOf(o);
    }
    return null;
  }

  function formatPrimitive(v, ctx, top) {
    switch (typeof v) {
      case "string":
        return top ? v : quote(v);
      case "number":
        return Object.is(v, -0) ? "-0" : String(v);
      case "bigint":
        return `${v}n`;
      case "symbol":
        return v.toString();
      case "undefined":
        return "undefined";
      case "boolean":
        return String(v);
    }
    return "null";
  }

  function formatValue(ctx, value, depth, top) {
    if (value === null || (typeof value !== "object" && typeof value !== "function")) {
      return formatPrimitive(value, ctx, false);
    }
    if (ctx.customInspect !== false) {
      const f = value[custom];
      if (typeof f === "function" && f !== inspect) {
        const r = f.call(value, ctx.depth - depth, { ...ctx, stylize: (s) => s }, inspect);
        if (r !== value) return typeof r === "string" ? r : formatValue(ctx, r, depth, false);
      }
    }
    if (ctx.seen.includes(value)) {
      let index = ctx.circular.get(value);
      if (index === undefined) {
        index = ctx.circular.size + 1;
        ctx.circular.set(value, index);
      }
      return `[Circular *${index}]`;
    }
    const out = formatRaw(ctx, value, depth);
    const index = ctx.circular.get(value);
    return index === undefined ? out : `<ref *${index}> ${out}`;
  }

  function fnBase(value) {
    const name = value.name;
    if (natives.isClass(value)) return `[class ${name || "(anonymous)"}]`;
    const kind = tag(value) === "AsyncFunction" ? "AsyncFunction" : tag(value) === "GeneratorFunction" ? "GeneratorFunction" : tag(value) === "AsyncGeneratorFunction" ? "AsyncGeneratorFunction" : "Function";
    return `[${kind}${name ? `: ${name}` : " (anonymous)"}]`;
  }

  function formatRaw(ctx, value, depth) {
    const keys = ctx.showHidden ? getOwnPropertyNames(value) : Object.keys(value);
    const symbols = getOwnPropertySymbols(value).filter((s) => ctx.showHidden || ObjectProto.propertyIsEnumerable.call(value, s));
    let braces;
    let base = "";
    let entries = [];
    let extra = keys;
    const name = constructorName(value);
    const prefix = (fallback, size) => {
      const n = name === null ? `[${fallback}: null prototype]` : name;
      return `${n}${size !== undefined ? `(${size})` : ""} `;
    };
    let isArrayLike = false;
    if (Array.isArray(value)) {
      isArrayLike = true;
      braces = [`${name === "Array" ? "" : prefix("Array", value.length)}[`, "]"];
      extra = keys.filter((k) => !(String(k >>> 0) === k && k >>> 0 < value.length));
      if (depth > ctx.depth) return "[Array]";
      ctx.seen.push(value);
      ctx.currentDepth = depth;
      const shown = Math.min(value.length, ctx.maxArrayLength);
      let holes = 0;
      for (let i = 0; i < shown; i++) {
        if (!hasOwn(value, i)) {
          holes++;
          continue;
        }
        if (holes > 0) {
          entries.push(`<${holes} empty item${holes > 1 ? "s" : ""}>`);
          holes = 0;
        }
        ctx.indentationLvl += 2;
        entries.push(formatValue(ctx, value[i], depth + 1, false));
        ctx.indentationLvl -= 2;
      }
      if (holes > 0) entries.push(`<${holes} empty item${holes > 1 ? "s" : ""}>`);
      if (value.length > shown) entries.push(`... ${value.length - shown} more item${value.length - shown > 1 ? "s" : ""}`);
    } else if (ArrayBuffer.isView(value) && !(value instanceof DataView)) {
      isArrayLike = true;
      braces = [`${prefix(tag(value), value.length)}[`, "]"];
      extra = keys.filter((k) => !(String(k >>> 0) === k));
      if (depth > ctx.depth) return `[${name || tag(value)}]`;
      ctx.seen.push(value);
      ctx.currentDepth = depth;
      const shown = Math.min(value.length, ctx.maxArrayLength);
      for (let i = 0; i < shown; i++) entries.push(formatPrimitive(value[i], ctx, false));
      if (value.length > shown) entries.push(`... ${value.length - shown} more item${value.length - shown > 1 ? "s" : ""}`);
    } else if (value instanceof Map) {
      braces = [`${prefix("Map", value.size)}{`, "}"];
      if (depth > ctx.depth) return "[Map]";
      ctx.seen.push(value);
      ctx.currentDepth = depth;
      ctx.indentationLvl += 2;
      for (const [k, v] of value) entries.push(`${formatValue(ctx, k, depth + 1, false)} => ${formatValue(ctx, v, depth + 1, false)}`);
      ctx.indentationLvl -= 2;
    } else if (value instanceof Set) {
      braces = [`${prefix("Set", value.size)}{`, "}"];
      if (depth > ctx.depth) return "[Set]";
      ctx.seen.push(value);
      ctx.currentDepth = depth;
      ctx.indentationLvl += 2;
      for (const v of value) entries.push(formatValue(ctx, v, depth + 1, false));
      ctx.indentationLvl -= 2;
    } else {
      if (typeof value === "function") {
        base = fnBase(value);
        if (keys.length === 0 && symbols.length === 0) return base;
      } else if (value instanceof RegExp) {
        base = RegExp.prototype.toString.call(value);
        if (keys.length === 0) return base;
      } else if (value instanceof Date) {
        base = Number.isNaN(value.getTime()) ? "Invalid Date" : Date.prototype.toISOString.call(value);
        if (keys.length === 0) return base;
      } else if (value instanceof Error) {
        base = value.stack ? String(value.stack) : `${value.name}: ${value.message}`;
        if (!base.includes(value.message) || base === "") base = `${value.name}: ${value.message}`;
        extra = keys.filter((k) => k !== "stack" && k !== "message");
        if (extra.length === 0) return base;
      } else if (value instanceof Promise) {
        braces = ["Promise {", "}"];
        entries.push("<unknown>");
      } else if (value instanceof WeakMap || value instanceof WeakSet) {
        return `${tag(value)} { <items unknown> }`;
      } else if (value instanceof ArrayBuffer) {
        braces = [`ArrayBuffer {`, "}"];
        const bytes = Array.from(new Uint8Array(value).subarray(0, 50), (b) => b.toString(16).padStart(2, "0")).join(" ");
        entries.push(`[Uint8Contents]: <${bytes}${value.byteLength > 50 ? ` ... ${value.byteLength - 50} more bytes` : ""}>`, `byteLength: ${value.byteLength}`);
      } else if (typeof value === "object" && [Number, String, Boolean].some((C) => value instanceof C)) {
        base = `[${tag(value)}: ${formatPrimitive(value.valueOf(), ctx, false)}]`;
        if (value instanceof String) extra = keys.filter((k) => !(String(k >>> 0) === k));
        if (extra.length === 0) return base;
      }
      if (braces === undefined) {
        const t = value[Symbol.toStringTag];
        const label = name === null ? "[Object: null prototype] " : name !== "Object" ? `${name} ` : "";
        braces = [`${label}${typeof t === "string" && t !== "" && t !== name ? `[${t}] ` : ""}{`, "}"];
      }
      if (depth > ctx.depth) return `[${name === null ? "Object: null prototype" : name}]`;
      ctx.seen.push(value);
      ctx.currentDepth = depth;
    }
    const indexed = isArrayLike ? entries.length : -1;
    for (const k of extra) entries.push(property(ctx, value, k, depth, isArrayLike));
    for (const s of symbols) entries.push(property(ctx, value, s, depth, isArrayLike));
    ctx.seen.pop();
    if (base !== "" && braces === undefined) braces = ["{", "}"];
    if (entries.length === 0) {
      if (base !== "") return base;
      return `${braces[0]}${braces[1]}`;
    }
    return reduce(ctx, entries, base, braces, depth, isArrayLike ? value : undefined, indexed);
  }

  function property(ctx, value, k, depth) {
    const d = Object.getOwnPropertyDescriptor(value, k);
    let shown;
    if (d.value !== undefined || !("get" in d || "set" in d)) {
      ctx.indentationLvl += 2;
      shown = formatValue(ctx, d.value, depth + 1, false);
      ctx.indentationLvl -= 2;
    } else if (d.get !== undefined) {
      shown = d.set !== undefined ? "[Getter/Setter]" : "[Getter]";
    } else {
      shown = "[Setter]";
    }
    const name = ctx.showHidden && !d.enumerable ? `[${typeof k === "symbol" ? k.toString() : k}]` : key(k);
    return `${name}: ${shown}`;
  }

  function reduce(ctx, output, base, braces, depth, array, indexed) {
    const entries = output.length;
    if (array !== undefined && entries > 6) output = group(ctx, output, array, indexed);
    if (ctx.compact >= 1 && ctx.currentDepth - depth < ctx.compact && entries === output.length) {
      const start = output.length + ctx.indentationLvl + braces[0].length + base.length + 10;
      let total = output.length + start;
      let fits = total + output.length <= ctx.breakLength;
      for (let i = 0; fits && i < output.length; i++) {
        total += output[i].length;
        if (total > ctx.breakLength) fits = false;
      }
      if (fits && !base.includes("\n")) {
        const joined = output.join(", ");
        if (!joined.includes("\n")) return `${base ? `${base} ` : ""}${braces[0]} ${joined} ${braces[1]}`;
      }
    }
    const indentation = `\n${" ".repeat(ctx.indentationLvl)}`;
    return `${base ? `${base} ` : ""}${braces[0]}${indentation}  ${output.join(`,${indentation}  `)}${indentation}${braces[1]}`;
  }

  // Node's grouping of long arrays of short entries into aligned columns.
  function group(ctx, output, value, indexed) {
    let totalLength = 0;
    let maxLength = 0;
    let outputLength = output.length;
    if (indexed >= 0 && value.length > ctx.maxArrayLength && outputLength > 0) outputLength--;
    const separatorSpace = 2;
    const dataLen = new Array(outputLength);
    for (let i = 0; i < outputLength; i++) {
      const len = output[i].length;
      dataLen[i] = len;
      totalLength += len + separatorSpace;
      if (maxLength < len) maxLength = len;
    }
    const actualMax = maxLength + separatorSpace;
    if (actualMax * 3 + ctx.indentationLvl < ctx.breakLength && (totalLength / actualMax > 5 || maxLength <= 6)) {
      const averageBias = Math.sqrt(actualMax - totalLength / output.length);
      const biasedMax = Math.max(actualMax - 3 - averageBias, 1);
      const columns = Math.min(
        Math.round(Math.sqrt(2.5 * biasedMax * outputLength) / biasedMax),
        Math.floor((ctx.breakLength - ctx.indentationLvl) / actualMax),
        ctx.compact * 4,
        15,
      );
      if (columns <= 1) return output;
      const tmp = [];
      const maxLineLength = [];
      for (let i = 0; i < columns; i++) {
        let lineLength = 0;
        for (let j = i; j < output.length; j += columns) {
          if (dataLen[j] > lineLength) lineLength = dataLen[j];
        }
        maxLineLength.push(lineLength + separatorSpace);
      }
      let padStart = true;
      for (let i = 0; i < output.length; i++) {
        if (typeof value[i] !== "number" && typeof value[i] !== "bigint") {
          padStart = false;
          break;
        }
      }
      for (let i = 0; i < outputLength; i += columns) {
        const max = Math.min(i + columns, outputLength);
        let str = "";
        let j = i;
        for (; j < max - 1; j++) {
          const cell = `${output[j]}, `;
          str += padStart ? cell.padStart(maxLineLength[j - i], " ") : cell.padEnd(maxLineLength[j - i], " ");
        }
        str += padStart ? output[j].padStart(maxLineLength[j - i] - separatorSpace, " ") : output[j];
        tmp.push(str);
      }
      if (outputLength < output.length) tmp.push(output[outputLength]);
      return tmp;
    }
    return output;
  }

  const defaultOptions = {
    showHidden: false,
    depth: 2,
    colors: false,
    customInspect: true,
    showProxy: false,
    maxArrayLength: 100,
    maxStringLength: 10000,
    breakLength: 80,
    compact: 3,
    sorted: false,
    getters: false,
    numericSeparator: false,
  };
  function inspect(value, opts) {
    const ctx = { ...defaultOptions, seen: [], circular: new Map(), indentationLvl: 0, currentDepth: 0 };
    if (typeof opts === "boolean") ctx.showHidden = opts;
    else if (opts !== null && typeof opts === "object") Object.assign(ctx, opts);
    if (arguments.length > 2 && arguments[2] !== undefined) ctx.depth = arguments[2];
    if (ctx.depth === null) ctx.depth = Infinity;
    return formatValue(ctx, value, 0, true);
  }
  inspect.custom = custom;
  inspect.defaultOptions = defaultOptions;

  function formatWithOptions(inspectOptions, ...args) {
    const first = args[0];
    let a = 0;
    let str = "";
    let join = "";
    if (typeof first === "string") {
      if (args.length === 1) return first;
      let tempStr;
      let lastPos = 0;
      for (let i = 0; i < first.length - 1; i++) {
        if (first.charCodeAt(i) === 37) {
          const nextChar = first.charCodeAt(++i);
          if (a + 1 !== args.length) {
            switch (nextChar) {
              case 115: {
                const tempArg = args[++a];
                if (typeof tempArg === "number") tempStr = formatPrimitive(tempArg, {}, false);
                else if (typeof tempArg === "bigint") tempStr = `${tempArg}n`;
                else if (typeof tempArg !== "object" || tempArg === null || !hasBuiltInToString(tempArg)) tempStr = String(tempArg);
                else tempStr = inspect(tempArg, { ...inspectOptions, depth: 0, colors: false, compact: 3 });
                break;
              }
              case 106:
                try {
                  tempStr = JSON.stringify(args[++a]);
                } catch {
                  tempStr = "[Circular]";
                }
                break;
              case 100: {
                const n = args[++a];
                tempStr = typeof n === "bigint" ? `${n}n` : typeof n === "symbol" ? "NaN" : formatPrimitive(Number(n), {}, false);
                break;
              }
              case 79:
                tempStr = inspect(args[++a], inspectOptions);
                break;
              case 111:
                tempStr = inspect(args[++a], { ...inspectOptions, showHidden: true, showProxy: true, depth: 4 });
                break;
              case 105: {
                const n = args[++a];
                tempStr = typeof n === "bigint" ? `${n}n` : typeof n === "symbol" ? "NaN" : formatPrimitive(Number.parseInt(n), {}, false);
                break;
              }
              case 102: {
                const n = args[++a];
                tempStr = typeof n === "symbol" ? "NaN" : formatPrimitive(Number.parseFloat(n), {}, false);
                break;
              }
              case 99:
                a += 1;
                tempStr = "";
                break;
              case 37:
                str += first.slice(lastPos, i);
                lastPos = i + 1;
                continue;
              default:
                continue;
            }
            if (lastPos !== i - 1) str += first.slice(lastPos, i - 1);
            str += tempStr;
            lastPos = i + 1;
          } else if (nextChar === 37) {
            str += first.slice(lastPos, i);
            lastPos = i + 1;
          }
        }
      }
      if (lastPos !== 0) {
        a++;
        join = " ";
        if (lastPos < first.length) str += first.slice(lastPos);
      }
    }
    while (a < args.length) {
      const value = args[a];
      str += join;
      str += typeof value !== "string" ? inspect(value, { ...inspectOptions, compact: 3, colors: false, depth: 2 }) : value;
      join = " ";
      a++;
    }
    return str;
  }
  function hasBuiltInToString(value) {
    // Node uses inspect for objects without an own or class-defined toString.
    let o = value;
    while (o !== null && o !== ObjectProto && o !== Error.prototype) {
      if (hasOwn(o, "toString")) return false;
      o = getPrototypeOf(o);
    }
    return true;
  }
  const format = (...args) => formatWithOptions(undefined, ...args);

  function promisify(original) {
    if (typeof original !== "function") {
      throw internal.codeError(TypeError, "ERR_INVALID_ARG_TYPE", `The "original" argument must be of type function`);
    }
    if (original[promisifyCustom]) {
      const fn = original[promisifyCustom];
      return fn;
    }
    function fn(...args) {
      return new Promise((resolve, reject) => {
        Reflect.apply(original, this, [...args, (err, ...values) => {
          if (err) return reject(err);
          resolve(values[0]);
        }]);
      });
    }
    Object.setPrototypeOf(fn, getPrototypeOf(original));
    Object.defineProperty(fn, promisifyCustom, { value: fn, enumerable: false, writable: false, configurable: true });
    return Object.defineProperties(fn, Object.getOwnPropertyDescriptors(original));
  }
  promisify.custom = promisifyCustom;

  function callbackify(original) {
    if (typeof original !== "function") {
      throw internal.codeError(TypeError, "ERR_INVALID_ARG_TYPE", `The "original" argument must be of type function`);
    }
    return function (...args) {
      const cb = args.pop();
      if (typeof cb !== "function") {
        throw internal.codeError(TypeError, "ERR_INVALID_ARG_TYPE", `The last argument must be of type function`);
      }
      Reflect.apply(original, this, args).then(
        (v) => queueMicrotask(() => cb(null, v)),
        (e) => {
          if (!e) {
            const wrapped = new Error("Promise was rejected with a falsy value");
            wrapped.code = "ERR_FALSY_VALUE_REJECTION";
            wrapped.reason = e;
            e = wrapped;
          }
          queueMicrotask(() => cb(e));
        },
      );
    };
  }

  function inherits(ctor, superCtor) {
    if (ctor === undefined || ctor === null) throw internal.codeError(TypeError, "ERR_INVALID_ARG_TYPE", `The "ctor" argument must be of type function`);
    if (superCtor === undefined || superCtor === null) throw internal.codeError(TypeError, "ERR_INVALID_ARG_TYPE", `The "superCtor" argument must be of type function`);
    if (superCtor.prototype === undefined) throw internal.codeError(TypeError, "ERR_INVALID_ARG_TYPE", `The "superCtor.prototype" property must be of type object`);
    Object.defineProperty(ctor, "super_", { value: superCtor, writable: true, configurable: true });
    Object.setPrototypeOf(ctor.prototype, superCtor.prototype);
  }

  function deprecate(fn, msg, code) {
    let warned = false;
    function deprecated(...args) {
      if (!warned) {
        warned = true;
        console.warn(`${code ? `[${code}] ` : ""}DeprecationWarning: ${msg}`);
      }
      return new.target ? Reflect.construct(fn, args, new.target) : Reflect.apply(fn, this, args);
    }
    Object.setPrototypeOf(deprecated, fn);
    if (fn.prototype) deprecated.prototype = fn.prototype;
    return deprecated;
  }

  function isDeepStrictEqual(a, b, memo) {
    if (Object.is(a, b)) return true;
    if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false;
    if (getPrototypeOf(a) !== getPrototypeOf(b) || tag(a) !== tag(b)) return false;
    memo = memo || new Map();
    if (memo.get(a) === b) return true;
    memo.set(a, b);
    if (a instanceof Date) return Object.is(a.getTime(), b.getTime());
    if (a instanceof RegExp) return a.source === b.source && a.flags === b.flags && a.lastIndex === b.lastIndex;
    if (a instanceof Error && (a.message !== b.message || a.name !== b.name)) return false;
    if (ArrayBuffer.isView(a)) {
      if (a.length !== b.length) return false;
      for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) return false;
    }
    if (a instanceof Map) {
      if (a.size !== b.size) return false;
      for (const [k, v] of a) if (!b.has(k) || !isDeepStrictEqual(v, b.get(k), memo)) return false;
    }
    if (a instanceof Set) {
      if (a.size !== b.size) return false;
      outer: for (const v of a) {
        if (b.has(v)) continue;
        if (typeof v === "object" && v !== null) {
          for (const w of b) if (isDeepStrictEqual(v, w, memo)) continue outer;
        }
        return false;
      }
    }
    if ([Number, String, Boolean].some((C) => a instanceof C) && !Object.is(a.valueOf(), b.valueOf())) return false;
    const ka = Object.keys(a);
    const kb = Object.keys(b);
    if (ka.length !== kb.length) return false;
    for (const k of ka) {
      if (!hasOwn(b, k) || !isDeepStrictEqual(a[k], b[k], memo)) return false;
    }
    const sa = getOwnPropertySymbols(a).filter((s) => ObjectProto.propertyIsEnumerable.call(a, s));
    const sb = getOwnPropertySymbols(b).filter((s) => ObjectProto.propertyIsEnumerable.call(b, s));
    if (sa.length !== sb.length) return false;
    for (const s of sa) if (!isDeepStrictEqual(a[s], b[s], memo)) return false;
    return true;
  }

  const typedTag = (v) => (ArrayBuffer.isView(v) && !(v instanceof DataView) ? v[Symbol.toStringTag] : undefined);
  const types = {
    isDate: (v) => v instanceof Date,
    isRegExp: (v) => v instanceof RegExp,
    isPromise: (v) => v instanceof Promise,
    isMap: (v) => v instanceof Map,
    isSet: (v) => v instanceof Set,
    isWeakMap: (v) => v instanceof WeakMap,
    isWeakSet: (v) => v instanceof WeakSet,
    isNativeError: (v) => v instanceof Error,
    isArrayBuffer: (v) => v instanceof ArrayBuffer,
    isSharedArrayBuffer: (v) => typeof SharedArrayBuffer === "function" && v instanceof SharedArrayBuffer,
    isAnyArrayBuffer: (v) => v instanceof ArrayBuffer || (typeof SharedArrayBuffer === "function" && v instanceof SharedArrayBuffer),
    isArrayBufferView: (v) => ArrayBuffer.isView(v),
    isDataView: (v) => v instanceof DataView,
    isTypedArray: (v) => typedTag(v) !== undefined,
    isProxy: () => false,
    isGeneratorFunction: (v) => typeof v === "function" && /GeneratorFunction$/.test(tag(v)),
    isAsyncFunction: (v) => typeof v === "function" && /^Async/.test(tag(v)),
    isGeneratorObject: (v) => tag(v) === "Generator",
    isBoxedPrimitive: (v) => typeof v === "object" && v !== null && [Number, String, Boolean, BigInt, Symbol].some((C) => {
      try {
        return C.prototype.valueOf.call(v), true;
      } catch {
        return false;
      }
    }),
    isNumberObject: (v) => typeof v === "object" && v instanceof Number,
    isStringObject: (v) => typeof v === "object" && v instanceof String,
    isBooleanObject: (v) => typeof v === "object" && v instanceof Boolean,
    isSymbolObject: (v) => typeof v === "object" && v instanceof Symbol,
    isMapIterator: (v) => tag(v) === "Map Iterator",
    isSetIterator: (v) => tag(v) === "Set Iterator",
    isKeyObject: () => false,
    isCryptoKey: () => false,
  };
  for (const t of ["Uint8Array", "Uint8ClampedArray", "Uint16Array", "Uint32Array", "Int8Array", "Int16Array", "Int32Array", "Float32Array", "Float64Array", "BigInt64Array", "BigUint64Array"]) {
    types[`is${t}`] = (v) => typedTag(v) === t;
  }

  const exports = {
    format,
    formatWithOptions,
    inspect,
    promisify,
    callbackify,
    inherits,
    deprecate,
    isDeepStrictEqual: (a, b) => isDeepStrictEqual(a, b),
    types,
    TextEncoder,
    TextDecoder,
    debuglog: () => {
      const log = () => {};
      log.enabled = false;
      return log;
    },
    stripVTControlCharacters: (s) => String(s).replace(/\u001b\[[0-9;]*[A-Za-z]/g, ""),
    toUSVString: (s) => String(s).toWellFormed ? String(s).toWellFormed() : String(s).replace(/[\ud800-\udfff]/g, (c, i, all) => c),
    isArray: Array.isArray,
    isBoolean: (v) => typeof v === "boolean",
    isNull: (v) => v === null,
    isNullOrUndefined: (v) => v === null || v === undefined,
    isNumber: (v) => typeof v === "number",
    isString: (v) => typeof v === "string",
    isSymbol: (v) => typeof v === "symbol",
    isUndefined: (v) => v === undefined,
    isRegExp: types.isRegExp,
    isObject: (v) => v !== null && typeof v === "object",
    isDate: types.isDate,
    isError: (v) => v instanceof Error,
    isFunction: (v) => typeof v === "function",
    isPrimitive: (v) => v === null || (typeof v !== "object" && typeof v !== "function"),
    isBuffer: (v) => require("buffer").Buffer.isBuffer(v),
  };
  exports.debug = exports.debuglog;
  internal.unsupported(exports, "util", ["getSystemErrorName", "getSystemErrorMap", "parseArgs", "MIMEType", "transferableAbortSignal", "aborted"]);
  return exports;
})

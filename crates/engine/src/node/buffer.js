// `buffer`: Node's Buffer, a Uint8Array subclass, with its encodings (utf8, hex, base64,
// base64url, latin1/binary, ascii, utf16le/ucs2), reads and writes of every number type,
// search, comparison and `slice` as a view, as Node 20 behaves.
(function (natives, require, internal) {
  "use strict";
  const { b64encode, b64decode, utf8Encode, utf8Decode } = natives;
  const kMaxLength = 2 ** 32;
  const codeError = internal.codeError;

  class FastBuffer extends Uint8Array {}
  // Methods are defined, not assigned: the typed array built-ins they shadow are frozen.
  const def = (object, key, value) =>
    Object.defineProperty(object, key, { value, writable: true, enumerable: false, configurable: true });

  const encodings = {
    utf8: "utf8", "utf-8": "utf8", hex: "hex", base64: "base64", base64url: "base64url",
    latin1: "latin1", binary: "latin1", ascii: "ascii", ucs2: "utf16le", "ucs-2": "utf16le",
    utf16le: "utf16le", "utf-16le": "utf16le",
  };
  function normalize(enc) {
    if (enc === undefined || enc === null || enc === "") return "utf8";
    const e = encodings[String(enc).toLowerCase()];
    if (e === undefined) throw codeError(TypeError, "ERR_UNKNOWN_ENCODING", `Unknown encoding: ${enc}`);
    return e;
  }

  function fromBytes(u8) {
    return new FastBuffer(u8.buffer, u8.byteOffset, u8.length);
  }

  function encode(string, enc) {
    switch (enc) {
      case "utf8":
        return utf8Encode(string);
      case "hex": {
        const n = string.length >>> 1;
        const out = new Uint8Array(n);
        let i = 0;
        for (; i < n; i++) {
          const pair = string.slice(i * 2, i * 2 + 2);
          if (!/^[0-9a-fA-F]{2}$/.test(pair)) break;
          const byte = parseInt(pair, 16);
          out[i] = byte;
        }
        return i === n ? out : out.subarray(0, i);
      }
      case "base64":
      case "base64url":
        return b64decode(string);
      case "latin1":
      case "ascii": {
        const out = new Uint8Array(string.length);
        for (let i = 0; i < string.length; i++) out[i] = string.charCodeAt(i) & 255;
        return out;
      }
      case "utf16le": {
        const out = new Uint8Array(string.length * 2);
        for (let i = 0; i < string.length; i++) {
          const c = string.charCodeAt(i);
          out[i * 2] = c & 255;
          out[i * 2 + 1] = c >>> 8;
        }
        return out;
      }
    }
  }

  function decode(buf, enc, start, end) {
    const bytes = buf.subarray(start, end);
    switch (enc) {
      case "utf8":
        return utf8Decode(bytes, false, true);
      case "hex": {
        let s = "";
        for (let i = 0; i < bytes.length; i++) s += (bytes[i] < 16 ? "0" : "") + bytes[i].toString(16);
        return s;
      }
      case "base64":
        return b64encode(bytes, false);
      case "base64url":
        return b64encode(bytes, true);
      case "latin1":
      case "ascii": {
        const mask = enc === "ascii" ? 127 : 255;
        let s = "";
        for (let i = 0; i < bytes.length; i += 4096) {
          const chunk = Array.from(bytes.subarray(i, i + 4096), (b) => b & mask);
          s += String.fromCharCode.apply(null, chunk);
        }
        return s;
      }
      case "utf16le": {
        let s = "";
        for (let i = 0; i + 1 < bytes.length; i += 2) s += String.fromCharCode(bytes[i] | (bytes[i + 1] << 8));
        return s;
      }
    }
  }

  function invalidArg(name, expected, value) {
    const got = value === null ? "null" : value === undefined ? "undefined" : `type ${typeof value}`;
    return codeError(TypeError, "ERR_INVALID_ARG_TYPE", `The "${name}" argument must be ${expected}. Received ${got}`);
  }
  function checkSize(size) {
    if (typeof size !== "number") throw invalidArg("size", "of type number", size);
    if (!(size >= 0 && size <= kMaxLength)) {
      throw codeError(RangeError, "ERR_OUT_OF_RANGE", `The value of "size" is out of range. It must be >= 0 && <= ${kMaxLength}. Received ${size}`);
    }
  }

  function Buffer(arg, encodingOrOffset, length) {
    if (typeof arg === "number") {
      if (typeof encodingOrOffset === "string") {
        throw invalidArg("string", "of type string", arg);
      }
      return Buffer.alloc(arg);
    }
    return Buffer.from(arg, encodingOrOffset, length);
  }
  Object.defineProperty(Buffer, Symbol.species, { get: () => FastBuffer });
  FastBuffer.prototype.constructor = Buffer;
  Buffer.prototype = FastBuffer.prototype;
  Object.setPrototypeOf(Buffer, Uint8Array);
  def(Buffer, "poolSize", 8192);

  def(Buffer, "from", function from(value, encodingOrOffset, length) {
    if (typeof value === "string") {
      return fromBytes(encode(value, normalize(encodingOrOffset)));
    }
    if (typeof value === "object" && value !== null) {
      if (value instanceof ArrayBuffer || (typeof SharedArrayBuffer === "function" && value instanceof SharedArrayBuffer)) {
        const offset = encodingOrOffset === undefined ? 0 : Math.trunc(+encodingOrOffset) || 0;
        if (offset > value.byteLength) throw codeError(RangeError, "ERR_BUFFER_OUT_OF_BOUNDS", `"offset" is outside of buffer bounds`);
        const len = length === undefined ? value.byteLength - offset : Math.trunc(+length) || 0;
        if (offset + len > value.byteLength) throw codeError(RangeError, "ERR_BUFFER_OUT_OF_BOUNDS", `"length" is outside of buffer bounds`);
        return new FastBuffer(value, offset, len);
      }
      if (ArrayBuffer.isView(value)) {
        const bytes = value instanceof Uint8Array ? value : new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
        if (value instanceof Uint8Array) return new FastBuffer(bytes);
        // Other typed arrays: one byte per element, as Node copies them.
        return new FastBuffer(Array.from(value, (v) => Number(v) & 255));
      }
      const primitive = value.valueOf && value.valueOf();
      if (primitive !== null && primitive !== undefined && primitive !== value) {
        return Buffer.from(primitive, encodingOrOffset, length);
      }
      if (typeof value.length === "number" || Array.isArray(value)) {
        const n = typeof value.length === "number" ? value.length : 0;
        const out = new FastBuffer(n);
        for (let i = 0; i < n; i++) out[i] = value[i];
        return out;
      }
      if (value.type === "Buffer" && Array.isArray(value.data)) return Buffer.from(value.data);
      if (typeof value[Symbol.toPrimitive] === "function") {
        return Buffer.from(value[Symbol.toPrimitive]("string"), encodingOrOffset, length);
      }
    }
    throw invalidArg(
      "first argument",
      "of type string or an instance of Buffer, ArrayBuffer, or Array or an Array-like Object",
      value,
    );
  });
  def(Buffer, "of", (...items) => Buffer.from(items));
  def(Buffer, "alloc", function alloc(size, fill, encoding) {
    checkSize(size);
    const buf = new FastBuffer(size);
    if (fill !== undefined && fill !== 0 && size > 0) buf.fill(fill, encoding);
    return buf;
  });
  def(Buffer, "allocUnsafe", (size) => {
    checkSize(size);
    return new FastBuffer(size);
  });
  def(Buffer, "allocUnsafeSlow", Buffer.allocUnsafe);
  def(Buffer, "isBuffer", (b) => b instanceof Buffer);
  def(Buffer, "isEncoding", (e) => typeof e === "string" && e !== "" && encodings[e.toLowerCase()] !== undefined);
  def(Buffer, "byteLength", function byteLength(string, encoding) {
    if (typeof string !== "string") {
      if (ArrayBuffer.isView(string) || string instanceof ArrayBuffer) return string.byteLength;
      throw invalidArg("string", "of type string or an instance of Buffer or ArrayBuffer", string);
    }
    const enc = normalize(encoding);
    if (enc === "latin1" || enc === "ascii") return string.length;
    if (enc === "utf16le") return string.length * 2;
    return encode(string, enc).length;
  });
  def(Buffer, "concat", function concat(list, totalLength) {
    if (!Array.isArray(list)) throw invalidArg("list", "an instance of Array", list);
    if (list.length === 0) return new FastBuffer(0);
    if (totalLength === undefined) {
      totalLength = 0;
      for (const b of list) {
        if (!(b instanceof Uint8Array)) throw invalidArg("list[i]", "an instance of Buffer or Uint8Array", b);
        totalLength += b.length;
      }
    }
    const out = Buffer.alloc(totalLength);
    let pos = 0;
    for (let i = 0; i < list.length; i++) {
      const b = list[i];
      if (!(b instanceof Uint8Array)) throw invalidArg(`list[${i}]`, "an instance of Buffer or Uint8Array", b);
      // An empty buffer (a cipher's `update` often gives one) copies nothing and goes on;
      // every element is checked, as Node does, even past `totalLength`.
      const n = Math.max(0, Math.min(b.length, totalLength - pos));
      if (n > 0) out.set(n === b.length ? b : b.subarray(0, n), pos);
      pos += n;
    }
    return out;
  });
  function compareBytes(a, b) {
    const n = Math.min(a.length, b.length);
    for (let i = 0; i < n; i++) {
      if (a[i] !== b[i]) return a[i] < b[i] ? -1 : 1;
    }
    return a.length < b.length ? -1 : a.length > b.length ? 1 : 0;
  }
  def(Buffer, "compare", function compare(a, b) {
    if (!(a instanceof Uint8Array)) throw invalidArg("buf1", "an instance of Buffer or Uint8Array", a);
    if (!(b instanceof Uint8Array)) throw invalidArg("buf2", "an instance of Buffer or Uint8Array", b);
    return compareBytes(a, b);
  });
  def(Buffer, "copyBytesFrom", function copyBytesFrom(view, offset, length) {
    if (!ArrayBuffer.isView(view) || view instanceof DataView) throw invalidArg("view", "an instance of TypedArray", view);
    const size = view.BYTES_PER_ELEMENT;
    const start = offset === undefined ? 0 : Math.min(Math.max(0, Math.trunc(+offset) || 0), view.length);
    const end = length === undefined ? view.length : Math.min(view.length, start + Math.max(0, Math.trunc(+length) || 0));
    const bytes = new Uint8Array(view.buffer, view.byteOffset + start * size, (end - start) * size);
    return Buffer.from(bytes);
  });
  // Node's statics are enumerable: packages copy them with for...in (safer-buffer, which
  // asn1.js uses, so web-push and jwk-to-pem).
  for (const key of ["poolSize", "from", "copyBytesFrom", "of", "alloc", "allocUnsafe", "allocUnsafeSlow", "isBuffer", "compare", "isEncoding", "concat", "byteLength"]) {
    const value = Buffer[key];
    delete Buffer[key];
    Object.defineProperty(Buffer, key, { value, writable: true, enumerable: true, configurable: true });
  }

  const proto = FastBuffer.prototype;
  const bounds = (buf, start, end) => {
    start = start === undefined ? 0 : Math.max(0, Math.trunc(+start) || 0);
    end = end === undefined ? buf.length : Math.min(buf.length, Math.trunc(+end) || 0);
    return [start, Math.max(start, end)];
  };
  def(proto, "toString", function toString(encoding, start, end) {
    if (arguments.length === 0) return utf8Decode(this, false, true);
    const [s, e] = bounds(this, start, end);
    if (s >= this.length) return "";
    return decode(this, normalize(encoding), s, e);
  });
  def(proto, "toLocaleString", proto.toString);
  def(proto, "toJSON", function toJSON() {
    return { type: "Buffer", data: Array.from(this) };
  });
  def(proto, "equals", function equals(other) {
    if (!(other instanceof Uint8Array)) throw invalidArg("otherBuffer", "an instance of Buffer or Uint8Array", other);
    return compareBytes(this, other) === 0;
  });
  def(proto, "compare", function compare(target, tStart, tEnd, sStart, sEnd) {
    if (!(target instanceof Uint8Array)) throw invalidArg("target", "an instance of Buffer or Uint8Array", target);
    const [a, b] = bounds(target, tStart, tEnd);
    const [c, d] = bounds(this, sStart, sEnd);
    return compareBytes(this.subarray(c, d), target.subarray(a, b));
  });
  def(proto, "slice", function slice(start, end) {
    return this.subarray(start, end);
  });
  function needle(value, encoding) {
    if (typeof value === "string") return encode(value, normalize(encoding));
    if (typeof value === "number") return new Uint8Array([value & 255]);
    if (value instanceof Uint8Array) return value;
    throw invalidArg("value", "one of type number or string or an instance of Buffer or Uint8Array", value);
  }
  function search(buf, value, byteOffset, encoding, last) {
    if (typeof byteOffset === "string") {
      encoding = byteOffset;
      byteOffset = undefined;
    }
    const n = needle(value, encoding);
    let from = byteOffset === undefined ? (last ? buf.length : 0) : Math.trunc(+byteOffset) || 0;
    if (from < 0) from += buf.length;
    if (n.length === 0) return Math.min(Math.max(from, 0), buf.length);
    if (last) {
      for (let i = Math.min(from, buf.length - n.length); i >= 0; i--) {
        let j = 0;
        while (j < n.length && buf[i + j] === n[j]) j++;
        if (j === n.length) return i;
      }
      return -1;
    }
    for (let i = Math.max(from, 0); i + n.length <= buf.length; i++) {
      let j = 0;
      while (j < n.length && buf[i + j] === n[j]) j++;
      if (j === n.length) return i;
    }
    return -1;
  }
  def(proto, "indexOf", function indexOf(value, byteOffset, encoding) {
    return search(this, value, byteOffset, encoding, false);
  });
  def(proto, "lastIndexOf", function lastIndexOf(value, byteOffset, encoding) {
    return search(this, value, byteOffset, encoding, true);
  });
  def(proto, "includes", function includes(value, byteOffset, encoding) {
    return search(this, value, byteOffset, encoding, false) !== -1;
  });
  def(proto, "write", function write(string, offset, length, encoding) {
    if (typeof offset === "string") {
      encoding = offset;
      offset = 0;
      length = this.length;
    } else if (typeof length === "string") {
      encoding = length;
      length = this.length - (offset || 0);
    }
    offset = offset === undefined ? 0 : offset >>> 0;
    const remaining = this.length - offset;
    length = length === undefined || length > remaining ? remaining : length >>> 0;
    const enc = normalize(encoding);
    let bytes = encode(String(string), enc);
    if (bytes.length > length) {
      bytes = bytes.subarray(0, length);
      if (enc === "utf8") {
        // Never a partial character.
        let end = bytes.length;
        let i = end - 1;
        while (i >= 0 && (bytes[i] & 0xc0) === 0x80) i--;
        if (i >= 0) {
          const lead = bytes[i];
          const need = lead >= 0xf0 ? 4 : lead >= 0xe0 ? 3 : lead >= 0xc0 ? 2 : 1;
          if (end - i < need) end = i;
        }
        bytes = bytes.subarray(0, end);
      }
    }
    this.set(bytes, offset);
    return bytes.length;
  });
  def(proto, "fill", function fill(value, offset, end, encoding) {
    if (typeof offset === "string") {
      encoding = offset;
      offset = 0;
      end = this.length;
    } else if (typeof end === "string") {
      encoding = end;
      end = this.length;
    }
    offset = offset === undefined ? 0 : offset >>> 0;
    end = end === undefined ? this.length : Math.min(end >>> 0, this.length);
    if (offset >= end) return this;
    if (typeof value === "number" || typeof value === "boolean") {
      Uint8Array.prototype.fill.call(this, Number(value) & 255, offset, end);
      return this;
    }
    const bytes = typeof value === "string" ? encode(value, normalize(encoding)) : needle(value);
    if (bytes.length === 0) {
      if (typeof value === "string" && value.length > 0) {
        throw codeError(TypeError, "ERR_INVALID_ARG_VALUE", `The argument 'value' is invalid. Received '${value}'`);
      }
      Uint8Array.prototype.fill.call(this, 0, offset, end);
      return this;
    }
    for (let i = offset; i < end; i++) this[i] = bytes[(i - offset) % bytes.length];
    return this;
  });
  def(proto, "copy", function copy(target, targetStart, sourceStart, sourceEnd) {
    targetStart = targetStart === undefined ? 0 : Math.max(0, Math.trunc(+targetStart) || 0);
    sourceStart = sourceStart === undefined ? 0 : Math.max(0, Math.trunc(+sourceStart) || 0);
    sourceEnd = sourceEnd === undefined ? this.length : Math.min(this.length, Math.trunc(+sourceEnd) || 0);
    if (targetStart >= target.length || sourceStart >= sourceEnd) return 0;
    const n = Math.min(sourceEnd - sourceStart, target.length - targetStart);
    Uint8Array.prototype.set.call(target, this.subarray(sourceStart, sourceStart + n), targetStart);
    return n;
  });
  const swap = (size) =>
    function () {
      if (this.length % size !== 0) {
        throw codeError(RangeError, "ERR_INVALID_BUFFER_SIZE", `Buffer size must be a multiple of ${size * 8}-bits`);
      }
      for (let i = 0; i < this.length; i += size) {
        for (let a = i, b = i + size - 1; a < b; a++, b--) {
          const t = this[a];
          this[a] = this[b];
          this[b] = t;
        }
      }
      return this;
    };
  def(proto, "swap16", swap(2));
  def(proto, "swap32", swap(4));
  def(proto, "swap64", swap(8));

  // Numbers: through a DataView on the same memory, with Node's range errors.
  const view = (buf) => new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  function checkOffset(buf, offset, size) {
    if (offset === undefined) offset = 0;
    if (typeof offset !== "number") throw invalidArg("offset", "of type number", offset);
    if (!Number.isInteger(offset) || offset < 0 || offset + size > buf.length) {
      if (buf.length - size < 0) throw codeError(RangeError, "ERR_BUFFER_OUT_OF_BOUNDS", "Attempt to access memory outside buffer bounds");
      throw codeError(RangeError, "ERR_OUT_OF_RANGE", `The value of "offset" is out of range. It must be >= 0 and <= ${buf.length - size}. Received ${offset}`);
    }
    return offset;
  }
  function checkValue(value, min, max, size) {
    if (typeof value !== "bigint" && (value > max || value < min)) {
      const n = size > 4 ? "" : "";
      throw codeError(RangeError, "ERR_OUT_OF_RANGE", `The value of "value" is out of range. It must be >= ${min}${n} and <= ${max}${n}. Received ${value}`);
    }
  }
  const numbers = [
    ["UInt8", 1, "getUint8", "setUint8", 0, 255],
    ["Int8", 1, "getInt8", "setInt8", -128, 127],
    ["UInt16", 2, "getUint16", "setUint16", 0, 65535],
    ["Int16", 2, "getInt16", "setInt16", -32768, 32767],
    ["UInt32", 4, "getUint32", "setUint32", 0, 4294967295],
    ["Int32", 4, "getInt32", "setInt32", -2147483648, 2147483647],
    ["Float", 4, "getFloat32", "setFloat32", -Infinity, Infinity],
    ["Double", 8, "getFloat64", "setFloat64", -Infinity, Infinity],
    ["BigUInt64", 8, "getBigUint64", "setBigUint64", null, null],
    ["BigInt64", 8, "getBigInt64", "setBigInt64", null, null],
  ];
  for (const [name, size, get, set, min, max] of numbers) {
    const ends = size === 1 ? [""] : ["LE", "BE"];
    for (const end of ends) {
      const little = end === "LE";
      const read = function (offset) {
        offset = checkOffset(this, offset, size);
        return view(this)[get](offset, little);
      };
      const write = function (value, offset) {
        offset = checkOffset(this, offset, size);
        if (min === null) {
          if (typeof value !== "bigint") throw invalidArg("value", "of type bigint", value);
        } else {
          value = +value;
          checkValue(value, min, max, size);
        }
        view(this)[set](offset, value, little);
        return offset + size;
      };
      def(proto, `read${name}${end}`, read);
      def(proto, `write${name}${end}`, write);
      if (name.includes("UInt")) {
        def(proto, `read${name.replace("UInt", "Uint")}${end}`, read);
        def(proto, `write${name.replace("UInt", "Uint")}${end}`, write);
      }
    }
  }
  function checkByteLength(byteLength) {
    if (!Number.isInteger(byteLength) || byteLength < 1 || byteLength > 6) {
      throw codeError(RangeError, "ERR_OUT_OF_RANGE", `The value of "byteLength" is out of range. It must be >= 1 and <= 6. Received ${byteLength}`);
    }
  }
  function variable(signed, little) {
    return {
      read(offset, byteLength) {
        checkByteLength(byteLength);
        offset = checkOffset(this, offset, byteLength);
        let v = 0;
        for (let i = 0; i < byteLength; i++) {
          const b = this[offset + (little ? byteLength - 1 - i : i)];
          v = v * 256 + b;
        }
        if (signed && v >= 2 ** (8 * byteLength - 1)) v -= 2 ** (8 * byteLength);
        return v;
      },
      write(value, offset, byteLength) {
        checkByteLength(byteLength);
        offset = checkOffset(this, offset, byteLength);
        value = +value;
        const max = signed ? 2 ** (8 * byteLength - 1) - 1 : 2 ** (8 * byteLength) - 1;
        const min = signed ? -(2 ** (8 * byteLength - 1)) : 0;
        checkValue(value, min, max, byteLength);
        let v = value < 0 ? value + 2 ** (8 * byteLength) : value;
        for (let i = 0; i < byteLength; i++) {
          this[offset + (little ? i : byteLength - 1 - i)] = v % 256;
          v = Math.floor(v / 256);
        }
        return offset + byteLength;
      },
    };
  }
  for (const [signed, name] of [[false, "UInt"], [true, "Int"]]) {
    for (const end of ["LE", "BE"]) {
      const { read, write } = variable(signed, end === "LE");
      def(proto, `read${name}${end}`, read);
      def(proto, `write${name}${end}`, write);
      if (!signed) {
        def(proto, `readUint${end}`, read);
        def(proto, `writeUint${end}`, write);
      }
    }
  }
  def(proto, "inspect", function inspect() {
    const shown = Array.from(this.subarray(0, 50), (b) => (b < 16 ? "0" : "") + b.toString(16)).join(" ");
    const more = this.length > 50 ? ` ... ${this.length - 50} more bytes` : "";
    return `<Buffer${shown ? " " + shown : ""}${more}>`;
  });
  def(proto, Symbol.for("nodejs.util.inspect.custom"), proto.inspect);
  Object.defineProperty(proto, "parent", { get() { return this.buffer; }, enumerable: true });
  Object.defineProperty(proto, "offset", { get() { return this.byteOffset; }, enumerable: true });

  function SlowBuffer(size) {
    return Buffer.allocUnsafe(size);
  }
  SlowBuffer.prototype = Buffer.prototype;
  const exports = {
    Buffer,
    SlowBuffer,
    kMaxLength,
    kStringMaxLength: 2 ** 29 - 24,
    constants: { MAX_LENGTH: kMaxLength, MAX_STRING_LENGTH: 2 ** 29 - 24 },
    INSPECT_MAX_BYTES: 50,
    atob: globalThis.atob,
    btoa: globalThis.btoa,
    isUtf8: (input) => {
      try {
        new TextDecoder("utf-8", { fatal: true }).decode(input);
        return true;
      } catch {
        return false;
      }
    },
    isAscii: (input) => Array.prototype.every.call(ArrayBuffer.isView(input) ? new Uint8Array(input.buffer, input.byteOffset, input.byteLength) : new Uint8Array(input), (b) => b < 128),
  };
  exports.Blob = require("internal/blob").Blob;
  exports.File = require("internal/blob").File;
  internal.unsupported(exports, "buffer", ["resolveObjectURL", "transcode"]);
  return exports;
})

// `zlib`: one-shot gzip, deflate (zlib), raw deflate, unzip and brotli, sync and with
// callbacks (so `util.promisify` works), `crc32`, `constants`, and the stream classes
// (`createGzip`, `Gunzip`, ...: Transforms over an incremental native codec, so output flows
// as input arrives, `flush()` included).
(function (natives, require, internal) {
  "use strict";
  const { Buffer } = require("buffer");
  const constants = {"Z_NO_FLUSH":0,"Z_PARTIAL_FLUSH":1,"Z_SYNC_FLUSH":2,"Z_FULL_FLUSH":3,"Z_FINISH":4,"Z_BLOCK":5,"Z_OK":0,"Z_STREAM_END":1,"Z_NEED_DICT":2,"Z_ERRNO":-1,"Z_STREAM_ERROR":-2,"Z_DATA_ERROR":-3,"Z_MEM_ERROR":-4,"Z_BUF_ERROR":-5,"Z_VERSION_ERROR":-6,"Z_NO_COMPRESSION":0,"Z_BEST_SPEED":1,"Z_BEST_COMPRESSION":9,"Z_DEFAULT_COMPRESSION":-1,"Z_FILTERED":1,"Z_HUFFMAN_ONLY":2,"Z_RLE":3,"Z_FIXED":4,"Z_DEFAULT_STRATEGY":0,"ZLIB_VERNUM":4880,"DEFLATE":1,"INFLATE":2,"GZIP":3,"GUNZIP":4,"DEFLATERAW":5,"INFLATERAW":6,"UNZIP":7,"BROTLI_DECODE":8,"BROTLI_ENCODE":9,"Z_MIN_WINDOWBITS":8,"Z_MAX_WINDOWBITS":15,"Z_DEFAULT_WINDOWBITS":15,"Z_MIN_CHUNK":64,"Z_MAX_CHUNK":null,"Z_DEFAULT_CHUNK":16384,"Z_MIN_MEMLEVEL":1,"Z_MAX_MEMLEVEL":9,"Z_DEFAULT_MEMLEVEL":8,"Z_MIN_LEVEL":-1,"Z_MAX_LEVEL":9,"Z_DEFAULT_LEVEL":-1,"BROTLI_OPERATION_PROCESS":0,"BROTLI_OPERATION_FLUSH":1,"BROTLI_OPERATION_FINISH":2,"BROTLI_OPERATION_EMIT_METADATA":3,"BROTLI_PARAM_MODE":0,"BROTLI_MODE_GENERIC":0,"BROTLI_MODE_TEXT":1,"BROTLI_MODE_FONT":2,"BROTLI_DEFAULT_MODE":0,"BROTLI_PARAM_QUALITY":1,"BROTLI_MIN_QUALITY":0,"BROTLI_MAX_QUALITY":11,"BROTLI_DEFAULT_QUALITY":11,"BROTLI_PARAM_LGWIN":2,"BROTLI_MIN_WINDOW_BITS":10,"BROTLI_MAX_WINDOW_BITS":24,"BROTLI_LARGE_MAX_WINDOW_BITS":30,"BROTLI_DEFAULT_WINDOW":22,"BROTLI_PARAM_LGBLOCK":3,"BROTLI_MIN_INPUT_BLOCK_BITS":16,"BROTLI_MAX_INPUT_BLOCK_BITS":24,"BROTLI_PARAM_DISABLE_LITERAL_CONTEXT_MODELING":4,"BROTLI_PARAM_SIZE_HINT":5,"BROTLI_PARAM_LARGE_WINDOW":6,"BROTLI_PARAM_NPOSTFIX":7,"BROTLI_PARAM_NDIRECT":8,"BROTLI_DECODER_RESULT_ERROR":0,"BROTLI_DECODER_RESULT_SUCCESS":1,"BROTLI_DECODER_RESULT_NEEDS_MORE_INPUT":2,"BROTLI_DECODER_RESULT_NEEDS_MORE_OUTPUT":3,"BROTLI_DECODER_PARAM_DISABLE_RING_BUFFER_REALLOCATION":0,"BROTLI_DECODER_PARAM_LARGE_WINDOW":1,"BROTLI_DECODER_NO_ERROR":0,"BROTLI_DECODER_SUCCESS":1,"BROTLI_DECODER_NEEDS_MORE_INPUT":2,"BROTLI_DECODER_NEEDS_MORE_OUTPUT":3,"BROTLI_DECODER_ERROR_FORMAT_EXUBERANT_NIBBLE":-1,"BROTLI_DECODER_ERROR_FORMAT_RESERVED":-2,"BROTLI_DECODER_ERROR_FORMAT_EXUBERANT_META_NIBBLE":-3,"BROTLI_DECODER_ERROR_FORMAT_SIMPLE_HUFFMAN_ALPHABET":-4,"BROTLI_DECODER_ERROR_FORMAT_SIMPLE_HUFFMAN_SAME":-5,"BROTLI_DECODER_ERROR_FORMAT_CL_SPACE":-6,"BROTLI_DECODER_ERROR_FORMAT_HUFFMAN_SPACE":-7,"BROTLI_DECODER_ERROR_FORMAT_CONTEXT_MAP_REPEAT":-8,"BROTLI_DECODER_ERROR_FORMAT_BLOCK_LENGTH_1":-9,"BROTLI_DECODER_ERROR_FORMAT_BLOCK_LENGTH_2":-10,"BROTLI_DECODER_ERROR_FORMAT_TRANSFORM":-11,"BROTLI_DECODER_ERROR_FORMAT_DICTIONARY":-12,"BROTLI_DECODER_ERROR_FORMAT_WINDOW_BITS":-13,"BROTLI_DECODER_ERROR_FORMAT_PADDING_1":-14,"BROTLI_DECODER_ERROR_FORMAT_PADDING_2":-15,"BROTLI_DECODER_ERROR_FORMAT_DISTANCE":-16,"BROTLI_DECODER_ERROR_DICTIONARY_NOT_SET":-19,"BROTLI_DECODER_ERROR_INVALID_ARGUMENTS":-20,"BROTLI_DECODER_ERROR_ALLOC_CONTEXT_MODES":-21,"BROTLI_DECODER_ERROR_ALLOC_TREE_GROUPS":-22,"BROTLI_DECODER_ERROR_ALLOC_CONTEXT_MAP":-25,"BROTLI_DECODER_ERROR_ALLOC_RING_BUFFER_1":-26,"BROTLI_DECODER_ERROR_ALLOC_RING_BUFFER_2":-27,"BROTLI_DECODER_ERROR_ALLOC_BLOCK_TYPE_TREES":-30,"BROTLI_DECODER_ERROR_UNREACHABLE":-31};
  constants.Z_MAX_CHUNK = Infinity;
  const input = (data) => {
    if (typeof data === "string") return Buffer.from(data);
    if (data instanceof ArrayBuffer) return new Uint8Array(data);
    if (ArrayBuffer.isView(data)) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    throw internal.codeError(TypeError, "ERR_INVALID_ARG_TYPE", `The "buffer" argument must be of type string or an instance of Buffer, TypedArray, DataView, or ArrayBuffer. Received ${data === null ? "null" : typeof data}`);
  };
  const errnos = { Z_DATA_ERROR: -3, Z_BUF_ERROR: -5 };
  function run(op, data, options = {}) {
    const level = options.level === undefined ? -1 : options.level;
    const params = options.params || {};
    const quality = params[constants.BROTLI_PARAM_QUALITY] === undefined ? constants.BROTLI_DEFAULT_QUALITY : params[constants.BROTLI_PARAM_QUALITY];
    const max = options.maxOutputLength === undefined ? Infinity : options.maxOutputLength;
    try {
      const out = natives.zlib(op, input(data), level, quality, max);
      return Buffer.from(out.buffer, out.byteOffset, out.length);
    } catch (e) {
      if (e.code in errnos) e.errno = errnos[e.code];
      throw e;
    }
  }
  const exports = { constants, codes: {} };
  for (const [code, name] of Object.entries({ 0: "Z_OK", 1: "Z_STREAM_END", 2: "Z_NEED_DICT", "-1": "Z_ERRNO", "-2": "Z_STREAM_ERROR", "-3": "Z_DATA_ERROR", "-4": "Z_MEM_ERROR", "-5": "Z_BUF_ERROR", "-6": "Z_VERSION_ERROR" })) {
    exports.codes[name] = Number(code);
    exports.codes[code] = name;
  }
  for (const op of ["gzip", "gunzip", "deflate", "inflate", "deflateRaw", "inflateRaw", "unzip", "brotliCompress", "brotliDecompress"]) {
    exports[`${op}Sync`] = (data, options) => run(op, data, options);
    exports[op] = (data, options, callback) => {
      if (typeof options === "function") {
        callback = options;
        options = {};
      }
      if (typeof callback !== "function") throw internal.codeError(TypeError, "ERR_INVALID_ARG_TYPE", 'The "callback" argument must be of type function');
      let result;
      let error = null;
      try {
        result = run(op, data, options);
      } catch (e) {
        error = e;
      }
      setImmediate(() => (error ? callback(error) : callback(null, result)));
    };
  }
  let table;
  exports.crc32 = function crc32(data, value = 0) {
    if (!table) {
      table = new Int32Array(256);
      for (let n = 0; n < 256; n++) {
        let c = n;
        for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
        table[n] = c;
      }
    }
    const bytes = input(data);
    let crc = ~value;
    for (let i = 0; i < bytes.length; i++) crc = table[(crc ^ bytes[i]) & 0xff] ^ (crc >>> 8);
    return ~crc >>> 0;
  };
  // ---- streams
  const { Transform } = require("stream");
  const empty = new Uint8Array(0);
  const asBuffer = (out) => Buffer.from(out.buffer, out.byteOffset, out.length);
  const zlibError = (e) => {
    if (e && e.code in errnos) e.errno = errnos[e.code];
    return e;
  };
  function ZlibBase(op, options) {
    const o = options || {};
    Transform.call(this, { ...o, objectMode: false, readableObjectMode: false, writableObjectMode: false });
    const params = o.params || {};
    const quality = params[constants.BROTLI_PARAM_QUALITY] === undefined ? constants.BROTLI_DEFAULT_QUALITY : params[constants.BROTLI_PARAM_QUALITY];
    Object.defineProperty(this, "_handle", { value: natives.zlibStream(op, o.level === undefined ? -1 : o.level, quality), writable: true });
    this.bytesWritten = 0;
    this._level = o.level === undefined ? -1 : o.level;
  }
  Object.setPrototypeOf(ZlibBase.prototype, Transform.prototype);
  Object.setPrototypeOf(ZlibBase, Transform);
  ZlibBase.prototype._run = function (chunk, mode) {
    const out = natives.zlibStreamWrite(this._handle, chunk, mode);
    if (out.length) this.push(asBuffer(out));
  };
  ZlibBase.prototype._transform = function (chunk, encoding, callback) {
    try {
      this._run(chunk, 0);
      this.bytesWritten += chunk.length;
      callback();
    } catch (e) {
      callback(zlibError(e));
    }
  };
  ZlibBase.prototype._flush = function (callback) {
    try {
      this._run(empty, 2);
      callback();
    } catch (e) {
      callback(zlibError(e));
    }
  };
  // Writes are handled as they come, so a flush covers everything written before it.
  ZlibBase.prototype.flush = function (kind, callback) {
    if (typeof kind === "function") callback = kind;
    try {
      if (!this.writableEnded) this._run(empty, 1);
    } catch (e) {
      this.destroy(zlibError(e));
    }
    if (typeof callback === "function") queueMicrotask(callback);
  };
  ZlibBase.prototype.close = function (callback) {
    if (typeof callback === "function") this.once("close", callback);
    this.destroy();
  };
  internal.unsupported(ZlibBase.prototype, "zlib stream", ["params", "reset"], "a zlib stream's parameters are fixed when it is created");
  const classes = { Gzip: "gzip", Gunzip: "gunzip", Deflate: "deflate", Inflate: "inflate", DeflateRaw: "deflateRaw", InflateRaw: "inflateRaw", Unzip: "unzip", BrotliCompress: "brotliCompress", BrotliDecompress: "brotliDecompress" };
  for (const [name, op] of Object.entries(classes)) {
    const Class = {
      [name]: function (options) {
        if (!(this instanceof Class)) return new Class(options);
        ZlibBase.call(this, op, options);
      },
    }[name];
    Object.setPrototypeOf(Class.prototype, ZlibBase.prototype);
    Object.setPrototypeOf(Class, ZlibBase);
    exports[name] = Class;
    exports[`create${name}`] = (options) => new Class(options);
  }
  return exports;
})

// `string_decoder`: decodes a byte stream to text without splitting characters across chunks
// (utf8, utf16le, base64, and the single-byte encodings).
(function (natives, require, internal) {
  "use strict";
  const { Buffer } = require("buffer");
  class StringDecoder {
    constructor(encoding) {
      const enc = (encoding || "utf8").toLowerCase();
      if (!Buffer.isEncoding(enc)) throw internal.codeError(TypeError, "ERR_UNKNOWN_ENCODING", `Unknown encoding: ${encoding}`);
      this.encoding = { "utf-8": "utf8", ucs2: "utf16le", "ucs-2": "utf16le", "utf-16le": "utf16le", binary: "latin1" }[enc] || enc;
      this.pending = Buffer.alloc(0);
    }
    // How many bytes at the end of `buf` begin a character that is not complete yet.
    incomplete(buf) {
      if (this.encoding === "utf8") {
        for (let back = 1; back <= Math.min(3, buf.length); back++) {
          const b = buf[buf.length - back];
          if ((b & 0xc0) === 0x80) continue;
          const need = b >= 0xf0 ? 4 : b >= 0xe0 ? 3 : b >= 0xc0 ? 2 : 1;
          return need > back ? back : 0;
        }
        return 0;
      }
      if (this.encoding === "utf16le") return buf.length % 2;
      if (this.encoding === "base64" || this.encoding === "base64url") return buf.length % 3;
      return 0;
    }
    write(chunk) {
      if (typeof chunk === "string") return chunk;
      const buf = this.pending.length ? Buffer.concat([this.pending, chunk]) : Buffer.from(chunk);
      const keep = this.incomplete(buf);
      this.pending = Buffer.from(buf.subarray(buf.length - keep));
      return buf.toString(this.encoding, 0, buf.length - keep);
    }
    end(chunk) {
      let out = chunk === undefined ? "" : this.write(chunk);
      if (this.pending.length) out += this.pending.toString(this.encoding);
      this.pending = Buffer.alloc(0);
      return out;
    }
  }
  return { StringDecoder };
})

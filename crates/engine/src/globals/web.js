// Web globals functions commonly use: `atob`/`btoa`, `TextEncoder`/`TextDecoder` (UTF-8, as
// Node's), and `global`. The natives are closed over here; function code never reaches them.
(function (utf8Encode, utf8Decode, base64Encode, base64Decode) {
  "use strict";
  const invalidCharacter = (message) => {
    const e = new Error(message);
    e.name = "InvalidCharacterError";
    return e;
  };
  const required = (name, n) => {
    if (n === 0) throw new TypeError(`The "${name}" argument must be specified`);
  };
  function btoa(data) {
    required("data", arguments.length);
    const text = String(data);
    for (let i = 0; i < text.length; i++) {
      if (text.charCodeAt(i) > 255) throw invalidCharacter("Invalid character");
    }
    return base64Encode(text);
  }
  function atob(data) {
    required("data", arguments.length);
    const decoded = base64Decode(String(data));
    if (decoded === null) throw invalidCharacter("The string to be decoded is not correctly encoded.");
    return decoded;
  }
  class TextEncoder {
    get encoding() { return "utf-8"; }
    encode(input = "") { return utf8Encode(String(input)); }
    encodeInto(source, destination) {
      if (!(destination instanceof Uint8Array)) {
        throw new TypeError('The "dest" argument must be an instance of Uint8Array');
      }
      let read = 0;
      let written = 0;
      for (const ch of String(source)) {
        const bytes = utf8Encode(ch);
        if (written + bytes.length > destination.length) break;
        destination.set(bytes, written);
        written += bytes.length;
        read += ch.length;
      }
      return { read, written };
    }
  }
  const labels = ["utf-8", "utf8", "unicode-1-1-utf-8"];
  // How many bytes at the end of `bytes` begin a UTF-8 sequence they do not finish.
  function unfinished(bytes) {
    for (let back = 1; back <= Math.min(3, bytes.length); back++) {
      const b = bytes[bytes.length - back];
      if ((b & 0xc0) === 0x80) continue; // a continuation byte: look further back
      const needs = b >= 0xf0 ? 4 : b >= 0xe0 ? 3 : b >= 0xc0 ? 2 : 1;
      return needs > back ? back : 0;
    }
    return 0;
  }
  class TextDecoder {
    #fatal;
    #ignoreBOM;
    #pending = null;
    #streaming = false;
    constructor(label = "utf-8", options = {}) {
      const name = String(label).trim().toLowerCase();
      if (!labels.includes(name)) throw new RangeError(`The "${label}" encoding is not supported`);
      this.#fatal = Boolean(options && options.fatal);
      this.#ignoreBOM = Boolean(options && options.ignoreBOM);
    }
    get encoding() { return "utf-8"; }
    get fatal() { return this.#fatal; }
    get ignoreBOM() { return this.#ignoreBOM; }
    // With `{stream: true}`, a sequence cut at the end of `input` waits for the next call.
    decode(input = new Uint8Array(0), options = {}) {
      let bytes;
      if (input instanceof ArrayBuffer) bytes = new Uint8Array(input);
      else if (ArrayBuffer.isView(input)) bytes = new Uint8Array(input.buffer, input.byteOffset, input.byteLength);
      else throw new TypeError('The "input" argument must be an instance of ArrayBuffer or ArrayBufferView');
      const stream = Boolean(options && options.stream);
      if (this.#pending !== null) {
        const joined = new Uint8Array(this.#pending.length + bytes.length);
        joined.set(this.#pending);
        joined.set(bytes, this.#pending.length);
        bytes = joined;
        this.#pending = null;
      }
      if (stream) {
        const cut = unfinished(bytes);
        if (cut > 0) {
          this.#pending = bytes.slice(bytes.length - cut);
          bytes = bytes.subarray(0, bytes.length - cut);
        }
      }
      // A byte order mark is dropped at the start of a stream only.
      const text = utf8Decode(bytes, this.#fatal, this.#ignoreBOM || this.#streaming);
      if (text === null) {
        this.#streaming = false;
        throw new TypeError("The encoded data was not valid for encoding utf-8");
      }
      this.#streaming = stream && (this.#streaming || bytes.length > 0);
      return text;
    }
  }
  const define = (name, value) =>
    Object.defineProperty(globalThis, name, { value, writable: true, configurable: true, enumerable: false });
  define("atob", atob);
  define("btoa", btoa);
  define("TextEncoder", TextEncoder);
  define("TextDecoder", TextDecoder);
  define("global", globalThis);
})

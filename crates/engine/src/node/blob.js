// `Blob`, `File` and `FormData` (WHATWG, as Node 20 has them as globals), and the
// multipart/form-data encoding and decoding `fetch` uses for FormData bodies. A blob holds its
// bytes in memory (no `stream()`: writ has no ReadableStream).
(function (natives, require, internal) {
  "use strict";
  const encoder = new TextEncoder();
  const decoder = new TextDecoder();

  // The bytes of one blob part: an ArrayBuffer, a view, a Blob, or anything else as a string.
  let bytesOf;
  function partBytes(part, endings) {
    if (part instanceof ArrayBuffer) return new Uint8Array(part.slice(0));
    if (ArrayBuffer.isView(part)) return new Uint8Array(part.buffer.slice(part.byteOffset, part.byteOffset + part.byteLength));
    if (part instanceof Blob) return bytesOf(part);
    let text = String(part);
    if (endings === "native") text = text.replace(/\r\n|\r/g, "\n");
    return encoder.encode(text);
  }
  function concat(chunks) {
    const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
    let at = 0;
    for (const c of chunks) {
      out.set(c, at);
      at += c.length;
    }
    return out;
  }
  // A type as the spec keeps it: lower case, or empty when it has a character outside U+0020-U+007E.
  const normalType = (type) => {
    const t = String(type);
    return /^[\x20-\x7e]*$/.test(t) ? t.toLowerCase() : "";
  };

  class Blob {
    #bytes;
    #type;
    constructor(parts = [], options = {}) {
      if (parts === null || typeof parts !== "object" || typeof parts[Symbol.iterator] !== "function") {
        throw internal.codeError(TypeError, "ERR_INVALID_ARG_TYPE", 'The "sources" argument must be a sequence.');
      }
      const opts = options === undefined || options === null ? {} : options;
      const endings = opts.endings === undefined ? "transparent" : String(opts.endings);
      if (endings !== "transparent" && endings !== "native") {
        throw internal.codeError(TypeError, "ERR_INVALID_ARG_VALUE", `The property 'options.endings' must be one of: 'transparent', 'native'. Received '${endings}'`);
      }
      this.#bytes = concat(Array.from(parts, (p) => partBytes(p, endings)));
      this.#type = opts.type === undefined ? "" : normalType(opts.type);
    }
    static {
      bytesOf = (blob) => blob.#bytes;
    }
    get size() {
      return this.#bytes.length;
    }
    get type() {
      return this.#type;
    }
    slice(start = 0, end = this.#bytes.length, contentType = "") {
      const size = this.#bytes.length;
      const clamp = (n) => {
        n = Math.trunc(Number(n)) || 0;
        return n < 0 ? Math.max(size + n, 0) : Math.min(n, size);
      };
      const from = clamp(start);
      const to = Math.max(clamp(end), from);
      return new Blob([this.#bytes.subarray(from, to)], { type: contentType });
    }
    text() {
      return Promise.resolve(decoder.decode(this.#bytes));
    }
    arrayBuffer() {
      return Promise.resolve(this.#bytes.slice().buffer);
    }
    bytes() {
      return Promise.resolve(this.#bytes.slice());
    }
    stream() {
      return internal.missing("Blob.stream (ReadableStream)")();
    }
    get [Symbol.toStringTag]() {
      return "Blob";
    }
  }

  class File extends Blob {
    #name;
    #lastModified;
    constructor(bits, name, options = {}) {
      if (arguments.length < 2) throw new TypeError("The \"fileBits\" and \"fileName\" arguments must be specified");
      super(bits, options);
      this.#name = String(name);
      const opts = options === undefined || options === null ? {} : options;
      this.#lastModified = opts.lastModified === undefined ? Date.now() : Math.trunc(Number(opts.lastModified)) || 0;
    }
    get name() {
      return this.#name;
    }
    get lastModified() {
      return this.#lastModified;
    }
    get [Symbol.toStringTag]() {
      return "File";
    }
  }

  // A form entry's value: a string, or a File (a Blob becomes one named `filename` or "blob").
  function entryValue(value, filename) {
    if (!(value instanceof Blob)) return String(value);
    if (value instanceof File && filename === undefined) return value;
    const name = filename !== undefined ? String(filename) : value instanceof File ? value.name : "blob";
    return new File([value], name, { type: value.type, lastModified: value instanceof File ? value.lastModified : undefined });
  }

  class FormData {
    #entries = [];
    constructor(form = undefined) {
      if (form !== undefined) throw new TypeError("Failed to construct 'FormData': parameter 1 is not of type 'HTMLFormElement'.");
    }
    append(name, value, filename = undefined) {
      this.#entries.push([String(name), entryValue(value, filename)]);
    }
    set(name, value, filename = undefined) {
      const n = String(name);
      const entry = [n, entryValue(value, filename)];
      const i = this.#entries.findIndex(([k]) => k === n);
      if (i === -1) {
        this.#entries.push(entry);
      } else {
        this.#entries = this.#entries.filter(([k], j) => k !== n || j === i);
        this.#entries[i] = entry;
      }
    }
    delete(name) {
      const n = String(name);
      this.#entries = this.#entries.filter(([k]) => k !== n);
    }
    get(name) {
      const n = String(name);
      const e = this.#entries.find(([k]) => k === n);
      return e === undefined ? null : e[1];
    }
    getAll(name) {
      const n = String(name);
      return this.#entries.filter(([k]) => k === n).map(([, v]) => v);
    }
    has(name) {
      const n = String(name);
      return this.#entries.some(([k]) => k === n);
    }
    forEach(callback, thisArg) {
      for (const [k, v] of this) callback.call(thisArg, v, k, this);
    }
    *entries() {
      for (const [k, v] of this.#entries) yield [k, v];
    }
    *keys() {
      for (const [k] of this.#entries) yield k;
    }
    *values() {
      for (const [, v] of this.#entries) yield v;
    }
    [Symbol.iterator]() {
      return this.entries();
    }
    get [Symbol.toStringTag]() {
      return "FormData";
    }
  }

  // multipart/form-data as undici writes it: the body's bytes and its content type.
  function encodeForm(form) {
    let boundary = "----formdata-writ-0";
    for (let i = 0; i < 11; i++) boundary += Math.floor(Math.random() * 10);
    const escape = (s) => s.replace(/\n/g, "%0A").replace(/\r/g, "%0D").replace(/"/g, "%22");
    const lines = (s) => s.replace(/\r(?!\n)|(?<!\r)\n/g, "\r\n");
    const chunks = [];
    for (const [name, value] of form) {
      let head = `--${boundary}\r\nContent-Disposition: form-data; name="${escape(lines(name))}"`;
      if (typeof value === "string") {
        chunks.push(encoder.encode(`${head}\r\n\r\n${lines(value)}\r\n`));
      } else {
        head += `; filename="${escape(value.name)}"\r\nContent-Type: ${value.type || "application/octet-stream"}\r\n\r\n`;
        chunks.push(encoder.encode(head), bytesOf(value), encoder.encode("\r\n"));
      }
    }
    chunks.push(encoder.encode(`--${boundary}--\r\n`));
    return [concat(chunks), `multipart/form-data; boundary=${boundary}`];
  }

  // A FormData from a body of `contentType` (multipart/form-data or urlencoded).
  function decodeForm(bytes, contentType) {
    const type = String(contentType || "").toLowerCase();
    const form = new FormData();
    if (type.startsWith("application/x-www-form-urlencoded")) {
      for (const [k, v] of new URLSearchParams(decoder.decode(bytes))) form.append(k, v);
      return form;
    }
    const match = /boundary=(?:"([^"]+)"|([^;]+))/i.exec(String(contentType || ""));
    if (!type.startsWith("multipart/form-data") || match === null) {
      throw new TypeError("Response.formData: the body is neither multipart/form-data nor application/x-www-form-urlencoded");
    }
    const delimiter = encoder.encode(`--${match[1] || match[2].trim()}`);
    const indexOf = (from) => {
      outer: for (let i = from; i <= bytes.length - delimiter.length; i++) {
        for (let j = 0; j < delimiter.length; j++) if (bytes[i + j] !== delimiter[j]) continue outer;
        return i;
      }
      return -1;
    };
    let at = indexOf(0);
    while (at !== -1) {
      let start = at + delimiter.length;
      if (bytes[start] === 0x2d && bytes[start + 1] === 0x2d) break; // the closing delimiter
      start += 2; // CRLF
      const next = indexOf(start);
      if (next === -1) throw new TypeError("Response.formData: the multipart body is not closed");
      const part = bytes.subarray(start, next - 2); // the CRLF before the delimiter
      let split = -1;
      for (let i = 0; i + 3 < part.length; i++) {
        if (part[i] === 13 && part[i + 1] === 10 && part[i + 2] === 13 && part[i + 3] === 10) {
          split = i;
          break;
        }
      }
      if (split === -1) throw new TypeError("Response.formData: a multipart part has no header end");
      const headers = decoder.decode(part.subarray(0, split));
      const body = part.subarray(split + 4);
      const disposition = /content-disposition:[^\r\n]*/i.exec(headers);
      const name = disposition && /\bname="([^"]*)"/i.exec(disposition[0]);
      if (!name) throw new TypeError("Response.formData: a multipart part has no name");
      const filename = /\bfilename="([^"]*)"/i.exec(disposition[0]);
      if (filename) {
        const partType = /content-type:\s*([^\r\n]*)/i.exec(headers);
        form.append(name[1], new File([body], filename[1], { type: partType ? partType[1].trim() : "" }));
      } else {
        form.append(name[1], decoder.decode(body));
      }
      at = next;
    }
    return form;
  }

  return { Blob, File, FormData, bytesOf: (blob) => bytesOf(blob), encodeForm, decodeForm };
})

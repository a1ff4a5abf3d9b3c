// `fetch` with `Headers`, `Request` and `Response` (WHATWG, as Node 20 has them; Blob and
// FormData bodies from blob.js, `Response.body` a web_streams.js stream), over the
// server's outbound HTTP service: the request runs on the server under its policy, and the
// whole response body arrives at once (`Response.body` streams it as one chunk).
(function (natives, require, internal) {
  "use strict";
  const { Buffer } = require("buffer");
  const blobs = require("internal/blob");
  const codeError = internal.codeError;
  const token = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

  function checkName(name) {
    name = String(name);
    if (!token.test(name)) throw new TypeError(`Headers.append: "${name}" is an invalid header name.`);
    return name.toLowerCase();
  }
  class Headers {
    #list = [];
    constructor(init = undefined) {
      if (init === undefined || init === null) return;
      if (init instanceof Headers) {
        for (const [k, v] of init) this.append(k, v);
      } else if (typeof init[Symbol.iterator] === "function") {
        for (const pair of init) {
          const p = Array.from(pair);
          if (p.length !== 2) throw new TypeError("Headers constructor: expected name/value pair to be length 2");
          this.append(p[0], p[1]);
        }
      } else if (typeof init === "object") {
        for (const k of Object.keys(init)) this.append(k, init[k]);
      } else {
        throw new TypeError("Headers constructor: argument must be an object or iterable");
      }
    }
    append(name, value) {
      const v = String(value).trim();
      if (/[\r\n\0]/.test(v)) throw new TypeError(`Headers.append: "${v}" is an invalid header value.`);
      this.#list.push([checkName(name), v]);
    }
    delete(name) {
      const n = checkName(name);
      this.#list = this.#list.filter(([k]) => k !== n);
    }
    get(name) {
      const n = checkName(name);
      const values = this.#list.filter(([k]) => k === n).map(([, v]) => v);
      return values.length === 0 ? null : values.join(", ");
    }
    getSetCookie() {
      return this.#list.filter(([k]) => k === "set-cookie").map(([, v]) => v);
    }
    has(name) {
      const n = checkName(name);
      return this.#list.some(([k]) => k === n);
    }
    set(name, value) {
      const n = checkName(name);
      const v = String(value).trim();
      const i = this.#list.findIndex(([k]) => k === n);
      this.#list = this.#list.filter(([k], j) => k !== n || j === i);
      if (i === -1) this.#list.push([n, v]);
      else this.#list[this.#list.findIndex(([k]) => k === n)][1] = v;
    }
    forEach(callback, thisArg) {
      for (const [k, v] of this) callback.call(thisArg, v, k, this);
    }
    *entries() {
      const names = [...new Set(this.#list.map(([k]) => k))].sort();
      for (const n of names) {
        if (n === "set-cookie") {
          for (const v of this.getSetCookie()) yield [n, v];
        } else {
          yield [n, this.get(n)];
        }
      }
    }
    *keys() {
      for (const [k] of this.entries()) yield k;
    }
    *values() {
      for (const [, v] of this.entries()) yield v;
    }
    [Symbol.iterator]() {
      return this.entries();
    }
    get [Symbol.toStringTag]() {
      return "Headers";
    }
  }

  // A body as bytes, and the content type it implies.
  function extract(body) {
    if (body === undefined || body === null) return [null, null];
    if (typeof body === "string") return [Buffer.from(body), "text/plain;charset=UTF-8"];
    if (body instanceof URLSearchParams) return [Buffer.from(body.toString()), "application/x-www-form-urlencoded;charset=UTF-8"];
    if (body instanceof ArrayBuffer) return [Buffer.from(new Uint8Array(body)), null];
    if (ArrayBuffer.isView(body)) return [Buffer.from(new Uint8Array(body.buffer, body.byteOffset, body.byteLength)), null];
    if (body instanceof blobs.Blob) return [Buffer.from(blobs.bytesOf(body)), body.type === "" ? null : body.type];
    if (body instanceof blobs.FormData) {
      const [bytes, type] = blobs.encodeForm(body);
      return [Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length), type];
    }
    if (body instanceof BSON.Binary) {
      const bytes = natives.binaryBytes(body);
      return [Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length), null];
    }
    throw codeError(TypeError, "ERR_NOT_SUPPORTED_BY_WRIT", "fetch: only string, URLSearchParams, ArrayBuffer, typed array, Blob and FormData bodies are supported by writ");
  }

  function consume(bytes, used) {
    if (used()) throw new TypeError("Body is unusable: Body has already been read");
    return bytes === null ? Buffer.alloc(0) : bytes;
  }
  // Shared by Request and Response: the reading methods over a body held as bytes.
  function bodyMethods(Class, bytesOf, markUsed) {
    const typeOf = (self) => self.headers.get("content-type");
    const read = (self) => {
      const b = bytesOf(self);
      markUsed(self);
      return b;
    };
    Object.assign(Class.prototype, {
      text() {
        try {
          return Promise.resolve(read(this).toString("utf8"));
        } catch (e) {
          return Promise.reject(e);
        }
      },
      json() {
        return this.text().then((t) => JSON.parse(t));
      },
      arrayBuffer() {
        try {
          const b = read(this);
          return Promise.resolve(b.buffer.slice(b.byteOffset, b.byteOffset + b.length));
        } catch (e) {
          return Promise.reject(e);
        }
      },
      bytes() {
        try {
          return Promise.resolve(new Uint8Array(read(this)));
        } catch (e) {
          return Promise.reject(e);
        }
      },
      blob() {
        try {
          return Promise.resolve(new blobs.Blob([read(this)], { type: typeOf(this) || "" }));
        } catch (e) {
          return Promise.reject(e);
        }
      },
      formData() {
        try {
          return Promise.resolve(blobs.decodeForm(read(this), typeOf(this)));
        } catch (e) {
          return Promise.reject(e);
        }
      },
    });
  }

  let responseParts;
  class Response {
    #bytes;
    #stream = undefined;
    #used = false;
    #status;
    #statusText;
    #headers;
    #url = "";
    #redirected = false;
    #type = "default";
    constructor(body = null, init = {}) {
      const status = init.status === undefined ? 200 : Number(init.status);
      if (!(status >= 200 && status <= 599)) throw new RangeError(`init["status"] must be in the range of 200 to 599, inclusive.`);
      const [bytes, type] = extract(body);
      this.#bytes = bytes;
      this.#status = status;
      this.#statusText = init.statusText === undefined ? "" : String(init.statusText);
      this.#headers = new Headers(init.headers);
      if (type !== null && !this.#headers.has("content-type")) this.#headers.set("content-type", type);
    }
    static {
      responseParts = {
        bytes: (r) => consume(r.#bytes, () => r.#used),
        used: (r) => {
          r.#used = true;
        },
        fill: (r, url, redirected, status, statusText) => {
          r.#url = url;
          r.#redirected = redirected;
          r.#status = status;
          r.#statusText = statusText;
          r.#type = "basic";
        },
      };
    }
    get ok() {
      return this.#status >= 200 && this.#status <= 299;
    }
    get status() {
      return this.#status;
    }
    get statusText() {
      return this.#statusText;
    }
    get headers() {
      return this.#headers;
    }
    get url() {
      return this.#url;
    }
    get redirected() {
      return this.#redirected;
    }
    get type() {
      return this.#type;
    }
    get bodyUsed() {
      return this.#used;
    }
    // The body as a ReadableStream (the same one each time), whose first read uses the body.
    get body() {
      if (this.#bytes === null) return null;
      if (this.#stream === undefined) {
        const { ReadableStream } = require("stream/web");
        const pull = (c) => {
          const bytes = consume(this.#bytes, () => this.#used);
          this.#used = true;
          if (bytes.length > 0) c.enqueue(new Uint8Array(bytes));
          c.close();
        };
        this.#stream = new ReadableStream({ pull }, { highWaterMark: 0 });
      }
      return this.#stream;
    }
    clone() {
      if (this.#used) throw new TypeError("Response.clone: Body has already been consumed.");
      const r = new Response(this.#bytes === null ? null : Buffer.from(this.#bytes), { status: this.#status === 0 ? 200 : this.#status, statusText: this.#statusText, headers: this.#headers });
      responseParts.fill(r, this.#url, this.#redirected, this.#status, this.#statusText);
      return r;
    }
    static json(data, init = {}) {
      const headers = new Headers(init.headers);
      if (!headers.has("content-type")) headers.set("content-type", "application/json");
      return new Response(JSON.stringify(data), { ...init, headers });
    }
    static redirect(url, status = 302) {
      if (![301, 302, 303, 307, 308].includes(status)) throw new RangeError(`Invalid status code ${status}`);
      return new Response(null, { status, headers: { location: new URL(url).href } });
    }
    get [Symbol.toStringTag]() {
      return "Response";
    }
  }
  bodyMethods(Response, (r) => responseParts.bytes(r), (r) => responseParts.used(r));

  let requestParts;
  class Request {
    #url;
    #method;
    #headers;
    #bytes;
    #redirect;
    #signal;
    #used = false;
    constructor(input, init = {}) {
      const from = input instanceof Request ? input : null;
      const url = new URL(from ? from.url : String(input));
      if (url.username || url.password) throw new TypeError(`Request cannot be constructed from a URL that includes credentials: ${url.href}`);
      this.#url = url.href;
      let method = init.method !== undefined ? String(init.method) : from ? from.method : "GET";
      if (!token.test(method)) throw new TypeError(`'${method}' is not a valid HTTP method.`);
      const upper = method.toUpperCase();
      if (["DELETE", "GET", "HEAD", "OPTIONS", "POST", "PUT", "PATCH"].includes(upper)) method = upper;
      if (["CONNECT", "TRACE", "TRACK"].includes(upper)) throw new TypeError(`'${method}' HTTP method is unsupported.`);
      this.#method = method;
      this.#headers = new Headers(init.headers !== undefined ? init.headers : from ? from.headers : undefined);
      let bytes = from ? requestParts.bytes(from) : null;
      if (init.body !== undefined && init.body !== null) {
        if (method === "GET" || method === "HEAD") throw new TypeError("Request with GET/HEAD method cannot have body.");
        const [b, type] = extract(init.body);
        bytes = b;
        if (type !== null && !this.#headers.has("content-type")) this.#headers.set("content-type", type);
      }
      this.#bytes = bytes;
      const redirect = init.redirect !== undefined ? String(init.redirect) : from ? from.redirect : "follow";
      if (!["follow", "manual", "error"].includes(redirect)) throw new TypeError(`Request constructor: ${redirect} is not an accepted type. Expected one of follow, manual, error.`);
      this.#redirect = redirect;
      const signal = init.signal !== undefined ? init.signal : from ? from.signal : null;
      if (signal !== null && (typeof signal !== "object" || typeof signal.addEventListener !== "function")) {
        throw new TypeError("Failed to construct 'Request': member signal is not of type AbortSignal.");
      }
      // As in Node, a request made without a signal has one that never aborts.
      this.#signal = signal !== null ? signal : new AbortController().signal;
    }
    static {
      requestParts = {
        bytes: (r) => r.#bytes,
        read: (r) => consume(r.#bytes, () => r.#used),
        used: (r) => {
          r.#used = true;
        },
      };
    }
    get url() {
      return this.#url;
    }
    get method() {
      return this.#method;
    }
    get headers() {
      return this.#headers;
    }
    get redirect() {
      return this.#redirect;
    }
    // The signal the request was made with.
    get signal() {
      return this.#signal;
    }
    get bodyUsed() {
      return this.#used;
    }
    clone() {
      return new Request(this);
    }
    get [Symbol.toStringTag]() {
      return "Request";
    }
  }
  bodyMethods(Request, (r) => requestParts.read(r), (r) => requestParts.used(r));

  async function fetch(input, init = undefined) {
    const request = new Request(input, init);
    const signal = request.signal;
    if (signal.aborted) throw signal.reason;
    const bytes = requestParts.bytes(request);
    const spec = {
      method: request.method,
      url: request.url,
      headers: [...request.headers].map(([k, v]) => [k, v]),
      redirect: request.redirect,
    };
    if (bytes !== null) spec.body = new BSON.Binary(new Uint8Array(bytes), 0);
    let r;
    const [request_, opId] = natives.httpRequest(spec);
    const sent = request_.then(
      (value) => value,
      (e) => {
        throw new TypeError("fetch failed", { cause: e });
      },
    );
    {
      // The request runs on the server to its end; an abort settles the fetch at once and
      // its answer is dropped.
      let onAbort;
      const aborted = new Promise((_, reject) => {
        onAbort = () => {
          natives.httpAbandon(opId);
          reject(signal.reason);
        };
        signal.addEventListener("abort", onAbort, { once: true });
      });
      try {
        r = await Promise.race([sent, aborted]);
      } finally {
        signal.removeEventListener("abort", onAbort);
      }
    }
    const bytes = natives.binaryBytes(r.body);
    const body = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
    const response = new Response(request.method === "HEAD" || [204, 304].includes(r.status) ? null : body, { status: 200, headers: r.headers });
    responseParts.fill(response, r.url, r.redirected, r.status, r.statusText);
    return response;
  }
  return { fetch, Headers, Request, Response };
})

// `http` and `https` clients (`request`, `get`, `Agent`), over the server's outbound HTTP
// service: the classic `https.get(url, (res) => { res.on("data", ...); res.on("end", ...) })`
// and `request(...).write(...).end()` patterns. The whole response arrives at once; the
// response is a stream Readable whose one chunk is the body (so `pipe`, `pipeline`,
// `setEncoding` and async iteration work). Redirects are not followed (as in
// Node). `createServer` is not available to functions.
(function (natives, require, internal) {
  "use strict";
  const EventEmitter = require("events");
  const { Buffer } = require("buffer");
  const codeError = internal.codeError;

  const { Readable } = require("stream");
  const body = Symbol("body");
  // The response: a Readable whose one chunk is the whole body.
  class IncomingMessage extends Readable {
    constructor(answer) {
      super();
      this.statusCode = answer.status;
      this.statusMessage = answer.statusText;
      this.httpVersion = "1.1";
      this.httpVersionMajor = 1;
      this.httpVersionMinor = 1;
      this.rawHeaders = [];
      this.headers = {};
      for (const [k, v] of answer.headers) {
        this.rawHeaders.push(k, v);
        if (k === "set-cookie") (this.headers[k] = this.headers[k] || []).push(v);
        else this.headers[k] = k in this.headers ? `${this.headers[k]}, ${v}` : v;
      }
      this.complete = false;
      this.url = "";
      this.method = null;
      const bytes = natives.binaryBytes(answer.body);
      Object.defineProperty(this, body, { value: Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length), writable: true });
      this.once("end", () => {
        this.complete = true;
      });
    }
    _read() {
      const bytes = this[body];
      if (bytes === null) return;
      this[body] = null;
      if (bytes.length > 0) this.push(bytes);
      this.push(null);
    }
  }

  // The connection a request runs on, as far as a function can act on it: the server holds
  // the real one. `setTimeout` is its idle timeout (until the response arrives), `destroy`
  // ends the request; Node's clients and wrappers (follow-redirects) wait for it.
  class RequestSocket extends EventEmitter {
    #request;
    #timer = null;
    constructor(request) {
      super();
      this.#request = request;
      this.connecting = false;
      this.destroyed = false;
      this.readable = true;
      this.writable = true;
    }
    setTimeout(ms, callback) {
      if (typeof callback === "function") this.once("timeout", callback);
      this._clearTimer();
      if (ms > 0) this.#timer = setTimeout(() => this.emit("timeout"), ms).unref();
      return this;
    }
    _clearTimer() {
      if (this.#timer !== null) clearTimeout(this.#timer);
      this.#timer = null;
    }
    destroy(error) {
      if (this.destroyed) return this;
      this.destroyed = true;
      this._clearTimer();
      this.#request.destroy(error);
      queueMicrotask(() => this.emit("close", Boolean(error)));
      return this;
    }
    end() {
      return this;
    }
    setNoDelay() {
      return this;
    }
    setKeepAlive() {
      return this;
    }
    ref() {
      return this;
    }
    unref() {
      return this;
    }
    address() {
      return {};
    }
  }

  class Agent {
    constructor(options = {}) {
      this.options = { ...options };
      this.keepAlive = Boolean(options.keepAlive);
      this.maxSockets = options.maxSockets === undefined ? Infinity : options.maxSockets;
    }
    destroy() {}
  }

  function makeModule(defaultProtocol, defaultPort) {
    const globalAgent = new Agent();

    class ClientRequest extends EventEmitter {
      #url;
      #headers = new Map();
      #chunks = [];
      #sent = false;
      #op = null;
      #done = false;
      #timer = null;
      constructor(url, options, callback) {
        super();
        this.method = String(options.method || "GET").toUpperCase();
        this.path = url.pathname + url.search;
        this.host = url.hostname;
        this.protocol = url.protocol;
        this.#url = url;
        this.aborted = false;
        this.destroyed = false;
        const headers = options.headers || {};
        for (const k of Object.keys(headers)) this.setHeader(k, headers[k]);
        // Node sets Host itself (without the scheme's default port); clients read it back.
        if (!this.hasHeader("host") && options.setHost !== false) this.setHeader("Host", url.host);
        if (options.auth && !this.hasHeader("authorization")) this.setHeader("Authorization", `Basic ${Buffer.from(options.auth).toString("base64")}`);
        if (typeof callback === "function") this.once("response", callback);
        if (options.timeout !== undefined) this.setTimeout(options.timeout);
        this.socket = null;
        queueMicrotask(() => {
          if (this.destroyed) return;
          this.socket = this.connection = new RequestSocket(this);
          this.emit("socket", this.socket);
        });
      }
      setHeader(name, value) {
        if (this.#sent) throw codeError(Error, "ERR_HTTP_HEADERS_SENT", "Cannot set headers after they are sent to the client");
        this.#headers.set(String(name).toLowerCase(), [String(name), value]);
        return this;
      }
      getHeader(name) {
        const h = this.#headers.get(String(name).toLowerCase());
        return h === undefined ? undefined : h[1];
      }
      hasHeader(name) {
        return this.#headers.has(String(name).toLowerCase());
      }
      removeHeader(name) {
        this.#headers.delete(String(name).toLowerCase());
      }
      getHeaders() {
        const out = Object.create(null);
        for (const [k, [, v]] of this.#headers) out[k] = v;
        return out;
      }
      getHeaderNames() {
        return [...this.#headers.keys()];
      }
      write(chunk, encoding, callback) {
        if (typeof encoding === "function") {
          callback = encoding;
          encoding = undefined;
        }
        if (this.#sent) throw codeError(Error, "ERR_STREAM_WRITE_AFTER_END", "write after end");
        this.#chunks.push(typeof chunk === "string" ? Buffer.from(chunk, encoding) : Buffer.from(chunk));
        if (typeof callback === "function") queueMicrotask(callback);
        return true;
      }
      end(chunk, encoding, callback) {
        if (typeof chunk === "function") {
          callback = chunk;
          chunk = undefined;
        } else if (typeof encoding === "function") {
          callback = encoding;
          encoding = undefined;
        }
        if (chunk !== undefined && chunk !== null) this.write(chunk, encoding);
        if (this.#sent) return this;
        this.#sent = true;
        if (typeof callback === "function") this.once("finish", callback);
        const headers = [];
        for (const [, [name, value]] of this.#headers) {
          for (const v of Array.isArray(value) ? value : [value]) headers.push([name, String(v)]);
        }
        const spec = { method: this.method, url: this.#url.href, headers, redirect: "manual" };
        if (this.#chunks.length) spec.body = new BSON.Binary(new Uint8Array(Buffer.concat(this.#chunks)), 0);
        let promise;
        try {
          [promise, this.#op] = natives.httpRequest(spec);
        } catch (e) {
          queueMicrotask(() => this.#fail(e));
          return this;
        }
        queueMicrotask(() => this.emit("finish"));
        promise.then(
          (answer) => {
            if (this.#done) return;
            this.#done = true;
            this.#clearTimer();
            if (this.socket) this.socket._clearTimer();
            const res = new IncomingMessage(answer);
            res.socket = res.connection = this.socket;
            res.req = this;
            if (this.listenerCount("response") === 0) res.resume();
            this.emit("response", res);
            this.emit("close");
          },
          (e) => this.#fail(e),
        );
        return this;
      }
      #fail(e) {
        if (this.#done) return;
        this.#done = true;
        this.#clearTimer();
        if (this.socket) this.socket._clearTimer();
        const error = new Error(e && e.message ? e.message : String(e));
        error.code = "ECONNREFUSED";
        this.emit("error", error);
        this.emit("close");
      }
      #clearTimer() {
        if (this.#timer !== null) clearTimeout(this.#timer);
        this.#timer = null;
      }
      setTimeout(ms, callback) {
        if (typeof callback === "function") this.once("timeout", callback);
        this.#clearTimer();
        if (ms > 0) this.#timer = setTimeout(() => this.emit("timeout"), ms).unref();
        return this;
      }
      destroy(error) {
        if (this.destroyed) return this;
        this.destroyed = true;
        this.#clearTimer();
        if (this.socket) this.socket._clearTimer();
        if (this.#op !== null && !this.#done) natives.httpAbandon(this.#op);
        const wasDone = this.#done;
        this.#done = true;
        if (!wasDone) {
          queueMicrotask(() => {
            if (error) this.emit("error", error);
            else {
              const e = new Error("socket hang up");
              e.code = "ECONNRESET";
              this.emit("error", e);
            }
            this.emit("close");
          });
        }
        return this;
      }
      abort() {
        this.aborted = true;
        this.emit("abort");
        return this.destroy();
      }
      flushHeaders() {}
      setNoDelay() {}
      setSocketKeepAlive() {}
    }

    function target(input, options) {
      if (input instanceof URL) input = input.href;
      if (typeof input === "string") return [new URL(input), options || {}];
      options = input || {};
      const protocol = options.protocol || defaultProtocol;
      if (protocol !== defaultProtocol) throw codeError(TypeError, "ERR_INVALID_PROTOCOL", `Protocol "${protocol}" not supported. Expected "${defaultProtocol}"`);
      const host = options.hostname || (options.host ? String(options.host).replace(/:\d+$/, "") : "localhost");
      const port = options.port ? `:${options.port}` : "";
      const hostPart = host.includes(":") && !host.startsWith("[") ? `[${host}]` : host;
      return [new URL(`${protocol}//${hostPart}${port}${options.path || "/"}`), options];
    }
    function request(input, options, callback) {
      if (typeof options === "function") {
        callback = options;
        options = undefined;
      }
      const [url, opts] = target(input, typeof input === "string" || input instanceof URL ? options : input);
      const merged = typeof input === "string" || input instanceof URL ? { ...(options || {}) } : opts;
      if (url.protocol !== defaultProtocol) throw codeError(TypeError, "ERR_INVALID_PROTOCOL", `Protocol "${url.protocol}" not supported. Expected "${defaultProtocol}"`);
      return new ClientRequest(url, merged, callback);
    }
    function get(input, options, callback) {
      const req = request(input, options, callback);
      req.end();
      return req;
    }
    const exports = {
      request,
      get,
      Agent,
      globalAgent,
      ClientRequest,
      IncomingMessage,
      STATUS_CODES: internal.STATUS_CODES,
      METHODS: internal.METHODS,
      maxHeaderSize: 16384,
      validateHeaderName: (name) => {
        if (!/^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/.test(String(name))) throw codeError(TypeError, "ERR_INVALID_HTTP_TOKEN", `Header name must be a valid HTTP token ["${name}"]`);
      },
      validateHeaderValue: () => {},
    };
    internal.unsupported(exports, defaultProtocol === "https:" ? "https" : "http", ["createServer", "Server", "ServerResponse", "OutgoingMessage"], "functions cannot serve HTTP");
    void defaultPort;
    return exports;
  }
  return { http: makeModule("http:", 80), https: makeModule("https:", 443) };
})

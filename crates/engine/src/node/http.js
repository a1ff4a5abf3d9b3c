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

  const { Readable, Duplex } = require("stream");
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

  // An idle timeout: emits "timeout" on `target` `ms` after it is set, unless cleared first;
  // it never keeps the call open.
  function idleTimer(target) {
    let timer = null;
    const clear = () => {
      if (timer !== null) clearTimeout(timer);
      timer = null;
    };
    const set = (ms, callback) => {
      if (typeof callback === "function") target.once("timeout", callback);
      clear();
      if (ms > 0) timer = setTimeout(() => target.emit("timeout"), ms).unref();
    };
    return { set, clear };
  }

  // The connection a request runs on, as far as a function can act on it: the server holds
  // the real one. `setTimeout` is its idle timeout (until the response arrives), `destroy`
  // ends the request; Node's clients and wrappers (follow-redirects) wait for it.
  class RequestSocket extends EventEmitter {
    #request;
    #idle = idleTimer(this);
    constructor(request) {
      super();
      this.#request = request;
      this.connecting = false;
      this.destroyed = false;
      this.readable = true;
      this.writable = true;
    }
    setTimeout(ms, callback) {
      this.#idle.set(ms, callback);
      return this;
    }
    _clearTimer() {
      this.#idle.clear();
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
      #idle = idleTimer(this);
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
        this.#idle.clear();
      }
      setTimeout(ms, callback) {
        this.#idle.set(ms, callback);
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
  // ---- http2: the client, over the same outbound service (HTTP/2 as TLS negotiates it, in
  // the clear with prior knowledge). A session is where requests go; each stream is one
  // request whose response arrives whole (`response` with `:status`, then the body).
  const constants = {"NGHTTP2_ERR_FRAME_SIZE_ERROR":-522,"NGHTTP2_SESSION_SERVER":0,"NGHTTP2_SESSION_CLIENT":1,"NGHTTP2_STREAM_STATE_IDLE":1,"NGHTTP2_STREAM_STATE_OPEN":2,"NGHTTP2_STREAM_STATE_RESERVED_LOCAL":3,"NGHTTP2_STREAM_STATE_RESERVED_REMOTE":4,"NGHTTP2_STREAM_STATE_HALF_CLOSED_LOCAL":5,"NGHTTP2_STREAM_STATE_HALF_CLOSED_REMOTE":6,"NGHTTP2_STREAM_STATE_CLOSED":7,"NGHTTP2_FLAG_NONE":0,"NGHTTP2_FLAG_END_STREAM":1,"NGHTTP2_FLAG_END_HEADERS":4,"NGHTTP2_FLAG_ACK":1,"NGHTTP2_FLAG_PADDED":8,"NGHTTP2_FLAG_PRIORITY":32,"DEFAULT_SETTINGS_HEADER_TABLE_SIZE":4096,"DEFAULT_SETTINGS_ENABLE_PUSH":1,"DEFAULT_SETTINGS_MAX_CONCURRENT_STREAMS":4294967295,"DEFAULT_SETTINGS_INITIAL_WINDOW_SIZE":65535,"DEFAULT_SETTINGS_MAX_FRAME_SIZE":16384,"DEFAULT_SETTINGS_MAX_HEADER_LIST_SIZE":65535,"DEFAULT_SETTINGS_ENABLE_CONNECT_PROTOCOL":0,"MAX_MAX_FRAME_SIZE":16777215,"MIN_MAX_FRAME_SIZE":16384,"MAX_INITIAL_WINDOW_SIZE":2147483647,"NGHTTP2_SETTINGS_HEADER_TABLE_SIZE":1,"NGHTTP2_SETTINGS_ENABLE_PUSH":2,"NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS":3,"NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE":4,"NGHTTP2_SETTINGS_MAX_FRAME_SIZE":5,"NGHTTP2_SETTINGS_MAX_HEADER_LIST_SIZE":6,"NGHTTP2_SETTINGS_ENABLE_CONNECT_PROTOCOL":8,"PADDING_STRATEGY_NONE":0,"PADDING_STRATEGY_ALIGNED":1,"PADDING_STRATEGY_MAX":2,"PADDING_STRATEGY_CALLBACK":1,"NGHTTP2_NO_ERROR":0,"NGHTTP2_PROTOCOL_ERROR":1,"NGHTTP2_INTERNAL_ERROR":2,"NGHTTP2_FLOW_CONTROL_ERROR":3,"NGHTTP2_SETTINGS_TIMEOUT":4,"NGHTTP2_STREAM_CLOSED":5,"NGHTTP2_FRAME_SIZE_ERROR":6,"NGHTTP2_REFUSED_STREAM":7,"NGHTTP2_CANCEL":8,"NGHTTP2_COMPRESSION_ERROR":9,"NGHTTP2_CONNECT_ERROR":10,"NGHTTP2_ENHANCE_YOUR_CALM":11,"NGHTTP2_INADEQUATE_SECURITY":12,"NGHTTP2_HTTP_1_1_REQUIRED":13,"NGHTTP2_DEFAULT_WEIGHT":16,"HTTP2_HEADER_STATUS":":status","HTTP2_HEADER_METHOD":":method","HTTP2_HEADER_AUTHORITY":":authority","HTTP2_HEADER_SCHEME":":scheme","HTTP2_HEADER_PATH":":path","HTTP2_HEADER_PROTOCOL":":protocol","HTTP2_HEADER_ACCEPT_ENCODING":"accept-encoding","HTTP2_HEADER_ACCEPT_LANGUAGE":"accept-language","HTTP2_HEADER_ACCEPT_RANGES":"accept-ranges","HTTP2_HEADER_ACCEPT":"accept","HTTP2_HEADER_ACCESS_CONTROL_ALLOW_CREDENTIALS":"access-control-allow-credentials","HTTP2_HEADER_ACCESS_CONTROL_ALLOW_HEADERS":"access-control-allow-headers","HTTP2_HEADER_ACCESS_CONTROL_ALLOW_METHODS":"access-control-allow-methods","HTTP2_HEADER_ACCESS_CONTROL_ALLOW_ORIGIN":"access-control-allow-origin","HTTP2_HEADER_ACCESS_CONTROL_EXPOSE_HEADERS":"access-control-expose-headers","HTTP2_HEADER_ACCESS_CONTROL_REQUEST_HEADERS":"access-control-request-headers","HTTP2_HEADER_ACCESS_CONTROL_REQUEST_METHOD":"access-control-request-method","HTTP2_HEADER_AGE":"age","HTTP2_HEADER_AUTHORIZATION":"authorization","HTTP2_HEADER_CACHE_CONTROL":"cache-control","HTTP2_HEADER_CONNECTION":"connection","HTTP2_HEADER_CONTENT_DISPOSITION":"content-disposition","HTTP2_HEADER_CONTENT_ENCODING":"content-encoding","HTTP2_HEADER_CONTENT_LENGTH":"content-length","HTTP2_HEADER_CONTENT_TYPE":"content-type","HTTP2_HEADER_COOKIE":"cookie","HTTP2_HEADER_DATE":"date","HTTP2_HEADER_ETAG":"etag","HTTP2_HEADER_FORWARDED":"forwarded","HTTP2_HEADER_HOST":"host","HTTP2_HEADER_IF_MODIFIED_SINCE":"if-modified-since","HTTP2_HEADER_IF_NONE_MATCH":"if-none-match","HTTP2_HEADER_IF_RANGE":"if-range","HTTP2_HEADER_LAST_MODIFIED":"last-modified","HTTP2_HEADER_LINK":"link","HTTP2_HEADER_LOCATION":"location","HTTP2_HEADER_RANGE":"range","HTTP2_HEADER_REFERER":"referer","HTTP2_HEADER_SERVER":"server","HTTP2_HEADER_SET_COOKIE":"set-cookie","HTTP2_HEADER_STRICT_TRANSPORT_SECURITY":"strict-transport-security","HTTP2_HEADER_TRANSFER_ENCODING":"transfer-encoding","HTTP2_HEADER_TE":"te","HTTP2_HEADER_UPGRADE_INSECURE_REQUESTS":"upgrade-insecure-requests","HTTP2_HEADER_UPGRADE":"upgrade","HTTP2_HEADER_USER_AGENT":"user-agent","HTTP2_HEADER_VARY":"vary","HTTP2_HEADER_X_CONTENT_TYPE_OPTIONS":"x-content-type-options","HTTP2_HEADER_X_FRAME_OPTIONS":"x-frame-options","HTTP2_HEADER_KEEP_ALIVE":"keep-alive","HTTP2_HEADER_PROXY_CONNECTION":"proxy-connection","HTTP2_HEADER_X_XSS_PROTECTION":"x-xss-protection","HTTP2_HEADER_ALT_SVC":"alt-svc","HTTP2_HEADER_CONTENT_SECURITY_POLICY":"content-security-policy","HTTP2_HEADER_EARLY_DATA":"early-data","HTTP2_HEADER_EXPECT_CT":"expect-ct","HTTP2_HEADER_ORIGIN":"origin","HTTP2_HEADER_PURPOSE":"purpose","HTTP2_HEADER_TIMING_ALLOW_ORIGIN":"timing-allow-origin","HTTP2_HEADER_X_FORWARDED_FOR":"x-forwarded-for","HTTP2_HEADER_PRIORITY":"priority","HTTP2_HEADER_ACCEPT_CHARSET":"accept-charset","HTTP2_HEADER_ACCESS_CONTROL_MAX_AGE":"access-control-max-age","HTTP2_HEADER_ALLOW":"allow","HTTP2_HEADER_CONTENT_LANGUAGE":"content-language","HTTP2_HEADER_CONTENT_LOCATION":"content-location","HTTP2_HEADER_CONTENT_MD5":"content-md5","HTTP2_HEADER_CONTENT_RANGE":"content-range","HTTP2_HEADER_DNT":"dnt","HTTP2_HEADER_EXPECT":"expect","HTTP2_HEADER_EXPIRES":"expires","HTTP2_HEADER_FROM":"from","HTTP2_HEADER_IF_MATCH":"if-match","HTTP2_HEADER_IF_UNMODIFIED_SINCE":"if-unmodified-since","HTTP2_HEADER_MAX_FORWARDS":"max-forwards","HTTP2_HEADER_PREFER":"prefer","HTTP2_HEADER_PROXY_AUTHENTICATE":"proxy-authenticate","HTTP2_HEADER_PROXY_AUTHORIZATION":"proxy-authorization","HTTP2_HEADER_REFRESH":"refresh","HTTP2_HEADER_RETRY_AFTER":"retry-after","HTTP2_HEADER_TRAILER":"trailer","HTTP2_HEADER_TK":"tk","HTTP2_HEADER_VIA":"via","HTTP2_HEADER_WARNING":"warning","HTTP2_HEADER_WWW_AUTHENTICATE":"www-authenticate","HTTP2_HEADER_HTTP2_SETTINGS":"http2-settings","HTTP2_METHOD_ACL":"ACL","HTTP2_METHOD_BASELINE_CONTROL":"BASELINE-CONTROL","HTTP2_METHOD_BIND":"BIND","HTTP2_METHOD_CHECKIN":"CHECKIN","HTTP2_METHOD_CHECKOUT":"CHECKOUT","HTTP2_METHOD_CONNECT":"CONNECT","HTTP2_METHOD_COPY":"COPY","HTTP2_METHOD_DELETE":"DELETE","HTTP2_METHOD_GET":"GET","HTTP2_METHOD_HEAD":"HEAD","HTTP2_METHOD_LABEL":"LABEL","HTTP2_METHOD_LINK":"LINK","HTTP2_METHOD_LOCK":"LOCK","HTTP2_METHOD_MERGE":"MERGE","HTTP2_METHOD_MKACTIVITY":"MKACTIVITY","HTTP2_METHOD_MKCALENDAR":"MKCALENDAR","HTTP2_METHOD_MKCOL":"MKCOL","HTTP2_METHOD_MKREDIRECTREF":"MKREDIRECTREF","HTTP2_METHOD_MKWORKSPACE":"MKWORKSPACE","HTTP2_METHOD_MOVE":"MOVE","HTTP2_METHOD_OPTIONS":"OPTIONS","HTTP2_METHOD_ORDERPATCH":"ORDERPATCH","HTTP2_METHOD_PATCH":"PATCH","HTTP2_METHOD_POST":"POST","HTTP2_METHOD_PRI":"PRI","HTTP2_METHOD_PROPFIND":"PROPFIND","HTTP2_METHOD_PROPPATCH":"PROPPATCH","HTTP2_METHOD_PUT":"PUT","HTTP2_METHOD_REBIND":"REBIND","HTTP2_METHOD_REPORT":"REPORT","HTTP2_METHOD_SEARCH":"SEARCH","HTTP2_METHOD_TRACE":"TRACE","HTTP2_METHOD_UNBIND":"UNBIND","HTTP2_METHOD_UNCHECKOUT":"UNCHECKOUT","HTTP2_METHOD_UNLINK":"UNLINK","HTTP2_METHOD_UNLOCK":"UNLOCK","HTTP2_METHOD_UPDATE":"UPDATE","HTTP2_METHOD_UPDATEREDIRECTREF":"UPDATEREDIRECTREF","HTTP2_METHOD_VERSION_CONTROL":"VERSION-CONTROL","HTTP_STATUS_CONTINUE":100,"HTTP_STATUS_SWITCHING_PROTOCOLS":101,"HTTP_STATUS_PROCESSING":102,"HTTP_STATUS_EARLY_HINTS":103,"HTTP_STATUS_OK":200,"HTTP_STATUS_CREATED":201,"HTTP_STATUS_ACCEPTED":202,"HTTP_STATUS_NON_AUTHORITATIVE_INFORMATION":203,"HTTP_STATUS_NO_CONTENT":204,"HTTP_STATUS_RESET_CONTENT":205,"HTTP_STATUS_PARTIAL_CONTENT":206,"HTTP_STATUS_MULTI_STATUS":207,"HTTP_STATUS_ALREADY_REPORTED":208,"HTTP_STATUS_IM_USED":226,"HTTP_STATUS_MULTIPLE_CHOICES":300,"HTTP_STATUS_MOVED_PERMANENTLY":301,"HTTP_STATUS_FOUND":302,"HTTP_STATUS_SEE_OTHER":303,"HTTP_STATUS_NOT_MODIFIED":304,"HTTP_STATUS_USE_PROXY":305,"HTTP_STATUS_TEMPORARY_REDIRECT":307,"HTTP_STATUS_PERMANENT_REDIRECT":308,"HTTP_STATUS_BAD_REQUEST":400,"HTTP_STATUS_UNAUTHORIZED":401,"HTTP_STATUS_PAYMENT_REQUIRED":402,"HTTP_STATUS_FORBIDDEN":403,"HTTP_STATUS_NOT_FOUND":404,"HTTP_STATUS_METHOD_NOT_ALLOWED":405,"HTTP_STATUS_NOT_ACCEPTABLE":406,"HTTP_STATUS_PROXY_AUTHENTICATION_REQUIRED":407,"HTTP_STATUS_REQUEST_TIMEOUT":408,"HTTP_STATUS_CONFLICT":409,"HTTP_STATUS_GONE":410,"HTTP_STATUS_LENGTH_REQUIRED":411,"HTTP_STATUS_PRECONDITION_FAILED":412,"HTTP_STATUS_PAYLOAD_TOO_LARGE":413,"HTTP_STATUS_URI_TOO_LONG":414,"HTTP_STATUS_UNSUPPORTED_MEDIA_TYPE":415,"HTTP_STATUS_RANGE_NOT_SATISFIABLE":416,"HTTP_STATUS_EXPECTATION_FAILED":417,"HTTP_STATUS_TEAPOT":418,"HTTP_STATUS_MISDIRECTED_REQUEST":421,"HTTP_STATUS_UNPROCESSABLE_ENTITY":422,"HTTP_STATUS_LOCKED":423,"HTTP_STATUS_FAILED_DEPENDENCY":424,"HTTP_STATUS_TOO_EARLY":425,"HTTP_STATUS_UPGRADE_REQUIRED":426,"HTTP_STATUS_PRECONDITION_REQUIRED":428,"HTTP_STATUS_TOO_MANY_REQUESTS":429,"HTTP_STATUS_REQUEST_HEADER_FIELDS_TOO_LARGE":431,"HTTP_STATUS_UNAVAILABLE_FOR_LEGAL_REASONS":451,"HTTP_STATUS_INTERNAL_SERVER_ERROR":500,"HTTP_STATUS_NOT_IMPLEMENTED":501,"HTTP_STATUS_BAD_GATEWAY":502,"HTTP_STATUS_SERVICE_UNAVAILABLE":503,"HTTP_STATUS_GATEWAY_TIMEOUT":504,"HTTP_STATUS_HTTP_VERSION_NOT_SUPPORTED":505,"HTTP_STATUS_VARIANT_ALSO_NEGOTIATES":506,"HTTP_STATUS_INSUFFICIENT_STORAGE":507,"HTTP_STATUS_LOOP_DETECTED":508,"HTTP_STATUS_BANDWIDTH_LIMIT_EXCEEDED":509,"HTTP_STATUS_NOT_EXTENDED":510,"HTTP_STATUS_NETWORK_AUTHENTICATION_REQUIRED":511};
  const kHeaders = Symbol("headers");
  class ClientHttp2Stream extends Duplex {
    #session;
    #headers;
    #chunks = [];
    #op = null;
    #done = false;
    #idle = idleTimer(this);
    constructor(session, headers, id) {
      super();
      this.#session = session;
      this.#headers = headers;
      this.id = id;
      this.sentHeaders = { ...headers };
      this.rstCode = undefined;
      this.aborted = false;
      this.pending = false;
      this.endAfterHeaders = false;
    }
    get session() {
      return this.#session;
    }
    _write(chunk, encoding, callback) {
      this.#chunks.push(typeof chunk === "string" ? Buffer.from(chunk, encoding) : Buffer.from(chunk));
      callback();
    }
    _final(callback) {
      const h = this.#headers;
      const method = String(h[":method"] || "GET").toUpperCase();
      const url = new URL(String(h[":path"] || "/"), this.#session[kHeaders].origin).href;
      const headers = [];
      for (const name of Object.keys(h)) {
        if (name.startsWith(":")) continue;
        const value = h[name];
        for (const v of Array.isArray(value) ? value : [value]) headers.push([name, String(v)]);
      }
      const spec = { method, url, headers, redirect: "manual", http2: true };
      if (this.#chunks.length) spec.body = new BSON.Binary(new Uint8Array(Buffer.concat(this.#chunks)), 0);
      let promise;
      try {
        [promise, this.#op] = natives.httpRequest(spec);
      } catch (e) {
        callback(e);
        return;
      }
      callback();
      promise.then(
        (answer) => {
          if (this.#done) return;
          this.#done = true;
          this.#clearTimer();
          const headers = { ":status": answer.status };
          for (const [k, v] of answer.headers) {
            if (k === "set-cookie") (headers[k] = headers[k] || []).push(v);
            else headers[k] = k in headers ? `${headers[k]}, ${v}` : v;
          }
          this.#session._answered(answer.version === 2 ? "h2" : "http/1.1");
          this.emit("response", headers, 0);
          const bytes = natives.binaryBytes(answer.body);
          if (bytes.length) this.push(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length));
          this.push(null);
        },
        (e) => {
          if (this.#done) return;
          this.#done = true;
          this.#clearTimer();
          const error = new Error(e && e.message ? e.message : String(e));
          error.code = "ERR_HTTP2_STREAM_ERROR";
          this.destroy(error);
        },
      );
    }
    _read() {}
    _destroy(error, callback) {
      this.#clearTimer();
      if (this.#op !== null && !this.#done) natives.httpAbandon(this.#op);
      this.#done = true;
      this.#session._streamClosed(this);
      callback(error);
    }
    #clearTimer() {
      this.#idle.clear();
    }
    setTimeout(ms, callback) {
      this.#idle.set(ms, callback);
      return this;
    }
    close(code = constants.NGHTTP2_NO_ERROR, callback) {
      this.rstCode = code;
      if (typeof callback === "function") this.once("close", callback);
      this.destroy(code === constants.NGHTTP2_NO_ERROR ? undefined : Object.assign(new Error(`Stream closed with error code ${code}`), { code: "ERR_HTTP2_STREAM_ERROR" }));
    }
    priority() {}
    sendTrailers() {
      throw internal.missing("http2 stream.sendTrailers")();
    }
  }
  class ClientHttp2Session extends EventEmitter {
    #streams = new Set();
    #next = 1;
    constructor(origin) {
      super();
      Object.defineProperty(this, kHeaders, { value: { origin } });
      this.closed = false;
      this.destroyed = false;
      this.encrypted = origin.startsWith("https:");
      this.alpnProtocol = undefined;
      this.connecting = false;
      this.type = constants.NGHTTP2_SESSION_CLIENT;
      this.originSet = [origin];
      queueMicrotask(() => {
        if (!this.destroyed) this.emit("connect", this, undefined);
      });
    }
    request(headers = {}, options = {}) {
      if (this.closed || this.destroyed) throw codeError(Error, "ERR_HTTP2_INVALID_SESSION", "The session has been destroyed");
      const stream = new ClientHttp2Stream(this, headers, this.#next);
      this.#next += 2;
      this.#streams.add(stream);
      if (options.endStream || ["GET", "HEAD"].includes(String(headers[":method"] || "GET").toUpperCase())) {
        if (options.endStream !== false) queueMicrotask(() => stream.end());
      }
      return stream;
    }
    _answered(protocol) {
      this.alpnProtocol = this.encrypted ? protocol : "h2c";
    }
    _streamClosed(stream) {
      this.#streams.delete(stream);
      if (this.closed && this.#streams.size === 0 && !this.destroyed) this.#finish();
    }
    #finish() {
      this.destroyed = true;
      queueMicrotask(() => this.emit("close"));
    }
    close(callback) {
      if (typeof callback === "function") this.once("close", callback);
      if (this.closed) return;
      this.closed = true;
      if (this.#streams.size === 0) this.#finish();
    }
    destroy(error) {
      if (this.destroyed) return;
      this.closed = true;
      for (const stream of this.#streams) stream.destroy(error);
      this.destroyed = true;
      queueMicrotask(() => {
        if (error) this.emit("error", error);
        this.emit("close");
      });
    }
    ref() {}
    unref() {}
    setTimeout(ms, callback) {
      if (typeof callback === "function") this.once("timeout", callback);
    }
    ping(callback) {
      if (typeof callback === "function") queueMicrotask(() => callback(null, 0, Buffer.alloc(8)));
      return true;
    }
    settings() {}
    goaway() {
      this.close();
    }
  }
  function connect(authority, options, listener) {
    if (typeof options === "function") {
      listener = options;
      options = {};
    }
    const url = authority instanceof URL ? authority : new URL(String(authority));
    if (url.protocol !== "http:" && url.protocol !== "https:") throw codeError(TypeError, "ERR_HTTP2_UNSUPPORTED_PROTOCOL", `protocol "${url.protocol}" is unsupported.`);
    const session = new ClientHttp2Session(url.origin);
    if (typeof listener === "function") session.once("connect", listener);
    return session;
  }
  const http2 = {
    connect,
    constants,
    sensitiveHeaders: Symbol("nodejs.http2.sensitiveHeaders"),
    ClientHttp2Session,
    ClientHttp2Stream,
    getDefaultSettings: () => ({ headerTableSize: 4096, enablePush: true, initialWindowSize: 65535, maxFrameSize: 16384, maxConcurrentStreams: 4294967295, maxHeaderListSize: 65535, maxHeaderSize: 65535, enableConnectProtocol: false }),
  };
  internal.unsupported(http2, "http2", ["createServer", "createSecureServer", "Http2ServerRequest", "Http2ServerResponse"], "functions cannot serve HTTP");
  internal.unsupported(http2, "http2", ["getPackedSettings", "getUnpackedSettings", "performServerHandshake"]);
  return { http: makeModule("http:", 80), https: makeModule("https:", 443), http2 };
})

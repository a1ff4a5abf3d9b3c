// `net` and `tls`: TCP and TLS client sockets. The server connects (under the operator's
// outbound policy), runs TLS (rustls; Mozilla's roots unless `ca` is given) and reads and
// writes on the function's behalf, one host operation each; a `Socket` is a Duplex stream
// over them, a `TLSSocket` one whose connection the server encrypts (`tls.connect`, or
// `tls.connect({socket})` to upgrade a plain one, as STARTTLS does). A socket belongs to its
// call: at most 25 are open at once, a socket waiting for data does not keep the call open,
// and every socket is closed when the call ends. Servers are not available.
(function (natives, require, internal) {
  "use strict";
  const { Duplex } = require("stream");
  const { Buffer } = require("buffer");
  const codeError = internal.codeError;

  const kHandle = Symbol("handle");
  const kReading = Symbol("reading");
  const kTimer = Symbol("timer");
  const kTimeout = Symbol("timeout");

  // A host failure as Node reports socket errors: `code` the errno name, `errno` its number.
  function netError(e, extra) {
    const error = new Error(e && e.message ? e.message : String(e));
    if (e && typeof e.codeName === "string") {
      error.code = e.codeName;
      if (typeof e.code === "number") error.errno = e.code;
    } else if (e && typeof e.code === "string") {
      error.code = e.code;
    }
    if (extra) Object.assign(error, extra);
    return error;
  }

  function op(kind, spec, weak) {
    return natives.netOp(kind, spec, Boolean(weak))[0];
  }

  const v4Part = "(?:25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)";
  const v4 = new RegExp(`^${v4Part}(?:\\.${v4Part}){3}$`);
  function isIPv4(input) {
    return typeof input === "string" && v4.test(input);
  }
  function isIPv6(input) {
    if (typeof input !== "string" || !input.includes(":") || /[^0-9a-fA-F:.%]/.test(input.split("%")[0])) return false;
    const bare = input.split("%")[0];
    try {
      return new URL(`http://[${bare}]/`).hostname !== "";
    } catch {
      return false;
    }
  }
  function isIP(input) {
    return isIPv4(input) ? 4 : isIPv6(input) ? 6 : 0;
  }

  // `connect`'s arguments: (options[, cb]), (port[, host][, cb]) or (path[, cb]).
  function normalize(args) {
    let [first, second, third] = args;
    let callback = typeof args[args.length - 1] === "function" ? args[args.length - 1] : undefined;
    let options;
    if (first !== null && typeof first === "object") options = { ...first };
    else if (typeof first === "string" && !/^\d+$/.test(first)) options = { path: first };
    else {
      options = { port: first };
      if (typeof second === "string") options.host = second;
    }
    void third;
    return [options, callback];
  }
  function validPort(port) {
    const n = typeof port === "string" && port.trim() !== "" ? Number(port) : port;
    if (typeof n !== "number" || !Number.isInteger(n) || n < 0 || n > 65535) {
      throw codeError(RangeError, "ERR_SOCKET_BAD_PORT", `Port should be >= 0 and < 65536. Received ${typeof port === "string" ? `type string ('${port}')` : typeof port === "number" ? `type number (${port})` : String(port)}.`);
    }
    return n;
  }

  function Socket(options) {
    if (!(this instanceof Socket)) return new Socket(options);
    const o = options || {};
    Duplex.call(this, { allowHalfOpen: Boolean(o.allowHalfOpen), readableHighWaterMark: o.readableHighWaterMark, writableHighWaterMark: o.writableHighWaterMark });
    if (o.fd !== undefined || o.handle !== undefined) throw internal.missing("net.Socket({fd})", "functions have no file descriptors")();
    this.connecting = false;
    this.remoteAddress = undefined;
    this.remotePort = undefined;
    this.remoteFamily = undefined;
    this.localAddress = undefined;
    this.localPort = undefined;
    this.bytesRead = 0;
    this.bytesWritten = 0;
    this.encrypted = false;
    this[kHandle] = null;
    this[kReading] = false;
    this[kTimer] = null;
    this[kTimeout] = 0;
  }
  Object.setPrototypeOf(Socket.prototype, Duplex.prototype);
  Object.setPrototypeOf(Socket, Duplex);

  Socket.prototype.connect = function connect(...args) {
    const [options, callback] = normalize(args);
    if (options.path !== undefined) throw internal.missing("net.connect({path})", "functions cannot reach Unix sockets")();
    const port = validPort(options.port);
    const host = options.host || "localhost";
    if (typeof callback === "function") this.once(this._connectEvent(), callback);
    if (options.timeout) this.setTimeout(options.timeout);
    this.connecting = true;
    this._host = host;
    const spec = { host: String(host), port };
    const tls = this._tlsSpec(options);
    if (tls) spec.tls = tls;
    let promise;
    try {
      promise = op("connect", spec);
    } catch (e) {
      queueMicrotask(() => this.destroy(netError(e)));
      return this;
    }
    promise.then(
      (info) => this._connected(info),
      (e) => {
        this.connecting = false;
        this.destroy(netError(e, { syscall: "connect", address: host, port }));
      },
    );
    return this;
  };
  // Overridden by TLS sockets: the event a connect callback waits for, and the TLS spec.
  Socket.prototype._connectEvent = function () {
    return "connect";
  };
  Socket.prototype._tlsSpec = function () {
    return null;
  };
  Socket.prototype._connected = function (info) {
    this.connecting = false;
    if (this.destroyed) {
      op("close", { id: info.id });
      return;
    }
    this[kHandle] = info.id;
    this.remoteAddress = info.remoteAddress;
    this.remotePort = info.remotePort;
    this.remoteFamily = info.remoteFamily;
    this.localAddress = info.localAddress;
    this.localPort = info.localPort;
    this._touch();
    this.emit("connect");
    this.emit("ready");
    // Node reads as soon as a socket connects (the stream may have asked before).
    this._read();
  };
  Socket.prototype._read = function () {
    const id = this[kHandle];
    if (id === null || this[kReading] || this.destroyed) return;
    this[kReading] = true;
    let promise;
    try {
      promise = op("read", { id }, true);
    } catch (e) {
      this[kReading] = false;
      this.destroy(netError(e));
      return;
    }
    promise.then(
      (answer) => {
        this[kReading] = false;
        if (answer.detached || this[kHandle] !== id) return;
        if (answer.end) {
          this.push(null);
          return;
        }
        const bytes = natives.binaryBytes(answer.data);
        this.bytesRead += bytes.length;
        this._touch();
        this.push(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length));
      },
      (e) => {
        this[kReading] = false;
        if (this[kHandle] === id) this.destroy(netError(e, { syscall: "read" }));
      },
    );
  };
  Socket.prototype._write = function (chunk, encoding, callback) {
    if (this.connecting) {
      this.once("connect", () => this._write(chunk, encoding, callback));
      return;
    }
    const id = this[kHandle];
    if (id === null) {
      callback(codeError(Error, "EPIPE", "This socket has been ended by the other party"));
      return;
    }
    const bytes = typeof chunk === "string" ? Buffer.from(chunk, encoding) : chunk;
    let promise;
    try {
      promise = op("write", { id, data: new BSON.Binary(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.length), 0) });
    } catch (e) {
      callback(netError(e));
      return;
    }
    promise.then(
      () => {
        this.bytesWritten += bytes.length;
        this._touch();
        callback();
      },
      (e) => callback(netError(e, { syscall: "write" })),
    );
  };
  Socket.prototype._final = function (callback) {
    if (this.connecting) {
      this.once("connect", () => this._final(callback));
      return;
    }
    if (this[kHandle] === null) return callback();
    op("end", { id: this[kHandle] }).then(
      () => callback(),
      (e) => callback(netError(e, { syscall: "shutdown" })),
    );
  };
  Socket.prototype._destroy = function (error, callback) {
    this._clearTimer();
    const id = this[kHandle];
    this[kHandle] = null;
    if (id !== null) {
      try {
        op("close", { id });
      } catch {
        // The call is ending; its sockets close with it.
      }
    }
    callback(error);
  };
  // Hands this socket's connection to another owner (a TLS socket upgrading it).
  Socket.prototype._detach = function () {
    const id = this[kHandle];
    this[kHandle] = null;
    this._clearTimer();
    return id;
  };
  Socket.prototype._adopt = function (id) {
    this[kHandle] = id;
  };
  Socket.prototype._touch = function () {
    if (this[kTimeout] > 0) this._arm();
  };
  Socket.prototype._arm = function () {
    this._clearTimer();
    this[kTimer] = setTimeout(() => {
      this[kTimer] = null;
      this.emit("timeout");
    }, this[kTimeout]).unref();
  };
  Socket.prototype._clearTimer = function () {
    if (this[kTimer] !== null) clearTimeout(this[kTimer]);
    this[kTimer] = null;
  };
  Socket.prototype.setTimeout = function setTimeout(ms, callback) {
    this[kTimeout] = Number(ms) || 0;
    if (typeof callback === "function") {
      if (this[kTimeout] === 0) this.removeListener("timeout", callback);
      else this.once("timeout", callback);
    }
    if (this[kTimeout] === 0) this._clearTimer();
    else this._arm();
    return this;
  };
  Socket.prototype.setNoDelay = function () {
    return this; // the server's sockets never delay (TCP_NODELAY)
  };
  Socket.prototype.setKeepAlive = function () {
    return this;
  };
  Socket.prototype.ref = function () {
    return this;
  };
  Socket.prototype.unref = function () {
    return this; // a socket waiting for data never keeps its call open
  };
  Socket.prototype.address = function () {
    if (this.localAddress === undefined) return {};
    return { address: this.localAddress, family: this.localAddress.includes(":") ? "IPv6" : "IPv4", port: this.localPort };
  };
  Socket.prototype.resetAndDestroy = function () {
    return this.destroy();
  };
  for (const [name, get] of [
    ["pending", function () { return this[kHandle] === null || this.connecting; }],
    ["readyState", function () {
      if (this.connecting) return "opening";
      if (this[kHandle] === null) return "closed";
      const r = this.readable, w = this.writable;
      return r && w ? "open" : r ? "readOnly" : w ? "writeOnly" : "closed";
    }],
    ["bufferSize", function () { return this.writableLength; }],
    ["timeout", function () { return this[kTimeout] || undefined; }],
  ]) {
    Object.defineProperty(Socket.prototype, name, { get, configurable: true });
  }

  function connect(...args) {
    const [options] = normalize(args);
    const socket = new Socket(options);
    return socket.connect(...args);
  }

  const net = {
    Socket,
    Stream: Socket,
    connect,
    createConnection: connect,
    isIP,
    isIPv4,
    isIPv6,
  };
  internal.unsupported(net, "net", ["createServer", "Server", "BlockList", "SocketAddress"], "functions cannot accept connections");

  // ---- tls
  const kFacts = Symbol("facts");
  const kOptions = Symbol("options");
  const pemList = (value) => {
    if (value === undefined || value === null) return undefined;
    return (Array.isArray(value) ? value : [value]).map((v) => (typeof v === "string" ? v : Buffer.from(v).toString("latin1")));
  };
  const pem = (value) => {
    if (value === undefined || value === null) return undefined;
    const list = pemList(value);
    return list.join("\n");
  };
  function tlsSpec(options) {
    const o = { ...((options.secureContext && options.secureContext[kOptions]) || {}), ...options };
    const spec = { rejectUnauthorized: o.rejectUnauthorized !== false };
    if (o.servername) spec.servername = String(o.servername);
    const ca = pemList(o.ca);
    if (ca) spec.ca = ca;
    if (o.cert !== undefined) spec.cert = pem(o.cert);
    if (o.key !== undefined) spec.key = pem(typeof o.key === "object" && o.key !== null && !ArrayBuffer.isView(o.key) && !Array.isArray(o.key) && o.key.pem ? o.key.pem : o.key);
    if (o.pfx !== undefined) throw internal.missing("tls.connect({pfx})", "give the certificate and key as PEM ('cert' and 'key')")();
    if (o.passphrase !== undefined) throw internal.missing("tls.connect({passphrase})", "give the key as unencrypted PEM")();
    if (Array.isArray(o.ALPNProtocols)) spec.alpn = o.ALPNProtocols.map((p) => (typeof p === "string" ? p : Buffer.from(p).toString("latin1")));
    return spec;
  }
  function TLSSocket(socket, options) {
    if (!(this instanceof TLSSocket)) return new TLSSocket(socket, options);
    Socket.call(this, options);
    this.encrypted = true;
    this.authorized = false;
    this.authorizationError = null;
    this.alpnProtocol = false;
    this.servername = undefined;
    this[kFacts] = null;
    this[kOptions] = options || {};
    if (socket) throw internal.missing("new tls.TLSSocket(socket)", "use tls.connect({socket}) to upgrade a connected socket")();
  }
  Object.setPrototypeOf(TLSSocket.prototype, Socket.prototype);
  Object.setPrototypeOf(TLSSocket, Socket);
  TLSSocket.prototype._connectEvent = function () {
    return "secureConnect";
  };
  TLSSocket.prototype._tlsSpec = function (options) {
    const spec = tlsSpec({ ...this[kOptions], ...options });
    const host = options.host || "localhost";
    if (!spec.servername && !isIP(host)) spec.servername = host;
    this.servername = spec.servername;
    return spec;
  };
  TLSSocket.prototype._secured = function (facts) {
    this[kFacts] = facts;
    this.authorized = facts.authorized;
    this.authorizationError = facts.authorizationError;
    this.alpnProtocol = facts.alpn;
  };
  TLSSocket.prototype._connected = function (info) {
    if (info.tls) this._secured(info.tls);
    Socket.prototype._connected.call(this, info);
    if (this[kHandle] !== null) this.emit("secureConnect");
  };
  TLSSocket.prototype.getPeerCertificate = function () {
    const facts = this[kFacts];
    if (!facts || !facts.cert) return {};
    const bytes = natives.binaryBytes(facts.cert);
    const raw = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
    const crypto = require("crypto");
    const colons = (hex) => hex.toUpperCase().match(/../g).join(":");
    return {
      raw,
      fingerprint: colons(crypto.createHash("sha1").update(raw).digest("hex")),
      fingerprint256: colons(crypto.createHash("sha256").update(raw).digest("hex")),
      fingerprint512: colons(crypto.createHash("sha512").update(raw).digest("hex")),
    };
  };
  TLSSocket.prototype.getProtocol = function () {
    return this[kFacts] ? this[kFacts].protocol : null;
  };
  TLSSocket.prototype.getCipher = function () {
    const facts = this[kFacts];
    if (!facts || !facts.cipher) return undefined;
    const standardName = facts.cipher.replace(/^TLS13_/, "TLS_");
    return { name: standardName, standardName, version: facts.protocol };
  };
  TLSSocket.prototype.getSession = function () {
    return undefined;
  };
  TLSSocket.prototype.isSessionReused = function () {
    return false;
  };
  TLSSocket.prototype.setServername = function (name) {
    this.servername = String(name);
  };
  TLSSocket.prototype.setMaxSendFragment = function () {
    return true;
  };
  TLSSocket.prototype.getCertificate = function () {
    return null;
  };

  function tlsConnect(...args) {
    let options;
    const callback = typeof args[args.length - 1] === "function" ? args[args.length - 1] : undefined;
    if (args[0] !== null && typeof args[0] === "object") options = { ...args[0] };
    else {
      options = { port: args[0] };
      let rest = 1;
      if (typeof args[1] === "string") {
        options.host = args[1];
        rest = 2;
      }
      if (args[rest] !== null && typeof args[rest] === "object") options = { ...args[rest], ...options };
    }
    if (options.socket) return upgrade(options, callback);
    const socket = new TLSSocket(null, options);
    if (callback) socket.once("secureConnect", callback);
    return socket.connect(options);
  }
  function upgrade(options, callback) {
    const plain = options.socket;
    const socket = new TLSSocket(null, options);
    if (callback) socket.once("secureConnect", callback);
    const start = () => {
      const host = options.host || plain._host || "localhost";
      const spec = socket._tlsSpec({ ...options, host });
      const id = plain._detach();
      if (id === null) {
        queueMicrotask(() => socket.destroy(codeError(Error, "EPIPE", "the socket to upgrade is not connected")));
        return;
      }
      socket.connecting = true;
      op("upgrade", { id, host: String(host), tls: spec }).then(
        (answer) => {
          socket.connecting = false;
          socket._secured(answer.tls);
          socket._adopt(id);
          for (const k of ["remoteAddress", "remotePort", "remoteFamily", "localAddress", "localPort"]) socket[k] = plain[k];
          socket._touch();
          socket.emit("secureConnect");
          socket._read();
        },
        (e) => {
          socket.connecting = false;
          socket._adopt(id);
          socket.destroy(netError(e));
        },
      );
    };
    if (plain.connecting) plain.once("connect", start);
    else start();
    return socket;
  }
  function createSecureContext(options) {
    return { context: {}, [kOptions]: { ...(options || {}) } };
  }
  const tls = {
    connect: tlsConnect,
    TLSSocket,
    createSecureContext,
    DEFAULT_MIN_VERSION: "TLSv1.2",
    DEFAULT_MAX_VERSION: "TLSv1.3",
    DEFAULT_ECDH_CURVE: "auto",
    CLIENT_RENEG_LIMIT: 3,
    CLIENT_RENEG_WINDOW: 600,
    getCiphers: () => ["tls_aes_256_gcm_sha384", "tls_aes_128_gcm_sha256", "tls_chacha20_poly1305_sha256", "ecdhe-ecdsa-aes256-gcm-sha384", "ecdhe-ecdsa-aes128-gcm-sha256", "ecdhe-ecdsa-chacha20-poly1305", "ecdhe-rsa-aes256-gcm-sha384", "ecdhe-rsa-aes128-gcm-sha256", "ecdhe-rsa-chacha20-poly1305"],
  };
  internal.unsupported(tls, "tls", ["createServer", "Server", "SecureContext"], "functions cannot accept connections");
  internal.unsupported(tls, "tls", ["checkServerIdentity", "rootCertificates", "convertALPNProtocols"], "the server checks the certificate's name itself");
  return { net, tls };
})

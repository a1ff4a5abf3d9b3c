// `dgram`: UDP client sockets. The server binds an ephemeral port and sends and receives
// datagrams on the function's behalf, under the operator's outbound policy (every destination
// checked). A socket belongs to its call: at most 25 are open at once, one waiting for
// datagrams does not keep the call open, and all close when the call ends. Fixed ports,
// broadcast and multicast are not available to functions.
(function (natives, require, internal) {
  "use strict";
  const EventEmitter = require("events");
  const { Buffer } = require("buffer");
  const { isIP } = require("net");
  const codeError = internal.codeError;

  function netError(e, extra) {
    const error = new Error(e && e.message ? e.message : String(e));
    if (e && typeof e.codeName === "string") error.code = e.codeName;
    if (e && typeof e.code === "number") error.errno = e.code;
    if (extra) Object.assign(error, extra);
    return error;
  }
  const op = (kind, spec, weak) => natives.netOp(kind, spec, Boolean(weak))[0];
  const kId = Symbol("id");

  class Socket extends EventEmitter {
    #family;
    #bound = null;
    #closed = false;
    #remote = null;
    #receiving = false;
    constructor(type, listener) {
      super();
      const options = typeof type === "object" && type !== null ? type : { type };
      if (options.type !== "udp4" && options.type !== "udp6") {
        throw codeError(TypeError, "ERR_SOCKET_BAD_TYPE", "Bad socket type specified. Valid types are: udp4, udp6");
      }
      this.type = options.type;
      this.#family = options.type === "udp6" ? 6 : 4;
      this[kId] = null;
      if (typeof listener === "function") this.on("message", listener);
    }
    #bind() {
      if (this.#bound === null) {
        this.#bound = op("udpBind", { family: this.#family }).then((info) => {
          if (this.#closed) {
            op("udpClose", { id: info.id });
            throw codeError(Error, "ERR_SOCKET_DGRAM_NOT_RUNNING", "Not running");
          }
          this[kId] = info.id;
          this.local = { address: info.address, family: this.#family === 6 ? "IPv6" : "IPv4", port: info.port };
          this.emit("listening");
          this.#receive();
          return info.id;
        });
        this.#bound.catch((e) => this.emit("error", netError(e, { syscall: "bind" })));
      }
      return this.#bound;
    }
    #receive() {
      if (this.#receiving || this.#closed || this[kId] === null) return;
      this.#receiving = true;
      op("udpRecv", { id: this[kId] }, true).then(
        (d) => {
          this.#receiving = false;
          if (this.#closed) return;
          const bytes = natives.binaryBytes(d.data);
          const message = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
          this.emit("message", message, { address: d.address, family: d.family, port: d.port, size: message.length });
          this.#receive();
        },
        (e) => {
          this.#receiving = false;
          if (!this.#closed) this.emit("error", netError(e, { syscall: "recvmsg" }));
        },
      );
    }
    bind(...args) {
      if (this.#bound !== null) throw codeError(Error, "ERR_SOCKET_ALREADY_BOUND", "Socket is already bound");
      const callback = typeof args[args.length - 1] === "function" ? args.pop() : undefined;
      const port = typeof args[0] === "object" && args[0] !== null ? args[0].port : args[0];
      if (port !== undefined && port !== 0 && port !== null) {
        throw internal.missing(`dgram socket.bind(${port})`, "functions may bind only an ephemeral port (0)")();
      }
      if (callback) this.once("listening", callback);
      this.#bind();
      return this;
    }
    connect(port, address, callback) {
      if (typeof address === "function") {
        callback = address;
        address = undefined;
      }
      if (this.#remote !== null) throw codeError(Error, "ERR_SOCKET_DGRAM_IS_CONNECTED", "Already connected");
      this.#remote = { port, address: address || (this.#family === 6 ? "::1" : "127.0.0.1") };
      this.#bind().then(() => {
        this.emit("connect");
        if (typeof callback === "function") callback();
      }, () => {});
    }
    disconnect() {
      if (this.#remote === null) throw codeError(Error, "ERR_SOCKET_DGRAM_NOT_CONNECTED", "Not connected");
      this.#remote = null;
    }
    remoteAddress() {
      if (this.#remote === null) throw codeError(Error, "ERR_SOCKET_DGRAM_NOT_CONNECTED", "Not connected");
      return { address: this.#remote.address, family: isIP(this.#remote.address) === 6 ? "IPv6" : "IPv4", port: this.#remote.port };
    }
    send(msg, ...rest) {
      const callback = typeof rest[rest.length - 1] === "function" ? rest.pop() : undefined;
      let offset;
      let length;
      if (typeof rest[0] === "number" && typeof rest[1] === "number" && (rest.length >= 3 || (this.#remote !== null && rest.length === 2))) {
        [offset, length] = rest.splice(0, 2);
      }
      let [port, address] = rest;
      if (this.#remote !== null) {
        if (port !== undefined) throw codeError(Error, "ERR_SOCKET_DGRAM_IS_CONNECTED", "Already connected");
        ({ port, address } = this.#remote);
      }
      if (typeof port !== "number" || !Number.isInteger(port) || port <= 0 || port > 65535) {
        throw codeError(RangeError, "ERR_SOCKET_BAD_PORT", `Port should be > 0 and < 65536. Received ${port}.`);
      }
      const parts = (Array.isArray(msg) ? msg : [msg]).map((m) => (typeof m === "string" ? Buffer.from(m) : Buffer.from(m.buffer ? new Uint8Array(m.buffer, m.byteOffset, m.byteLength) : m)));
      let data = Buffer.concat(parts);
      if (offset !== undefined) data = data.subarray(offset, offset + length);
      const host = address || (this.#family === 6 ? "::1" : "127.0.0.1");
      this.#bind()
        .then((id) => op("udpSend", { id, host: String(host), port, data: new BSON.Binary(new Uint8Array(data), 0) }))
        .then(
          (r) => callback && callback(null, r.bytes),
          (e) => {
            const error = netError(e, { syscall: "send", address: host, port });
            if (callback) callback(error);
            else this.emit("error", error);
          },
        );
    }
    close(callback) {
      if (this.#closed) throw codeError(Error, "ERR_SOCKET_DGRAM_NOT_RUNNING", "Not running");
      this.#closed = true;
      if (typeof callback === "function") this.once("close", callback);
      if (this[kId] !== null) op("udpClose", { id: this[kId] });
      queueMicrotask(() => this.emit("close"));
      return this;
    }
    address() {
      if (!this.local) throw codeError(Error, "ERR_SOCKET_DGRAM_NOT_RUNNING", "Not running");
      return { ...this.local };
    }
    ref() {
      return this;
    }
    unref() {
      return this; // a socket waiting for datagrams never keeps its call open
    }
  }
  internal.unsupported(Socket.prototype, "dgram socket", ["setBroadcast", "setMulticastTTL", "setMulticastInterface", "setMulticastLoopback", "addMembership", "dropMembership", "addSourceSpecificMembership", "dropSourceSpecificMembership"], "broadcast and multicast are not available to functions");
  internal.unsupported(Socket.prototype, "dgram socket", ["setTTL", "setRecvBufferSize", "setSendBufferSize", "getRecvBufferSize", "getSendBufferSize", "getSendQueueSize", "getSendQueueCount"], "the server owns the socket's settings");
  const createSocket = (type, listener) => new Socket(type, listener);
  return { createSocket, Socket };
})

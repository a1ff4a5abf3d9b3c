// `stream`: the legacy `Stream`, and Node's `Readable`, `Writable`, `Duplex`, `Transform`,
// `PassThrough`, `pipeline` and `finished` for what functions and packages do with them:
// pushing and reading chunks (flowing with `data`, or `read()`), piping with backpressure,
// object mode, encodings, `Readable.from`, async iteration, and errors and `destroy`. They are
// ES5-style constructors, so both `class X extends Readable` and
// `util.inherits(X, Readable); Readable.call(this, options)` work. Events are delivered as
// Node delivers them, on later microtasks; cork/uncork batching and `writev` are not modelled.
(function (natives, require, internal) {
  "use strict";
  const EventEmitter = require("events");
  const { Buffer } = require("buffer");
  const codeError = internal.codeError;
  const later = (f) => queueMicrotask(f);

  function Stream(opts) {
    EventEmitter.call(this, opts);
  }
  Object.setPrototypeOf(Stream.prototype, EventEmitter.prototype);
  Object.setPrototypeOf(Stream, EventEmitter);
  Stream.prototype.pipe = function pipe(dest, options) {
    const source = this;
    source.on("data", (chunk) => {
      if (dest.write(chunk) === false && typeof source.pause === "function") source.pause();
    });
    dest.on("drain", () => {
      if (typeof source.resume === "function") source.resume();
    });
    if (!options || options.end !== false) source.on("end", () => dest.end());
    dest.emit("pipe", source);
    return dest;
  };

  const toChunk = (chunk, encoding, objectMode) => {
    if (objectMode) return chunk;
    if (typeof chunk === "string") return Buffer.from(chunk, encoding);
    if (chunk instanceof Uint8Array) return Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk);
    throw codeError(TypeError, "ERR_INVALID_ARG_TYPE", `The "chunk" argument must be of type string or an instance of Buffer or Uint8Array. Received ${chunk === null ? "null" : typeof chunk}`);
  };

  // ---- Readable
  function Readable(options) {
    if (!(this instanceof Readable)) return new Readable(options);
    Stream.call(this, options);
    const o = options || {};
    this._readableState = {
      objectMode: Boolean(o.objectMode || o.readableObjectMode),
      highWaterMark: o.highWaterMark !== undefined ? o.highWaterMark : o.objectMode ? 16 : 16384,
      buffer: [],
      length: 0,
      flowing: null,
      ended: false,
      endEmitted: false,
      reading: false,
      scheduled: false,
      decoder: null,
      encoding: null,
      destroyed: false,
      errored: null,
      autoDestroy: o.autoDestroy !== false,
    };
    if (o.encoding) this.setEncoding(o.encoding);
    if (typeof o.read === "function") this._read = o.read;
    if (typeof o.destroy === "function") this._destroy = o.destroy;
  }
  Object.setPrototypeOf(Readable.prototype, Stream.prototype);
  Object.setPrototypeOf(Readable, Stream);

  Readable.prototype._read = function () {
    throw codeError(Error, "ERR_METHOD_NOT_IMPLEMENTED", "The _read() method is not implemented");
  };
  Readable.prototype.push = function push(chunk, encoding) {
    const s = this._readableState;
    s.reading = false;
    if (s.destroyed) return false;
    if (chunk === null) {
      s.ended = true;
    } else {
      const c = toChunk(chunk, encoding, s.objectMode);
      if (s.objectMode || c.length > 0) {
        s.buffer.push(c);
        s.length += s.objectMode ? 1 : c.length;
      }
    }
    schedule(this);
    return s.length < s.highWaterMark;
  };
  Readable.prototype.unshift = function unshift(chunk, encoding) {
    const s = this._readableState;
    const c = toChunk(chunk, encoding, s.objectMode);
    s.buffer.unshift(c);
    s.length += s.objectMode ? 1 : c.length;
    schedule(this);
  };
  function schedule(stream) {
    const s = stream._readableState;
    if (s.scheduled) return;
    s.scheduled = true;
    later(() => {
      s.scheduled = false;
      flow(stream);
    });
  }
  function decode(s, chunk) {
    return s.decoder ? s.decoder.write(chunk) : chunk;
  }
  function take(s) {
    const chunk = s.buffer.shift();
    s.length -= s.objectMode ? 1 : chunk.length;
    return chunk;
  }
  function maybeRead(stream) {
    const s = stream._readableState;
    if (s.ended || s.reading || s.destroyed || s.length >= s.highWaterMark) return;
    s.reading = true;
    try {
      stream._read(s.highWaterMark);
    } catch (e) {
      stream.destroy(e);
    }
  }
  function flow(stream) {
    const s = stream._readableState;
    if (s.destroyed) return;
    if (s.flowing === true) {
      while (s.flowing && s.buffer.length) {
        const chunk = decode(s, take(s));
        if (!s.objectMode && chunk.length === 0) continue;
        stream.emit("data", chunk);
      }
    } else if (stream.listenerCount("readable") > 0 && (s.buffer.length || s.ended) && !s.emittedReadable) {
      // Once until the next read().
      s.emittedReadable = true;
      stream.emit("readable");
    }
    if (s.ended && !s.buffer.length) {
      endReadable(stream);
      return;
    }
    // Flowing streams read ahead to the high-water mark; paused ones read when empty.
    if (s.flowing === true || (s.length === 0 && (s.flowing === null || stream.listenerCount("readable") > 0))) maybeRead(stream);
  }
  function endReadable(stream) {
    const s = stream._readableState;
    if (s.endEmitted) return;
    if (s.flowing !== true && stream.listenerCount("readable") === 0 && stream.listenerCount("end") === 0 && stream.listenerCount("data") === 0 && !s.consumed) return;
    s.endEmitted = true;
    if (s.decoder) {
      const rest = s.decoder.end();
      if (rest) stream.emit("data", rest);
    }
    stream.emit("end");
    if (s.autoDestroy && (!stream._writableState || stream._writableState.finished)) later(() => stream.destroy());
  }
  Readable.prototype.read = function read(n) {
    const s = this._readableState;
    s.consumed = true;
    s.emittedReadable = false;
    let out = null;
    if (s.buffer.length) {
      if (s.objectMode) out = take(s);
      else if (n === undefined || n >= s.length) {
        out = Buffer.concat(s.buffer.splice(0));
        s.length = 0;
        out = decode(s, out);
      } else {
        const all = Buffer.concat(s.buffer.splice(0));
        out = all.subarray(0, n);
        const rest = all.subarray(n);
        s.buffer.push(rest);
        s.length = rest.length;
        out = decode(s, out);
      }
    }
    if (s.ended && !s.buffer.length) later(() => endReadable(this));
    else if (!s.buffer.length) maybeRead(this);
    return out;
  };
  Readable.prototype.on = function on(event, listener) {
    EventEmitter.prototype.on.call(this, event, listener);
    const s = this._readableState;
    if (event === "data" && s.flowing !== false) this.resume();
    if (event === "readable") {
      s.flowing = null;
      schedule(this);
    }
    return this;
  };
  Readable.prototype.addListener = Readable.prototype.on;
  Readable.prototype.resume = function resume() {
    const s = this._readableState;
    s.flowing = true;
    schedule(this);
    this.emit("resume");
    return this;
  };
  Readable.prototype.pause = function pause() {
    if (this._readableState.flowing !== false) {
      this._readableState.flowing = false;
      this.emit("pause");
    }
    return this;
  };
  Readable.prototype.isPaused = function isPaused() {
    return this._readableState.flowing === false;
  };
  Readable.prototype.setEncoding = function setEncoding(encoding) {
    const { StringDecoder } = require("string_decoder");
    this._readableState.decoder = new StringDecoder(encoding);
    this._readableState.encoding = this._readableState.decoder.encoding;
    return this;
  };
  Readable.prototype.pipe = function pipe(dest, options) {
    const source = this;
    const ondata = (chunk) => {
      if (dest.write(chunk) === false) source.pause();
    };
    source.on("data", ondata);
    dest.on("drain", () => source.resume());
    if (!options || options.end !== false) source.once("end", () => dest.end());
    source._readableState.pipes = (source._readableState.pipes || []).concat([[dest, ondata]]);
    dest.emit("pipe", source);
    return dest;
  };
  Readable.prototype.unpipe = function unpipe(dest) {
    const s = this._readableState;
    for (const [d, ondata] of s.pipes || []) {
      if (dest === undefined || d === dest) {
        this.removeListener("data", ondata);
        d.emit("unpipe", this);
      }
    }
    s.pipes = dest === undefined ? [] : (s.pipes || []).filter(([d]) => d !== dest);
    return this;
  };
  Readable.prototype.destroy = function destroy(error) {
    return destroyStream(this, error);
  };
  Readable.prototype._destroy = function (error, callback) {
    callback(error);
  };
  Readable.prototype[Symbol.asyncIterator] = async function* () {
    const stream = this;
    const s = stream._readableState;
    s.consumed = true;
    let wake = null;
    let failure = null;
    const notify = () => {
      if (wake) {
        const w = wake;
        wake = null;
        w();
      }
    };
    stream.on("readable", notify);
    stream.on("end", notify);
    stream.on("error", (e) => {
      failure = e;
      notify();
    });
    stream.on("close", notify);
    try {
      for (;;) {
        if (failure) throw failure;
        const chunk = stream.read();
        if (chunk !== null) {
          yield chunk;
          continue;
        }
        if (s.endEmitted || (s.ended && !s.buffer.length) || s.destroyed) return;
        await new Promise((resolve) => (wake = resolve));
      }
    } finally {
      if (!s.endEmitted && !s.destroyed) stream.destroy();
    }
  };
  Readable.from = function from(iterable, options) {
    if (typeof iterable === "string" || iterable instanceof Uint8Array) iterable = [iterable];
    const iterator = iterable[Symbol.asyncIterator] ? iterable[Symbol.asyncIterator]() : iterable[Symbol.iterator]();
    let busy = false;
    return new Readable({
      objectMode: true,
      ...options,
      read() {
        if (busy) return;
        busy = true;
        Promise.resolve(iterator.next()).then(
          ({ value, done }) => {
            busy = false;
            if (done) this.push(null);
            else Promise.resolve(value).then((v) => this.push(v), (e) => this.destroy(e));
          },
          (e) => this.destroy(e),
        );
      },
    });
  };
  for (const [name, get] of [
    ["readable", function () { return !this._readableState.destroyed && !this._readableState.endEmitted; }],
    ["readableEnded", function () { return this._readableState.endEmitted; }],
    ["readableFlowing", function () { return this._readableState.flowing; }],
    ["readableLength", function () { return this._readableState.length; }],
    ["readableObjectMode", function () { return this._readableState.objectMode; }],
    ["readableHighWaterMark", function () { return this._readableState.highWaterMark; }],
    ["readableEncoding", function () { return this._readableState.encoding; }],
    ["destroyed", function () { return (this._readableState || this._writableState).destroyed; }],
  ]) {
    Object.defineProperty(Readable.prototype, name, { get, configurable: true });
  }

  function destroyStream(stream, error) {
    const states = [stream._readableState, stream._writableState].filter(Boolean);
    if (states.some((s) => s.destroyed)) return stream;
    for (const s of states) s.destroyed = true;
    stream._destroy(error || null, (err) => {
      later(() => {
        if (err) {
          for (const s of states) s.errored = err;
          stream.emit("error", err);
        }
        stream.emit("close");
      });
    });
    return stream;
  }

  // ---- Writable
  function Writable(options) {
    const ordinaryInstance = Function.prototype[Symbol.hasInstance].call(Writable, this);
    if (!ordinaryInstance && !(this instanceof Duplex)) return new Writable(options);
    Stream.call(this, options);
    initWritable(this, options);
  }
  function initWritable(stream, options) {
    const o = options || {};
    stream._writableState = {
      objectMode: Boolean(o.objectMode || o.writableObjectMode),
      highWaterMark: o.highWaterMark !== undefined ? o.highWaterMark : o.objectMode ? 16 : 16384,
      decodeStrings: o.decodeStrings !== false,
      queue: [],
      length: 0,
      writing: false,
      ending: false,
      ended: false,
      finished: false,
      needDrain: false,
      destroyed: false,
      errored: null,
      autoDestroy: o.autoDestroy !== false,
    };
    if (typeof o.write === "function") stream._write = o.write;
    if (typeof o.writev === "function" && typeof o.write !== "function") {
      stream._write = (chunk, encoding, cb) => o.writev.call(stream, [{ chunk, encoding }], cb);
    }
    if (typeof o.final === "function") stream._final = o.final;
    if (typeof o.destroy === "function") stream._destroy = o.destroy;
  }
  Object.setPrototypeOf(Writable.prototype, Stream.prototype);
  Object.setPrototypeOf(Writable, Stream);
  Object.defineProperty(Writable, Symbol.hasInstance, {
    value(object) {
      if (this !== Writable) return Function.prototype[Symbol.hasInstance].call(this, object);
      return Boolean(object && object._writableState);
    },
  });

  Writable.prototype._write = function (chunk, encoding, callback) {
    callback(codeError(Error, "ERR_METHOD_NOT_IMPLEMENTED", "The _write() method is not implemented"));
  };
  Writable.prototype.write = function write(chunk, encoding, callback) {
    const s = this._writableState;
    if (typeof encoding === "function") {
      callback = encoding;
      encoding = undefined;
    }
    if (s.ending || s.destroyed) {
      const e = codeError(Error, s.destroyed ? "ERR_STREAM_DESTROYED" : "ERR_STREAM_WRITE_AFTER_END", s.destroyed ? "Cannot call write after a stream was destroyed" : "write after end");
      later(() => {
        if (typeof callback === "function") callback(e);
        this.emit("error", e);
      });
      return false;
    }
    if (chunk === null) throw codeError(TypeError, "ERR_STREAM_NULL_VALUES", "May not write null values to stream");
    let c = chunk;
    let enc = encoding || "utf8";
    if (!s.objectMode) {
      if (typeof chunk === "string" && s.decodeStrings) {
        c = Buffer.from(chunk, enc);
        enc = "buffer";
      } else if (chunk instanceof Uint8Array) {
        c = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk);
        enc = "buffer";
      } else if (typeof chunk !== "string") {
        throw codeError(TypeError, "ERR_INVALID_ARG_TYPE", `The "chunk" argument must be of type string or an instance of Buffer or Uint8Array. Received ${typeof chunk}`);
      }
    }
    s.length += s.objectMode ? 1 : c.length;
    const ok = s.length < s.highWaterMark;
    if (!ok) s.needDrain = true;
    s.queue.push([c, enc, callback]);
    if (!s.writing) writeNext(this);
    return ok;
  };
  function writeNext(stream) {
    const s = stream._writableState;
    if (s.destroyed) return;
    const next = s.queue.shift();
    if (next === undefined) {
      s.writing = false;
      if (s.needDrain && !s.ending) {
        s.needDrain = false;
        later(() => stream.emit("drain"));
      }
      if (s.ending) finish(stream);
      return;
    }
    s.writing = true;
    const [chunk, encoding, callback] = next;
    let called = false;
    const done = (err) => {
      if (called) return;
      called = true;
      s.length -= s.objectMode ? 1 : chunk.length;
      if (err) {
        if (typeof callback === "function") later(() => callback(err));
        stream.destroy(err);
        return;
      }
      if (s.queue.length > 0) {
        // As Node's `onwrite`: what is buffered goes on at once, only callbacks wait a tick.
        if (typeof callback === "function") later(() => callback(null));
        writeNext(stream);
        return;
      }
      // Not writing any more: a `write` in this same tick goes straight to `_write`.
      s.writing = false;
      later(() => {
        if (typeof callback === "function") callback(null);
        if (!s.writing) writeNext(stream);
      });
    };
    try {
      stream._write(chunk, encoding, done);
    } catch (e) {
      done(e);
    }
  }
  function finish(stream) {
    const s = stream._writableState;
    if (s.finished || s.finishing || s.destroyed) return;
    s.finishing = true;
    const complete = (err) => {
      if (err) {
        stream.destroy(err);
        return;
      }
      s.finished = true;
      later(() => {
        stream.emit("finish");
        if (s.autoDestroy && (!stream._readableState || stream._readableState.endEmitted)) stream.destroy();
      });
    };
    if (typeof stream._final === "function") {
      try {
        stream._final(complete);
      } catch (e) {
        complete(e);
      }
    } else {
      complete(null);
    }
  }
  Writable.prototype.end = function end(chunk, encoding, callback) {
    const s = this._writableState;
    if (typeof chunk === "function") {
      callback = chunk;
      chunk = undefined;
    } else if (typeof encoding === "function") {
      callback = encoding;
      encoding = undefined;
    }
    if (chunk !== undefined && chunk !== null) this.write(chunk, encoding);
    if (typeof callback === "function") {
      if (s.finished) later(callback);
      else this.once("finish", callback);
    }
    if (!s.ending) {
      s.ending = true;
      s.ended = true;
      if (!s.writing) later(() => finish(this));
    }
    return this;
  };
  Writable.prototype.cork = function cork() {};
  Writable.prototype.uncork = function uncork() {};
  Writable.prototype.setDefaultEncoding = function setDefaultEncoding() {
    return this;
  };
  Writable.prototype.destroy = function destroy(error) {
    return destroyStream(this, error);
  };
  Writable.prototype._destroy = function (error, callback) {
    callback(error);
  };
  for (const [name, get] of [
    ["writable", function () { const s = this._writableState; return !s.destroyed && !s.ending; }],
    ["writableEnded", function () { return this._writableState.ending; }],
    ["writableFinished", function () { return this._writableState.finished; }],
    ["writableLength", function () { return this._writableState.length; }],
    ["writableObjectMode", function () { return this._writableState.objectMode; }],
    ["writableHighWaterMark", function () { return this._writableState.highWaterMark; }],
    ["writableNeedDrain", function () { return this._writableState.needDrain; }],
    ["destroyed", function () { return this._writableState.destroyed; }],
  ]) {
    Object.defineProperty(Writable.prototype, name, { get, configurable: true });
  }

  // ---- Duplex, Transform, PassThrough
  function Duplex(options) {
    if (!(this instanceof Duplex)) return new Duplex(options);
    Readable.call(this, options);
    initWritable(this, options);
    if (options && options.allowHalfOpen === false) this.once("end", () => this.end());
  }
  Object.setPrototypeOf(Duplex.prototype, Readable.prototype);
  Object.setPrototypeOf(Duplex, Readable);
  for (const name of ["write", "end", "cork", "uncork", "setDefaultEncoding", "_write"]) {
    Object.defineProperty(Duplex.prototype, name, { value: Writable.prototype[name], writable: true, configurable: true });
  }
  for (const name of ["writable", "writableEnded", "writableFinished", "writableLength", "writableObjectMode", "writableHighWaterMark", "writableNeedDrain"]) {
    Object.defineProperty(Duplex.prototype, name, Object.getOwnPropertyDescriptor(Writable.prototype, name));
  }

  function Transform(options) {
    if (!(this instanceof Transform)) return new Transform(options);
    Duplex.call(this, options);
    if (options && typeof options.transform === "function") this._transform = options.transform;
    if (options && typeof options.flush === "function") this._flush = options.flush;
  }
  Object.setPrototypeOf(Transform.prototype, Duplex.prototype);
  Object.setPrototypeOf(Transform, Duplex);
  Transform.prototype._transform = function () {
    throw codeError(Error, "ERR_METHOD_NOT_IMPLEMENTED", "The _transform() method is not implemented");
  };
  Transform.prototype._write = function (chunk, encoding, callback) {
    this._transform(chunk, encoding, (err, data) => {
      if (err) return callback(err);
      if (data !== undefined && data !== null) this.push(data);
      callback();
    });
  };
  Transform.prototype._read = function () {};
  Transform.prototype._final = function (callback) {
    const done = (err, data) => {
      if (err) return callback(err);
      if (data !== undefined && data !== null) this.push(data);
      this.push(null);
      callback();
    };
    if (typeof this._flush === "function") this._flush(done);
    else done();
  };

  function PassThrough(options) {
    if (!(this instanceof PassThrough)) return new PassThrough(options);
    Transform.call(this, options);
  }
  Object.setPrototypeOf(PassThrough.prototype, Transform.prototype);
  Object.setPrototypeOf(PassThrough, Transform);
  PassThrough.prototype._transform = function (chunk, encoding, callback) {
    callback(null, chunk);
  };

  // ---- finished, pipeline
  function finished(stream, options, callback) {
    if (typeof options === "function") {
      callback = options;
      options = {};
    }
    let done = false;
    const call = (err) => {
      if (done) return;
      done = true;
      cleanup();
      callback(err || undefined);
    };
    const readable = Boolean(stream._readableState) && !(options && options.readable === false);
    const writable = Boolean(stream._writableState) && !(options && options.writable === false);
    let ended = !readable || stream._readableState.endEmitted;
    let finishedWriting = !writable || stream._writableState.finished;
    const onend = () => {
      ended = true;
      if (finishedWriting) call();
    };
    const onfinish = () => {
      finishedWriting = true;
      if (ended) call();
    };
    const onerror = (err) => call(err);
    const onclose = () => {
      if (!ended || !finishedWriting) call(codeError(Error, "ERR_STREAM_PREMATURE_CLOSE", "Premature close"));
    };
    stream.on("end", onend);
    stream.on("finish", onfinish);
    stream.on("error", onerror);
    stream.on("close", onclose);
    const cleanup = () => {
      stream.removeListener("end", onend);
      stream.removeListener("finish", onfinish);
      stream.removeListener("error", onerror);
      stream.removeListener("close", onclose);
    };
    if (ended && finishedWriting) later(() => call());
    return cleanup;
  }
  function pipeline(...streams) {
    const callback = typeof streams[streams.length - 1] === "function" ? streams.pop() : null;
    if (streams.length === 1 && Array.isArray(streams[0])) streams = streams[0];
    if (streams.length < 2) throw codeError(TypeError, "ERR_MISSING_ARGS", 'The "streams" argument must be specified');
    // A source may be an iterable, or a function returning one (an async generator).
    streams = streams.map((s, i) => {
      if (i === 0 && typeof s === "function") return Readable.from(s());
      return typeof s.pipe === "function" || s._writableState ? s : Readable.from(s);
    });
    let failed = false;
    const fail = (err) => {
      if (failed) return;
      failed = true;
      for (const s of streams) if (!s.destroyed) s.destroy();
      if (callback) callback(err);
    };
    for (let i = 0; i < streams.length - 1; i++) streams[i].pipe(streams[i + 1]);
    streams.forEach((s, i) => {
      finished(s, { readable: i < streams.length - 1 || !s._writableState, writable: i > 0 }, (err) => {
        if (err) fail(err);
        else if (i === streams.length - 1 && !failed && callback) callback();
      });
    });
    return streams[streams.length - 1];
  }
  const promises = {
    pipeline: (...streams) => new Promise((resolve, reject) => pipeline(...streams, (err) => (err ? reject(err) : resolve()))),
    finished: (stream, options) => new Promise((resolve, reject) => finished(stream, options || {}, (err) => (err ? reject(err) : resolve()))),
  };

  for (const proto of [Stream.prototype, Readable.prototype, Writable.prototype, Duplex.prototype, Transform.prototype, PassThrough.prototype]) {
    internal.subclassable(proto);
  }
  Object.assign(Stream, { Stream, Readable, Writable, Duplex, Transform, PassThrough, pipeline, finished, promises });
  internal.unsupported(Stream, "stream", ["addAbortSignal", "compose"], "writ does not support this yet");
  return Stream;
})

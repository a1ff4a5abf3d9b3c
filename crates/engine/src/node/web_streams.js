// WHATWG streams as Node 20 has them as globals and in `stream/web`: ReadableStream (default
// readers, async iteration, tee, pipeTo/pipeThrough, `from`), WritableStream, TransformStream,
// TextEncoderStream/TextDecoderStream and the two queuing strategies. Byte streams and BYOB
// readers are not offered (`type: "bytes"` throws saying so). `fetch`'s Response.body is one.
(function (natives, require, internal) {
  "use strict";
  const { codeError } = internal;
  const KEY = Symbol("constructor key");
  const illegal = () => new TypeError("Illegal constructor");
  // A promise that never reports an unhandled rejection (as the spec marks such promises).
  const quiet = (p) => {
    p.catch(() => {});
    return p;
  };
  // `f()` called now, its result or throw as a promise (the spec calls algorithms synchronously).
  const attempt = (f) => {
    try {
      return Promise.resolve(f());
    } catch (e) {
      return Promise.reject(e);
    }
  };
  const deferred = () => {
    let resolve, reject;
    const promise = new Promise((res, rej) => {
      resolve = res;
      reject = rej;
    });
    return { promise, resolve, reject };
  };
  // A queuing strategy's high-water mark and chunk size function.
  function strategyOf(strategy, defaultMark) {
    const s = strategy === undefined || strategy === null ? {} : strategy;
    const mark = s.highWaterMark === undefined ? defaultMark : Number(s.highWaterMark);
    if (Number.isNaN(mark) || mark < 0) throw new RangeError(`Invalid highWaterMark: ${s.highWaterMark}`);
    const size = s.size === undefined ? () => 1 : s.size;
    if (typeof size !== "function") throw new TypeError("strategy.size must be a function");
    return { mark, size };
  }
  const method = (object, name) => {
    const f = object[name];
    if (f !== undefined && typeof f !== "function") throw new TypeError(`${name} must be a function`);
    return f === undefined ? undefined : (...args) => Reflect.apply(f, object, args);
  };

  // The underlying source's or sink's `start(controller)` (a throw propagates), then `started()`
  // once what it returned settles, or `failed(e)`.
  function begin(underlying, controller, started, failed) {
    const start = method(underlying, "start");
    Promise.resolve(start === undefined ? undefined : start(controller)).then(started, failed);
  }

  class ByteLengthQueuingStrategy {
    #mark;
    constructor(init) {
      this.#mark = Number(init.highWaterMark);
    }
    get highWaterMark() {
      return this.#mark;
    }
    get size() {
      return (chunk) => chunk.byteLength;
    }
  }
  class CountQueuingStrategy {
    #mark;
    constructor(init) {
      this.#mark = Number(init.highWaterMark);
    }
    get highWaterMark() {
      return this.#mark;
    }
    get size() {
      return () => 1;
    }
  }

  // ---- ReadableStream ----
  let readable; // the stream's internals, by private access
  class ReadableStreamDefaultController {
    #stream;
    constructor(key, stream) {
      if (key !== KEY) throw illegal();
      this.#stream = stream;
    }
    get desiredSize() {
      return readable.desiredSize(this.#stream);
    }
    enqueue(chunk) {
      readable.enqueue(this.#stream, chunk);
    }
    close() {
      readable.requestClose(this.#stream);
    }
    error(e) {
      readable.error(this.#stream, e);
    }
  }

  class ReadableStream {
    #state = "readable";
    #stored;
    #queue = [];
    #queueSize = 0;
    #mark;
    #size;
    #pull;
    #cancelSource;
    #closeRequested = false;
    #started = false;
    #pulling = false;
    #pullAgain = false;
    #reader = null;
    #controller;
    constructor(source = {}, strategy = {}) {
      const src = source === null ? {} : source;
      if (src.type !== undefined) {
        if (String(src.type) === "bytes") throw codeError(TypeError, "ERR_NOT_SUPPORTED_BY_WRIT", "ReadableStream byte streams (type: 'bytes') are not supported by writ yet");
        throw new TypeError(`Invalid type: ${src.type}`);
      }
      const { mark, size } = strategyOf(strategy, 1);
      this.#mark = mark;
      this.#size = size;
      this.#pull = method(src, "pull");
      this.#cancelSource = method(src, "cancel");
      this.#controller = new ReadableStreamDefaultController(KEY, this);
      begin(src, this.#controller, () => {
        this.#started = true;
        this.#pullIfNeeded();
      }, (e) => this.#error(e));
    }
    static {
      readable = {
        desiredSize: (s) => (s.#state === "errored" ? null : s.#state === "closed" ? 0 : s.#mark - s.#queueSize),
        enqueue: (s, chunk) => s.#enqueue(chunk),
        requestClose: (s) => {
          if (s.#closeRequested || s.#state !== "readable") throw new TypeError("Invalid state: Controller is already closed");
          s.#closeRequested = true;
          if (s.#queue.length === 0) s.#close();
        },
        error: (s, e) => s.#error(e),
        read: (s) => s.#read(),
        cancel: (s, reason) => s.#cancel(reason),
        attach: (s, reader) => {
          if (s.#reader !== null) throw new TypeError("Invalid state: ReadableStream is locked");
          s.#reader = reader;
          return s.#state === "closed" ? "closed" : s.#state === "errored" ? ["errored", s.#stored] : "readable";
        },
        detach: (s) => {
          s.#reader = null;
        },
      };
    }
    #enqueue(chunk) {
      if (this.#closeRequested || this.#state !== "readable") throw new TypeError("Invalid state: Controller is already closed");
      const waiting = this.#reader !== null ? readers.takeRequest(this.#reader) : undefined;
      if (waiting !== undefined) {
        waiting.resolve({ value: chunk, done: false });
      } else {
        let size;
        try {
          size = Number(this.#size(chunk));
          if (!(size >= 0) || size === Infinity) throw new RangeError("The return value of a queuing strategy's size function must be a finite, non-NaN, non-negative number");
        } catch (e) {
          this.#error(e);
          throw e;
        }
        this.#queue.push([chunk, size]);
        this.#queueSize += size;
      }
      this.#pullIfNeeded();
    }
    #pullIfNeeded() {
      if (!this.#started || this.#closeRequested || this.#state !== "readable" || this.#pull === undefined) return;
      const wanted = (this.#reader !== null && readers.pending(this.#reader) > 0) || this.#mark - this.#queueSize > 0;
      if (!wanted) return;
      if (this.#pulling) {
        this.#pullAgain = true;
        return;
      }
      this.#pulling = true;
      attempt(() => this.#pull(this.#controller)).then(
        () => {
          this.#pulling = false;
          if (this.#pullAgain) {
            this.#pullAgain = false;
            this.#pullIfNeeded();
          }
        },
        (e) => this.#error(e),
      );
    }
    #read() {
      if (this.#state === "errored") return Promise.reject(this.#stored);
      if (this.#queue.length > 0) {
        const [chunk, size] = this.#queue.shift();
        this.#queueSize -= size;
        if (this.#closeRequested && this.#queue.length === 0) this.#close();
        else this.#pullIfNeeded();
        return Promise.resolve({ value: chunk, done: false });
      }
      if (this.#state === "closed") return Promise.resolve({ value: undefined, done: true });
      const request = deferred();
      readers.addRequest(this.#reader, request);
      this.#pullIfNeeded();
      return request.promise;
    }
    #close() {
      if (this.#state !== "readable") return;
      this.#state = "closed";
      if (this.#reader !== null) readers.closed(this.#reader);
    }
    #error(e) {
      if (this.#state !== "readable") return;
      this.#state = "errored";
      this.#stored = e;
      this.#queue = [];
      this.#queueSize = 0;
      if (this.#reader !== null) readers.errored(this.#reader, e);
    }
    #cancel(reason) {
      if (this.#state === "closed") return Promise.resolve(undefined);
      if (this.#state === "errored") return Promise.reject(this.#stored);
      this.#queue = [];
      this.#queueSize = 0;
      this.#close();
      return attempt(() => (this.#cancelSource === undefined ? undefined : this.#cancelSource(reason))).then(() => undefined);
    }
    get locked() {
      return this.#reader !== null;
    }
    cancel(reason = undefined) {
      if (this.#reader !== null) return Promise.reject(new TypeError("Invalid state: ReadableStream is locked"));
      return this.#cancel(reason);
    }
    getReader(options = {}) {
      if (options && options.mode !== undefined) {
        if (String(options.mode) === "byob") throw codeError(TypeError, "ERR_NOT_SUPPORTED_BY_WRIT", "BYOB readers are not supported by writ yet");
        throw new TypeError(`Invalid mode: ${options.mode}`);
      }
      return new ReadableStreamDefaultReader(this);
    }
    pipeThrough(transform, options = {}) {
      if (this.#reader !== null) throw new TypeError("Invalid state: ReadableStream is locked");
      quiet(this.pipeTo(transform.writable, options));
      return transform.readable;
    }
    pipeTo(destination, options = {}) {
      if (!(destination instanceof WritableStream)) return Promise.reject(new TypeError('The "transform.writable" property must be an instance of WritableStream'));
      if (this.#reader !== null) return Promise.reject(new TypeError("Invalid state: ReadableStream is locked"));
      return pipe(this, destination, options || {});
    }
    tee() {
      const reader = this.getReader();
      let reading = false;
      const canceled = [false, false];
      const reasons = [undefined, undefined];
      const cancelled = deferred();
      const controllers = [];
      const pull = () => {
        if (reading) return;
        reading = true;
        reader.read().then(
          ({ value, done }) => {
            reading = false;
            controllers.forEach((c, i) => {
              if (canceled[i]) return;
              if (done) c.close();
              else c.enqueue(value);
            });
            if (done) cancelled.resolve(undefined);
          },
          (e) => controllers.forEach((c) => c.error(e)),
        );
      };
      const branch = (i) =>
        new ReadableStream({
          start: (c) => {
            controllers[i] = c;
          },
          pull,
          cancel: (reason) => {
            canceled[i] = true;
            reasons[i] = reason;
            if (canceled[0] && canceled[1]) cancelled.resolve(reader.cancel(reasons));
            return cancelled.promise;
          },
        });
      return [branch(0), branch(1)];
    }
    values(options = {}) {
      const reader = this.getReader();
      const preventCancel = Boolean(options && options.preventCancel);
      const iterator = {
        next: () =>
          reader.read().then((r) => {
            if (r.done) reader.releaseLock();
            return r;
          }),
        return: (value) => {
          const done = preventCancel ? Promise.resolve() : reader.cancel(value);
          return done.then(() => {
            reader.releaseLock();
            return { value, done: true };
          });
        },
        [Symbol.asyncIterator]() {
          return this;
        },
      };
      Object.setPrototypeOf(iterator, AsyncIteratorPrototype);
      return iterator;
    }
    [Symbol.asyncIterator](options) {
      return this.values(options);
    }
    static from(iterable) {
      if (iterable instanceof ReadableStream) return iterable;
      const make = iterable[Symbol.asyncIterator] || iterable[Symbol.iterator];
      if (typeof make !== "function") throw codeError(TypeError, "ERR_ARG_NOT_ITERABLE", "The provided value is not iterable");
      const iterator = make.call(iterable);
      return new ReadableStream(
        {
          pull: (c) =>
            Promise.resolve(iterator.next()).then((r) => {
              if (r.done) c.close();
              else return Promise.resolve(r.value).then((v) => c.enqueue(v));
            }),
          cancel: (reason) => (typeof iterator.return === "function" ? Promise.resolve(iterator.return(reason)).then(() => undefined) : undefined),
        },
        { highWaterMark: 0 },
      );
    }
    get [Symbol.toStringTag]() {
      return "ReadableStream";
    }
  }
  const AsyncIteratorPrototype = Object.getPrototypeOf(Object.getPrototypeOf(async function* () {}.prototype));

  let readers;
  class ReadableStreamDefaultReader {
    #stream;
    #requests = [];
    #closed = deferred();
    constructor(stream) {
      if (!(stream instanceof ReadableStream)) throw new TypeError('The "stream" argument must be an instance of ReadableStream');
      const state = readable.attach(stream, this);
      this.#stream = stream;
      quiet(this.#closed.promise);
      if (state === "closed") this.#closed.resolve(undefined);
      else if (state !== "readable") this.#closed.reject(state[1]);
    }
    static {
      readers = {
        takeRequest: (r) => r.#requests.shift(),
        addRequest: (r, request) => r.#requests.push(request),
        pending: (r) => r.#requests.length,
        closed: (r) => {
          for (const request of r.#requests.splice(0)) request.resolve({ value: undefined, done: true });
          r.#closed.resolve(undefined);
        },
        errored: (r, e) => {
          for (const request of r.#requests.splice(0)) request.reject(e);
          r.#closed.reject(e);
        },
      };
    }
    get closed() {
      return this.#closed.promise;
    }
    read() {
      if (this.#stream === undefined) return Promise.reject(new TypeError("Invalid state: The reader is not attached to a stream"));
      return readable.read(this.#stream);
    }
    cancel(reason = undefined) {
      if (this.#stream === undefined) return Promise.reject(new TypeError("Invalid state: The reader is not attached to a stream"));
      return readable.cancel(this.#stream, reason);
    }
    releaseLock() {
      if (this.#stream === undefined) return;
      const released = new TypeError("Invalid state: Releasing reader");
      for (const request of this.#requests.splice(0)) request.reject(released);
      this.#closed.reject(released);
      this.#closed = deferred();
      quiet(this.#closed.promise);
      this.#closed.reject(released);
      readable.detach(this.#stream);
      this.#stream = undefined;
    }
    get [Symbol.toStringTag]() {
      return "ReadableStreamDefaultReader";
    }
  }

  // ---- WritableStream ----
  let writable;
  class WritableStreamDefaultController {
    #stream;
    #abort = new AbortController();
    constructor(key, stream) {
      if (key !== KEY) throw illegal();
      this.#stream = stream;
    }
    get signal() {
      return this.#abort.signal;
    }
    error(e) {
      writable.error(this.#stream, e);
    }
    static abortSignal(c, reason) {
      c.#abort.abort(reason);
    }
  }

  class WritableStream {
    #state = "writable";
    #stored;
    #queue = [];
    #queueSize = 0;
    #mark;
    #size;
    #write;
    #closeSink;
    #abortSink;
    #started = false;
    #inFlight = false;
    #closing = null;
    #writer = null;
    #controller;
    constructor(sink = {}, strategy = {}) {
      const s = sink === null ? {} : sink;
      if (s.type !== undefined) throw new RangeError(`Invalid type: ${s.type}`);
      const { mark, size } = strategyOf(strategy, 1);
      this.#mark = mark;
      this.#size = size;
      this.#write = method(s, "write");
      this.#closeSink = method(s, "close");
      this.#abortSink = method(s, "abort");
      this.#controller = new WritableStreamDefaultController(KEY, this);
      begin(s, this.#controller, () => {
        this.#started = true;
        this.#advance();
      }, (e) => this.#error(e));
    }
    static {
      writable = {
        error: (s, e) => s.#error(e),
        write: (s, chunk) => s.#enqueue(chunk),
        close: (s) => s.#close(),
        abort: (s, reason) => s.#abort(reason),
        desiredSize: (s) => (s.#state === "errored" ? null : s.#state === "closed" ? 0 : s.#mark - s.#queueSize),
        state: (s) => [s.#state, s.#stored, s.#closing !== null],
        attach: (s, writer) => {
          if (s.#writer !== null) throw new TypeError("Invalid state: WritableStream is locked");
          s.#writer = writer;
        },
        detach: (s) => {
          s.#writer = null;
        },
      };
    }
    #enqueue(chunk) {
      if (this.#state === "errored") return Promise.reject(this.#stored);
      if (this.#state === "closed" || this.#closing !== null) return Promise.reject(new TypeError("Invalid state: WritableStream is closed"));
      let size;
      try {
        size = Number(this.#size(chunk));
      } catch (e) {
        this.#error(e);
        return Promise.reject(e);
      }
      const done = deferred();
      this.#queue.push({ chunk, size, done });
      this.#queueSize += size;
      this.#backpressure();
      this.#advance();
      return done.promise;
    }
    #backpressure() {
      if (this.#writer !== null) writers.backpressure(this.#writer, this.#state === "writable" && this.#mark - this.#queueSize <= 0);
    }
    #advance() {
      if (!this.#started || this.#inFlight || this.#state !== "writable") return;
      if (this.#queue.length === 0) {
        if (this.#closing !== null) {
          this.#inFlight = true;
          const closing = this.#closing;
          attempt(() => (this.#closeSink === undefined ? undefined : this.#closeSink())).then(
            () => {
              this.#inFlight = false;
              this.#state = "closed";
              if (this.#writer !== null) writers.closed(this.#writer);
              closing.resolve(undefined);
            },
            (e) => {
              this.#inFlight = false;
              this.#error(e);
              closing.reject(e);
            },
          );
        }
        return;
      }
      const next = this.#queue[0];
      this.#inFlight = true;
      attempt(() => (this.#write === undefined ? undefined : this.#write(next.chunk, this.#controller))).then(
        () => {
          this.#inFlight = false;
          this.#queue.shift();
          this.#queueSize -= next.size;
          next.done.resolve(undefined);
          this.#backpressure();
          this.#advance();
        },
        (e) => {
          this.#inFlight = false;
          this.#error(e);
        },
      );
    }
    #close() {
      if (this.#state === "errored") return Promise.reject(this.#stored);
      if (this.#state === "closed" || this.#closing !== null) return Promise.reject(new TypeError("Invalid state: WritableStream is closed"));
      this.#closing = deferred();
      const promise = this.#closing.promise;
      this.#advance();
      return promise;
    }
    #error(e) {
      if (this.#state !== "writable") return;
      this.#state = "errored";
      this.#stored = e;
      for (const w of this.#queue.splice(0)) {
        quiet(w.done.promise);
        w.done.reject(e);
      }
      this.#queueSize = 0;
      if (this.#closing !== null) {
        quiet(this.#closing.promise);
        this.#closing.reject(e);
      }
      if (this.#writer !== null) writers.errored(this.#writer, e);
    }
    #abort(reason) {
      if (this.#state === "closed" || this.#state === "errored") return Promise.resolve(undefined);
      WritableStreamDefaultController.abortSignal(this.#controller, reason);
      this.#error(reason);
      return Promise.resolve()
        .then(() => (this.#abortSink === undefined ? undefined : this.#abortSink(reason)))
        .then(() => undefined);
    }
    get locked() {
      return this.#writer !== null;
    }
    abort(reason = undefined) {
      if (this.#writer !== null) return Promise.reject(new TypeError("Invalid state: WritableStream is locked"));
      return this.#abort(reason);
    }
    close() {
      if (this.#writer !== null) return Promise.reject(new TypeError("Invalid state: WritableStream is locked"));
      return this.#close();
    }
    getWriter() {
      return new WritableStreamDefaultWriter(this);
    }
    get [Symbol.toStringTag]() {
      return "WritableStream";
    }
  }

  let writers;
  class WritableStreamDefaultWriter {
    #stream;
    #ready = deferred();
    #readyResolved = true;
    #closed = deferred();
    constructor(stream) {
      if (!(stream instanceof WritableStream)) throw new TypeError('The "stream" argument must be an instance of WritableStream');
      writable.attach(stream, this);
      this.#stream = stream;
      quiet(this.#ready.promise);
      quiet(this.#closed.promise);
      const [state, stored] = writable.state(stream);
      if (state === "errored") {
        this.#ready.reject(stored);
        this.#closed.reject(stored);
      } else {
        this.#ready.resolve(undefined);
        if (state === "closed") this.#closed.resolve(undefined);
      }
    }
    static {
      writers = {
        // A fresh pending `ready` when backpressure starts; resolved when it ends.
        backpressure: (w, pressed) => {
          if (pressed && w.#readyResolved) {
            w.#ready = deferred();
            quiet(w.#ready.promise);
            w.#readyResolved = false;
          } else if (!pressed && !w.#readyResolved) {
            w.#ready.resolve(undefined);
            w.#readyResolved = true;
          }
        },
        closed: (w) => w.#closed.resolve(undefined),
        errored: (w, e) => {
          if (w.#readyResolved) {
            w.#ready = deferred();
            quiet(w.#ready.promise);
          }
          w.#ready.reject(e);
          w.#readyResolved = true;
          w.#closed.reject(e);
        },
      };
    }
    #attached() {
      if (this.#stream === undefined) throw new TypeError("Invalid state: Writer is not bound to a WritableStream");
      return this.#stream;
    }
    get ready() {
      return this.#ready.promise;
    }
    get closed() {
      return this.#closed.promise;
    }
    get desiredSize() {
      return writable.desiredSize(this.#attached());
    }
    write(chunk = undefined) {
      try {
        return writable.write(this.#attached(), chunk);
      } catch (e) {
        return Promise.reject(e);
      }
    }
    close() {
      try {
        return writable.close(this.#attached());
      } catch (e) {
        return Promise.reject(e);
      }
    }
    abort(reason = undefined) {
      try {
        return writable.abort(this.#attached(), reason);
      } catch (e) {
        return Promise.reject(e);
      }
    }
    releaseLock() {
      if (this.#stream === undefined) return;
      const released = new TypeError("Invalid state: Writer has been released");
      this.#closed = deferred();
      quiet(this.#closed.promise);
      this.#closed.reject(released);
      writable.detach(this.#stream);
      this.#stream = undefined;
    }
    get [Symbol.toStringTag]() {
      return "WritableStreamDefaultWriter";
    }
  }

  // `source` piped into `dest` chunk by chunk, honoring preventClose/Abort/Cancel and a signal.
  function pipe(source, dest, options) {
    const reader = source.getReader();
    const writer = dest.getWriter();
    const { preventClose, preventAbort, preventCancel, signal } = options;
    let done = false;
    const finish = (error, failed) => {
      done = true;
      reader.releaseLock();
      writer.releaseLock();
      if (failed) throw error;
    };
    const aborted = new Promise((_, reject) => {
      if (signal === undefined) return;
      const onAbort = () => reject(signal.reason);
      if (signal.aborted) onAbort();
      else signal.addEventListener("abort", onAbort, { once: true });
    });
    quiet(aborted);
    const loop = async () => {
      for (;;) {
        await Promise.race([writer.ready, aborted]);
        const { value, done: ended } = await Promise.race([reader.read(), aborted]);
        if (ended) return;
        quiet(writer.write(value));
      }
    };
    return loop().then(
      async () => {
        if (!preventClose) await writer.close();
        return finish();
      },
      async (e) => {
        if (done) return undefined;
        if (!preventAbort) await writer.abort(e).catch(() => {});
        if (!preventCancel) await reader.cancel(e).catch(() => {});
        return finish(e, true);
      },
    );
  }

  // ---- TransformStream ----
  class TransformStreamDefaultController {
    #readable;
    #terminate;
    constructor(key, readableController, terminate) {
      if (key !== KEY) throw illegal();
      this.#readable = readableController;
      this.#terminate = terminate;
    }
    get desiredSize() {
      return this.#readable.desiredSize;
    }
    enqueue(chunk) {
      this.#readable.enqueue(chunk);
    }
    error(e) {
      this.#terminate(e, true);
    }
    terminate() {
      this.#terminate(undefined, false);
    }
  }

  class TransformStream {
    #readable;
    #writable;
    constructor(transformer = {}, writableStrategy = {}, readableStrategy = {}) {
      const t = transformer === null ? {} : transformer;
      if (t.readableType !== undefined || t.writableType !== undefined) throw new RangeError("Invalid transformer type");
      const transform = method(t, "transform");
      const flush = method(t, "flush");
      let out;
      let controller;
      const startWritable = deferred();
      let writableController;
      const stop = (e, failed) => {
        if (failed) {
          try {
            out.error(e);
          } catch {}
          if (writableController !== undefined) writableController.error(e);
        } else {
          try {
            out.close();
          } catch {}
          if (writableController !== undefined) writableController.error(new TypeError("Invalid state: TransformStream has been terminated"));
        }
      };
      this.#readable = new ReadableStream(
        {
          start: (c) => {
            out = c;
          },
          cancel: (reason) => writableController.error(reason),
        },
        readableStrategy,
      );
      controller = new TransformStreamDefaultController(KEY, out, stop);
      this.#writable = new WritableStream(
        {
          start: (c) => {
            writableController = c;
            return startWritable.promise;
          },
          write: (chunk) => (transform === undefined ? controller.enqueue(chunk) : transform(chunk, controller)),
          close: () =>
            Promise.resolve(flush === undefined ? undefined : flush(controller)).then(() => {
              try {
                out.close();
              } catch {}
            }),
          abort: (reason) => out.error(reason),
        },
        writableStrategy,
      );
      const start = method(t, "start");
      Promise.resolve(start === undefined ? undefined : start(controller)).then(
        () => startWritable.resolve(undefined),
        (e) => {
          startWritable.reject(e);
          out.error(e);
        },
      );
    }
    get readable() {
      return this.#readable;
    }
    get writable() {
      return this.#writable;
    }
    get [Symbol.toStringTag]() {
      return "TransformStream";
    }
  }

  class TextEncoderStream extends TransformStream {
    constructor() {
      const encoder = new TextEncoder();
      super({ transform: (chunk, c) => c.enqueue(encoder.encode(String(chunk))) });
    }
    get encoding() {
      return "utf-8";
    }
  }
  class TextDecoderStream extends TransformStream {
    #decoder;
    constructor(label = "utf-8", options = {}) {
      const decoder = new TextDecoder(label, options);
      super({
        transform: (chunk, c) => {
          const text = decoder.decode(chunk, { stream: true });
          if (text !== "") c.enqueue(text);
        },
        flush: (c) => {
          const text = decoder.decode();
          if (text !== "") c.enqueue(text);
        },
      });
      this.#decoder = decoder;
    }
    get encoding() {
      return this.#decoder.encoding;
    }
    get fatal() {
      return this.#decoder.fatal;
    }
    get ignoreBOM() {
      return this.#decoder.ignoreBOM;
    }
  }

  return {
    ReadableStream,
    ReadableStreamDefaultReader,
    ReadableStreamDefaultController,
    WritableStream,
    WritableStreamDefaultWriter,
    WritableStreamDefaultController,
    TransformStream,
    TransformStreamDefaultController,
    TextEncoderStream,
    TextDecoderStream,
    ByteLengthQueuingStrategy,
    CountQueuingStrategy,
  };
})

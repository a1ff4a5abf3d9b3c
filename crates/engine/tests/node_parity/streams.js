// Streams as functions and packages use them: events in order, piping with transforms,
// pipeline and finished, object mode, encodings, async iteration, Readable.from, errors,
// and the ES5 subclassing style.
exports = async function () {
  const { Readable, Writable, Transform, PassThrough, pipeline, finished, Duplex } = require("stream");
  const util = require("util");
  const events = [];
  const collect = () => {
    const chunks = [];
    const w = new Writable({
      write(chunk, enc, cb) {
        chunks.push(chunk.toString());
        cb();
      },
    });
    w.chunks = chunks;
    return w;
  };

  // push-based Readable, flowing
  const r1 = new Readable({ read() {} });
  r1.on("data", (c) => events.push(`data:${c}`));
  r1.on("end", () => events.push("end"));
  r1.push("a");
  r1.push("b");
  r1.push(null);
  await new Promise((resolve) => r1.on("close", resolve));

  // pipe through a Transform into a Writable
  const upper = new Transform({
    transform(chunk, enc, cb) {
      cb(null, chunk.toString().toUpperCase());
    },
    flush(cb) {
      this.push("!");
      cb();
    },
  });
  const sink = collect();
  await new Promise((resolve, reject) => pipeline(Readable.from(["x", "y", "z"]), upper, sink, (err) => (err ? reject(err) : resolve())));

  // stream/promises pipeline with an async generator source
  async function* gen() {
    yield "1";
    yield "2";
  }
  const sink2 = collect();
  await require("stream/promises").pipeline(gen, new PassThrough(), sink2);

  // object mode and async iteration
  const seen = [];
  for await (const item of Readable.from([{ n: 1 }, { n: 2 }])) seen.push(item.n);

  // read() in paused mode with an encoding
  const r2 = new Readable({ read() {} });
  r2.setEncoding("utf8");
  r2.push(Buffer.from("€"));
  r2.push(null);
  const read = await new Promise((resolve) => r2.once("readable", () => resolve(r2.read())));

  // errors reach pipeline's callback; finished reports them
  const failing = new Readable({
    read() {
      this.destroy(new Error("source broke"));
    },
  });
  const pipelineError = await new Promise((resolve) => pipeline(failing, collect(), (err) => resolve(err && err.message)));
  const w = collect();
  const finishedOk = await new Promise((resolve) => {
    finished(w, (err) => resolve(err === undefined ? "finished" : err.message));
    w.write("q");
    w.end();
  });

  // backpressure: write returns false past the high-water mark, then drain
  const slow = new Writable({
    highWaterMark: 4,
    write(chunk, enc, cb) {
      setImmediate(cb);
    },
  });
  const accepted = [slow.write("12"), slow.write("345"), slow.write("6")];
  const drained = await new Promise((resolve) => slow.once("drain", () => resolve(true)));

  // ES5 subclassing, as older packages do
  function Counter(options) {
    Readable.call(this, options);
    this.n = 0;
  }
  util.inherits(Counter, Readable);
  Counter.prototype._read = function () {
    this.n += 1;
    this.push(this.n <= 3 ? String(this.n) : null);
  };
  const counted = [];
  for await (const chunk of new Counter()) counted.push(chunk.toString());

  // a Duplex, and writing after end
  const duplex = new Duplex({
    read() {},
    write(chunk, enc, cb) {
      this.push(chunk.toString().split("").reverse().join(""));
      cb();
    },
  });
  const reversed = await new Promise((resolve) => {
    duplex.once("data", (c) => resolve(c.toString()));
    duplex.write("abc");
  });
  const afterEnd = await new Promise((resolve) => {
    const ended = collect();
    ended.end("x");
    ended.on("error", (e) => resolve(e.code));
    ended.write("late");
  });

  return JSON.stringify({
    events,
    piped: sink.chunks,
    generated: sink2.chunks,
    seen,
    read,
    pipelineError,
    finishedOk,
    accepted,
    drained,
    counted,
    reversed,
    afterEnd,
    instance: [new PassThrough() instanceof Writable, new PassThrough() instanceof Readable, Readable.from([]).readableObjectMode],
  });
};

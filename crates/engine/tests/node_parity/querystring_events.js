// querystring, events, string_decoder and assert.
exports = function () {
  const qs = require("querystring");
  const EventEmitter = require("events");
  const { StringDecoder } = require("string_decoder");
  const assert = require("assert");
  const log = [];
  class Job extends EventEmitter {}
  const job = new Job();
  job.on("step", (n) => log.push(`a${n}`));
  job.prependListener("step", (n) => log.push(`first${n}`));
  job.once("step", (n) => log.push(`once${n}`));
  job.emit("step", 1);
  job.emit("step", 2);
  const counts = [job.listenerCount("step"), job.eventNames()];
  let unhandled;
  try {
    job.emit("error", new Error("boom"));
  } catch (e) {
    unhandled = e.message;
  }
  function Legacy() {
    EventEmitter.call(this);
  }
  require("util").inherits(Legacy, EventEmitter);
  Legacy.prototype.emit = function (name, ...rest) {
    log.push(`override:${name}`);
    return EventEmitter.prototype.emit.call(this, name, ...rest);
  };
  const legacy = new Legacy();
  legacy.on("x", () => log.push("legacy x"));
  legacy.emit("x");
  const dec = new StringDecoder("utf8");
  const euro = Buffer.from("€");
  const pieces = [dec.write(euro.subarray(0, 1)), dec.write(euro.subarray(1)), dec.end(Buffer.from([0xe2]))];
  const asserted = [];
  for (const f of [
    () => assert.strictEqual(1, 2),
    () => assert.deepStrictEqual({ a: 1 }, { a: 1 }),
    () => assert.deepEqual({ a: 1 }, { a: "1" }),
    () => assert.ok(0, "custom message"),
    () => assert.throws(() => {
      throw new TypeError("t");
    }, TypeError),
    () => assert(true),
  ]) {
    try {
      f();
      asserted.push("ok");
    } catch (e) {
      asserted.push(`${e.name}:${e.code}:${e.message}`);
    }
  }
  return JSON.stringify({
    parse: [qs.parse("a=1&b=x%20y&a=2&c=&d+e=f+g&bad=%zz"), qs.parse("a:1;b:2", ";", ":"), Object.getPrototypeOf(qs.parse("a=1")) === null],
    stringify: [qs.stringify({ a: [1, 2], b: "x y", c: true, d: null, e: "é&" }), qs.stringify({ a: 1 }, ";", ":"), qs.escape("a b/c"), qs.unescape("%41%zz")],
    events: [log, counts, unhandled, EventEmitter.defaultMaxListeners, typeof EventEmitter.once],
    decoder: pieces,
    asserted,
  });
};

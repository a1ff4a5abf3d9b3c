// WHATWG streams (Node's globals and `stream/web`), `stream/consumers`, a Response body as a
// stream, and TextDecoder's `stream` option.
exports = async function () {
  const out = {};
  const log = [];
  const rs = new ReadableStream({
    start(c) {
      log.push(["start", c.desiredSize]);
      c.enqueue("a");
    },
    pull(c) {
      log.push(["pull", c.desiredSize]);
      if (log.length > 4) c.close();
      else c.enqueue(String(log.length));
    },
    cancel(reason) {
      log.push(["cancel", reason]);
    },
  }, { highWaterMark: 2 });
  const reader = rs.getReader();
  out.locked = [rs.locked, Object.prototype.toString.call(rs), Object.prototype.toString.call(reader)];
  const chunks = [];
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    chunks.push(value);
  }
  out.chunks = chunks;
  out.log = log;
  reader.releaseLock();
  out.afterRelease = rs.locked;
  // Async iteration, `from`, and a break cancelling the source.
  const seen = [];
  for await (const x of ReadableStream.from([1, 2, 3])) seen.push(x);
  const cancelled = [];
  const endless = new ReadableStream({ pull: (c) => c.enqueue(seen.length), cancel: (r) => cancelled.push(String(r)) });
  for await (const x of endless) {
    seen.push(x);
    if (seen.length > 5) break;
  }
  out.iterated = [seen, cancelled, endless.locked];
  // tee, pipeThrough a TransformStream, pipeTo a WritableStream.
  const [left, right] = ReadableStream.from(["x", "y"]).tee();
  const upper = left.pipeThrough(new TransformStream({ transform: (chunk, c) => c.enqueue(chunk.toUpperCase()), flush: (c) => c.enqueue("!") }));
  const written = [];
  const sink = new WritableStream({ write: (chunk) => written.push(chunk), close: () => written.push("closed") });
  await upper.pipeTo(sink);
  const rightAll = [];
  for await (const x of right) rightAll.push(x);
  out.piped = [written, rightAll];
  // A writer: ready, desiredSize, write order, close; an erroring sink.
  const order = [];
  const ws = new WritableStream({ write: (chunk) => new Promise((r) => setTimeout(() => r(order.push(chunk)), 1)) }, new CountQueuingStrategy({ highWaterMark: 2 }));
  const writer = ws.getWriter();
  out.writer = [writer.desiredSize, ws.locked];
  writer.write(1);
  writer.write(2);
  out.writer.push(writer.desiredSize);
  await writer.write(3);
  await writer.close();
  out.writer.push(order, writer.desiredSize);
  const failing = new WritableStream({ write: () => Promise.reject(new Error("disk full")) });
  const fw = failing.getWriter();
  out.failing = await fw.write("x").then(() => "ok", (e) => e.message);
  out.failingClosed = await fw.closed.then(() => "ok", (e) => e.message);
  // An erroring source rejects reads and pipes.
  const broken = new ReadableStream({ start: (c) => c.error(new Error("broken")) });
  out.broken = await broken.getReader().read().then(() => "ok", (e) => e.message);
  // Text streams and consumers.
  const bytes = new TextEncoder().encode("héllo wörld");
  const split = ReadableStream.from([bytes.slice(0, 2), bytes.slice(2, 9), bytes.slice(9)]);
  const decoded = [];
  for await (const t of split.pipeThrough(new TextDecoderStream())) decoded.push(t);
  out.decoded = decoded.join("");
  const encoded = [];
  for await (const b of ReadableStream.from(["é"]).pipeThrough(new TextEncoderStream())) encoded.push([...b]);
  out.encoded = encoded;
  const consumers = require("stream/consumers");
  out.consumers = [
    await consumers.text(ReadableStream.from(["a", "b"])),
    await consumers.json(ReadableStream.from([new TextEncoder().encode('{"k":'), new TextEncoder().encode("1}")])),
    (await consumers.buffer(ReadableStream.from([new Uint8Array([1, 2])]))).length,
  ];
  // TextDecoder with `stream`: a character cut between calls.
  const d = new TextDecoder();
  out.textDecoder = [d.decode(bytes.slice(0, 2), { stream: true }), d.decode(bytes.slice(2, 9), { stream: true }), d.decode(bytes.slice(9))];
  // Response.body: a stream of the body; reading it uses the body.
  const response = new Response("streamed");
  const body = response.body;
  out.body = [body === response.body, response.bodyUsed, new Response(null).body];
  out.bodyText = await consumers.text(body);
  out.bodyUsed = [response.bodyUsed, await response.text().then(() => "ok", (e) => e.constructor.name)];
  out.web = Object.keys(require("stream/web")).includes("ReadableStream") && require("stream/web").ReadableStream === ReadableStream;
  for (const [name, f] of [["lockedRead", () => { const s = new ReadableStream(); s.getReader(); s.getReader(); }], ["closedEnqueue", () => new ReadableStream({ start: (c) => { c.close(); c.enqueue(1); } })]]) {
    try {
      f();
      out[name] = "no error";
    } catch (e) {
      out[name] = e.constructor.name;
    }
  }
  return JSON.stringify(out);
};

// `diagnostics_channel`: channels, subscribers, and tracing channels around sync, promise and
// callback functions, as database clients use them.
exports = async function () {
  const dc = require("diagnostics_channel");
  const out = { keys: Object.keys(dc).sort() };
  const seen = [];
  const c = dc.channel("writ:test");
  out.same = c === dc.channel("writ:test");
  out.before = [c.hasSubscribers, dc.hasSubscribers("writ:test"), c.name];
  const onMessage = (data, name) => seen.push([name, data.n]);
  c.subscribe(onMessage);
  dc.subscribe("writ:test", (data) => seen.push(["second", data.n]));
  c.publish({ n: 1 });
  out.during = [c.hasSubscribers, dc.hasSubscribers("writ:test"), c.unsubscribe(onMessage), c.unsubscribe(onMessage)];
  c.publish({ n: 2 });
  out.seen = seen;
  const events = [];
  const t = dc.tracingChannel("writ:query");
  out.tracing = [t.hasSubscribers, t.start.name, Object.getOwnPropertyNames(t).sort()];
  const handlers = {};
  for (const e of ["start", "end", "asyncStart", "asyncEnd", "error"]) {
    handlers[e] = (ctx) => events.push([e, ctx.q, "result" in ctx ? ctx.result : null, ctx.error ? ctx.error.message : null]);
  }
  t.subscribe(handlers);
  out.sync = t.traceSync((a, b) => a + b, { q: "sync" }, null, 1, 2);
  try {
    t.traceSync(() => {
      throw new Error("bad");
    }, { q: "throws" });
  } catch (e) {
    out.thrown = e.message;
  }
  out.promise = await t.tracePromise(async (x) => x * 2, { q: "promise" }, null, 21);
  out.rejected = await t.tracePromise(async () => Promise.reject(new Error("no")), { q: "rejects" }).catch((e) => e.message);
  out.callback = await new Promise((resolve) =>
    t.traceCallback((x, cb) => setTimeout(() => cb(null, x + 1), 1), -1, { q: "callback" }, null, 1, (err, v) => resolve(v)),
  );
  out.events = events;
  out.unsubscribed = [t.unsubscribe(handlers), t.unsubscribe(handlers), t.hasSubscribers];
  for (const [name, f] of [["badName", () => dc.channel(1)], ["badSub", () => c.subscribe(1)], ["badTracing", () => dc.tracingChannel(1)]]) {
    try {
      f();
      out[name] = "no error";
    } catch (e) {
      out[name] = [e.name, e.code];
    }
  }
  return JSON.stringify(out);
};

// The fetch classes (Headers, Request, Response) without a network, process (env, nextTick
// order, hrtime shapes), global/globalThis, queueMicrotask ordering, structuredClone, tty and
// perf_hooks.
exports = async function () {
  const h = new Headers({ "Content-Type": "text/plain", "X-A": "1" });
  h.append("x-a", "2");
  h.set("X-B", "b");
  h.delete("x-missing");
  const headers = [h.get("content-type"), h.get("X-A"), h.has("x-b"), [...h.keys()], [...h.entries()].length];
  const fromPairs = [...new Headers([["a", "1"], ["b", "2"]])];

  const req = new Request("https://example.com/path?q=1", { method: "POST", body: JSON.stringify({ a: 1 }), headers: { "content-type": "application/json" } });
  const request = [req.method, req.url, req.headers.get("content-type"), await req.clone().json(), await req.text(), req.bodyUsed, req.signal.aborted, typeof req.signal.addEventListener];

  const res = new Response("hello", { status: 201, statusText: "Made", headers: { "x-r": "r" } });
  const response = [res.status, res.ok, res.statusText, res.headers.get("x-r"), await res.clone().text(), Buffer.from(await res.arrayBuffer()).toString()];
  const json = Response.json({ n: 1 });
  const jsonResponse = [json.headers.get("content-type"), await json.json()];
  const notOk = new Response(null, { status: 404 });
  const bad = (() => { try { new Response("x", { status: 99 }); } catch (e) { return e.name; } })();

  const order = [];
  process.nextTick(() => order.push("tick"));
  Promise.resolve().then(() => order.push("promise"));
  queueMicrotask(() => order.push("microtask"));
  await new Promise((r) => setTimeout(r, 5));

  const hr = process.hrtime();
  const proc = {
    env: typeof process.env,
    nextTickArgs: await new Promise((r) => process.nextTick((a, b) => r([a, b]), 1, 2)),
    hrtime: [hr.length, typeof process.hrtime(hr)[1], typeof process.hrtime.bigint()],
    version: /^v\d+\.\d+\.\d+$/.test(process.version),
    versions: typeof process.versions.node,
    platform: typeof process.platform,
    cwd: typeof process.cwd(),
    uptime: typeof process.uptime(),
  };
  const globals = [global === globalThis, typeof globalThis.setTimeout, typeof global.Buffer];
  // tty: a function has no terminal (Node's harness runs with its output piped too).
  const { performance: perf } = require("perf_hooks");
  const t0 = perf.now();
  const small = [require("tty").isatty(1), require("tty").isatty(0), typeof t0, perf.now() >= t0, perf === performance, typeof perf.timeOrigin];
  const cloned = structuredClone({ d: new Date(0), m: new Map([[1, { x: [1, 2] }]]), s: new Set(["a"]), r: /x/gi });
  const clone = [cloned.d.toISOString(), cloned.m.get(1).x, [...cloned.s], String(cloned.r)];
  const cloneError = (() => { try { structuredClone(() => 1); } catch (e) { return e.name; } })();
  // All three run before the timer; their relative order depends on where Node is when nextTick is called.
  return JSON.stringify({ small, headers, fromPairs, request, response, jsonResponse, notOk: [notOk.ok, notOk.status], bad, order: order.sort(), proc, globals, clone, cloneError });
};

// `require("console")` / `node:console`: its methods, and `Console` over given streams.
exports = function () {
  const mod = require("node:console");
  const chunks = [];
  const { Writable } = require("stream");
  const sink = (name) =>
    new Writable({
      write(chunk, encoding, done) {
        chunks.push([name, String(chunk)]);
        done();
      },
    });
  const out = sink("out");
  const err = sink("err");
  const c = new mod.Console(out, err);
  c.log("a %d %s", 5, "x");
  c.info({ b: [1, 2] });
  c.warn("w");
  c.error(new Error("e").message);
  const d = new mod.Console({ stdout: out });
  d.error("to stdout");
  let refused;
  try {
    new mod.Console({});
  } catch (e) {
    refused = e.code;
  }
  return JSON.stringify({ kinds: ["log", "info", "warn", "error", "debug"].map((m) => typeof mod[m]), ctor: typeof mod.Console, chunks, refused, same: require("console") === mod });
};

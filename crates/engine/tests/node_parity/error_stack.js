// V8's stack trace API: the `name: message` line, `Error.captureStackTrace`, the
// `stackTraceLimit` and `prepareStackTrace` settings and CallSite objects (as depd, express's
// deprecation helper, and `callsites` read them).
exports = function () {
  const out = {};
  function inner() {
    throw new TypeError("bad thing");
  }
  try {
    inner();
  } catch (e) {
    const lines = e.stack.split("\n");
    out.header = lines[0];
    out.frame = /^    at inner \(.*:\d+:\d+\)$/.test(lines[1]);
  }
  const o = { name: "Custom", message: "m" };
  function make() {
    Error.captureStackTrace(o, make);
  }
  function outer() {
    make();
  }
  outer();
  const captured = o.stack.split("\n");
  const desc = Object.getOwnPropertyDescriptor(o, "stack");
  out.captured = [captured[0], /^    at outer /.test(captured[1]), desc.enumerable, desc.writable];
  const plain = {};
  Error.captureStackTrace(plain);
  out.plain = plain.stack.split("\n")[0];
  class HttpError extends Error {
    constructor(message) {
      super(message);
      this.name = "HttpError";
      Error.captureStackTrace(this, HttpError);
    }
  }
  out.subclass = new HttpError("not found").stack.split("\n")[0];
  const previous = Error.prepareStackTrace;
  Error.prepareStackTrace = (err, sites) => sites;
  function named() {
    return new Error("q").stack;
  }
  const sites = named();
  Error.prepareStackTrace = previous;
  const s = sites[0];
  // (Not the file: Node's harness runs the file through `new Function`, an eval.)
  out.sites = [Array.isArray(sites), s.getFunctionName(), typeof s.getLineNumber(), typeof s.getColumnNumber(), s.isNative(), s.isConstructor(), typeof s.toString()];
  Error.prepareStackTrace = (err, callSites) => `${err.message}:${callSites.length > 0}`;
  out.prepared = new Error("prep").stack;
  Error.prepareStackTrace = previous;
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 1;
  out.limited = new Error("z").stack.split("\n").length;
  Error.stackTraceLimit = 0;
  out.none = new Error("z").stack;
  Error.stackTraceLimit = limit;
  out.defaults = [limit, typeof Error.captureStackTrace, Error.prepareStackTrace, "prepareStackTrace" in Error];
  const e = new Error("x");
  e.stack = "custom";
  out.assigned = e.stack;
  out.inspected = require("util").inspect(new RangeError("out")).split("\n")[0];
  return JSON.stringify(out);
};

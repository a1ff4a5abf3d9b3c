// Small modules: `tty` (a function has no terminal), `perf_hooks` (`performance.now()` on
// a monotonic clock; marks and measures are not built) and `console` (the call's console, and
// `Console`, which writes formatted lines to the streams it is given).
(function (natives, require, internal) {
  "use strict";
  const now = () => natives.now() / 1e6;
  const performance = { now, timeOrigin: Date.now() - now(), toJSON: () => ({ timeOrigin: performance.timeOrigin }) };
  internal.unsupported(performance, "performance", ["mark", "measure", "getEntries", "getEntriesByName", "getEntriesByType", "clearMarks", "clearMeasures", "timerify", "eventLoopUtilization"]);
  const perfHooks = { performance };
  internal.unsupported(perfHooks, "perf_hooks", ["PerformanceObserver", "monitorEventLoopDelay", "createHistogram"]);
  const tty = {
    isatty: () => false,
  };
  internal.unsupported(tty, "tty", ["ReadStream", "WriteStream"], "a function has no terminal");
  // `require("console")`: what the global console does (the call's log), looked up when called.
  const METHODS = ["log", "info", "debug", "warn", "error"];
  const consoleModule = {};
  for (const name of METHODS) consoleModule[name] = (...args) => globalThis.console[name](...args);
  class Console {
    constructor(stdout, stderr) {
      // `new Console({ stdout, stderr })` or `new Console(stdout, stderr)`, as in Node.
      if (stdout && typeof stdout.write !== "function" && stdout.stdout) ({ stdout, stderr } = stdout);
      if (!stdout || typeof stdout.write !== "function") {
        const e = new TypeError('The "stdout" argument must be a writable stream');
        e.code = "ERR_CONSOLE_WRITABLE_STREAM";
        throw e;
      }
      const out = stdout;
      const err = stderr && typeof stderr.write === "function" ? stderr : stdout;
      const format = (...args) => require("util").format(...args) + "\n";
      for (const name of METHODS) {
        const stream = name === "warn" || name === "error" ? err : out;
        this[name] = (...args) => {
          stream.write(format(...args));
        };
      }
    }
  }
  consoleModule.Console = Console;
  return { tty, perf_hooks: perfHooks, console: consoleModule };
})

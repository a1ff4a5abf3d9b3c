// Small modules: `tty` (a function has no terminal) and `perf_hooks` (`performance.now()` on
// a monotonic clock; marks and measures are not built).
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
  return { tty, perf_hooks: perfHooks };
})

// `timers`: the timer globals as a module, and `timers/promises`-style `setTimeout` promises
// under `promises`.
(function (natives, require, internal) {
  "use strict";
  const promises = {
    setTimeout: (ms, value) => new Promise((resolve) => setTimeout(() => resolve(value), ms)),
    setImmediate: (value) => new Promise((resolve) => setImmediate(() => resolve(value))),
  };
  return { setTimeout, clearTimeout, setInterval, clearInterval, setImmediate, clearImmediate, promises };
})

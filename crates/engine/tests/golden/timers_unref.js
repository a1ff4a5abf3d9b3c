// Timeout objects: an unreferenced timer does not keep the call open (the call answers
// without waiting 60 s for it), but runs if it falls due while other work keeps the call
// open; clearTimeout takes the object; refresh and hasRef behave as in Node.
exports = async function () {
  const fired = [];
  const idle = setTimeout(() => fired.push("never"), 60000);
  idle.unref();
  const early = setTimeout(() => fired.push("unref ran while the call was open"), 5).unref();
  await new Promise((resolve) => setTimeout(resolve, 30));
  const cleared = setTimeout(() => fired.push("cleared"), 1);
  clearTimeout(cleared);
  const interval = setInterval(() => {
    fired.push("tick");
    clearInterval(interval);
  }, 1);
  await new Promise((resolve) => setTimeout(resolve, 10));
  return {
    fired,
    hasRef: [idle.hasRef(), early.hasRef(), idle.ref().hasRef(), idle.unref().hasRef()],
    refreshed: idle.refresh() === idle,
    primitive: typeof +idle,
    immediate: typeof setImmediate(() => {}).unref,
  };
};

// The retry pattern App Services documents: wait with setTimeout inside a promise, then retry.
exports = async function () {
  const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
  const order = [];
  let attempts = 0;
  async function flaky() {
    attempts += 1;
    if (attempts < 3) throw new Error("try again");
    return "done";
  }
  let result;
  for (;;) {
    try {
      result = await flaky();
      break;
    } catch (e) {
      order.push(`attempt ${attempts} failed`);
      await sleep(5);
    }
  }
  // Timers run in due order; equal delays in the order they were set; args are passed. (Whether
  // a 1 ms timer or an immediate runs first depends on the clock, in Node too: the immediate is
  // only checked to have run before the late timer.)
  const fired = await new Promise((resolve) => {
    const seen = [];
    setTimeout((x) => seen.push(x), 20, "late");
    setTimeout((x) => seen.push(x), 1, "early");
    setTimeout((x) => seen.push(x), 1, "early too");
    setImmediate(() => seen.push(seen.includes("late") ? "immediate after late" : "immediate"));
    queueMicrotask(() => seen.push("microtask"));
    setTimeout(() => resolve(seen.filter((x) => x !== "immediate").concat(seen.includes("immediate") ? ["immediate"] : [])), 30);
  });
  // Cleared timers never run; an interval runs until it is cleared.
  const cleared = setTimeout(() => order.push("never"), 1);
  clearTimeout(cleared);
  const ticks = await new Promise((resolve) => {
    let n = 0;
    const id = setInterval(() => {
      n += 1;
      if (n === 3) {
        clearInterval(id);
        resolve(n);
      }
    }, 2);
  });
  return { result, attempts, order, fired, ticks, type: typeof cleared };
};

// timeout_ms: 50
// The loop budget (about 8M iterations here) runs out before the caller stops waiting (at
// 250 ms): the worker itself must answer with the time limit, though Boa drops the error of
// the async function it resumed.
exports = async function () {
  await null;
  for (;;) {}
};

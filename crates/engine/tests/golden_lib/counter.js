// Module state is per call: the top level runs again for every call.
let calls = 0;
const shared = "counter";
exports = function () {
  calls += 1;
  return { calls, shared };
};

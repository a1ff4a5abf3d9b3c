// A top-level const with the same name as one in golden_lib/counter.js.
const shared = "main";
exports = function () {
  const first = context.functions.execute("counter");
  const second = context.functions.execute("counter");
  context.user.id = "tampered"; // this call's copy only
  return { first, second, shared };
};

// A timer still pending when the function returns runs before the answer, as un-awaited work
// does: its log line is in the call's logs.
exports = function () {
  setTimeout(() => console.log("the timer ran after the return"), 10);
  return "returned";
};

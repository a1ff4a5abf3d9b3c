// Stack traces open with the error's line, as V8's do, and name the function's file, with its
// own lines and columns.
function inner() {
  return null.x;
}
exports = function () {
  try {
    inner();
  } catch (e) {
    return e.stack.split("\n").map((l) => l.trim());
  }
};

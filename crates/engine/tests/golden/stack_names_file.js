// Stack traces name the function's file, with its own lines and columns.
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

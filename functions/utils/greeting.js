// A private helper: clients cannot call it, other functions can.
exports = function (name) {
  return `Hello, ${name}!`;
};

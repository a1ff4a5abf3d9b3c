// timeout_ms: 300
exports = function () {
  while (true) {}
};

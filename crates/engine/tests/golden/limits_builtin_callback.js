// timeout_ms: 300
exports = function () {
  [1, 2, 3].forEach(() => { while (true) {} });
};

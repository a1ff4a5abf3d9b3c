// A function that returns a thenable (as a returned database cursor is) answers with what it
// resolves to, as `await` would.
exports = function () {
  return { then(resolve) { resolve({ settled: 42 }); } };
};

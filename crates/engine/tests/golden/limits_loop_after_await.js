// timeout_ms: 300
exports = async function () {
  await Promise.resolve(1);
  for (;;) {}
};

// private
exports = function (a, b) {
  return { sum: a + b, user: context.user.id, system: context.runningAsSystem() };
};

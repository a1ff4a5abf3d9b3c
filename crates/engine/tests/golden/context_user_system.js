// system
exports = function () {
  return { hasId: "id" in context.user, type: context.user.type, system: context.runningAsSystem(), data: context.user.data };
};

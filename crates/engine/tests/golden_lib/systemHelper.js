// run_as_system
exports = async function () {
  return { system: context.runningAsSystem(), user: context.user.id };
};

exports = async function () {
  const direct = context.functions.execute("helper", 2, 3);
  const system = await context.functions.execute("systemHelper");
  let missing;
  try { context.functions.execute("doesNotExist"); } catch (e) { missing = e.message; }
  return { direct, system, missing, callerStillUser: context.runningAsSystem() };
};

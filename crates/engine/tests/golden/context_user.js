exports = function () {
  const u = context.user;
  return { id: u.id, type: u.type, data: u.data, custom_data: u.custom_data, identities: u.identities, system: context.runningAsSystem() };
};

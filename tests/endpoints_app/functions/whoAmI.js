exports = function () {
  return { id: context.user.id, name: context.user.data.name, identities: context.user.identities.map((i) => i.provider_type) };
};

exports = function (request, response) {
  return { id: context.user.id, type: context.user.type };
};

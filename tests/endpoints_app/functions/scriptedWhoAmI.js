exports = function (request, response) {
  return { id: context.user.id };
};

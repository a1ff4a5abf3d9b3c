exports = function () {
  const a = {};
  a.self = a;
  return a;
};

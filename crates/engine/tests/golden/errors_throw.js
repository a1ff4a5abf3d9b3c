exports = function () {
  const e = new TypeError("wrong type of thing");
  e.code = 42;
  throw e;
};

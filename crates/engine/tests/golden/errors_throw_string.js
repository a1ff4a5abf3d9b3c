exports = function () {
  throw "just a string";
};

exports = async function () {
  await null;
  throw new RangeError("out of range after await");
};

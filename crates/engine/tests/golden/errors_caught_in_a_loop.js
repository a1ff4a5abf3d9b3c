// A loop that catches many errors thrown by functions it calls (retries, per-item
// validation) runs to the end: Boa leaks value-stack slots per caught error, which writ's
// larger stack limit absorbs.
exports = function () {
  const validate = (n) => {
    if (n % 2) throw new RangeError(`odd: ${n}`);
    return n;
  };
  let caught = 0;
  let valid = 0;
  for (let i = 0; i < 50000; i++) {
    try {
      validate(i);
      valid++;
    } catch (e) {
      caught++;
    }
  }
  return { caught, valid };
};

// A timer callback that throws fails the call, as an uncaught exception does; a non-function
// callback is refused at once.
exports = function () {
  let refused;
  try {
    setTimeout("code as a string", 1);
  } catch (e) {
    refused = `${e.name}: ${e.message}`;
  }
  console.log(refused);
  setTimeout(() => {
    throw new TypeError("thrown in a timer");
  }, 1);
  return "returned";
};

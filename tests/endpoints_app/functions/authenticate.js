// The custom-function provider's function: the payload's pin must be right; the username is
// the user's external id.
exports = function (payload) {
  if (payload.pin !== 1234) {
    throw new Error("wrong pin");
  }
  return { id: payload.username, name: `Player ${payload.username}` };
};

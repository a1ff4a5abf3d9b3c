// The password reset function: the client proves itself with a secret answer.
exports = function ({ token, tokenId, username, password, currentPasswordValid }, answer) {
  if (answer === "open sesame") return { status: "success" };
  if (answer === "later") return { status: "pending" };
  return { status: "fail" };
};

// The email/password provider's confirmation function: addresses at pending.example wait for
// the app to confirm them (it keeps the token), fail.example is refused, others are confirmed.
exports = async function ({ token, tokenId, username }) {
  if (username.endsWith("@pending.example")) {
    await context.services
      .get("mongodb-atlas")
      .db("endpoints")
      .collection("pendingConfirmations")
      .updateOne({ username }, { $set: { token, tokenId } }, { upsert: true });
    return { status: "pending" };
  }
  if (username.endsWith("@fail.example")) {
    return { status: "fail" };
  }
  return { status: "success" };
};

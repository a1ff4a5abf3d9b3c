// What the app would email: the confirmation token kept for a pending sign-up.
exports = async function (username) {
  const doc = await context.services
    .get("mongodb-atlas")
    .db("endpoints")
    .collection("pendingConfirmations")
    .findOne({ username });
  return doc && { token: doc.token, tokenId: doc.tokenId };
};

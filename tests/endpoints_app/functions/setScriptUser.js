// Chooses the user the scripted endpoint runs as.
exports = async function (userId) {
  await context.services.get("mongodb-atlas").db("endpoints").collection("settings")
    .updateOne({ _id: "script" }, { $set: { userId } }, { upsert: true });
  return userId;
};

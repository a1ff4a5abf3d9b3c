// The LOGIN authentication trigger: counts the user's logins in their custom data document.
exports = async function (authEvent) {
  const users = context.services.get("mongodb-atlas").db("exported-app").collection("users");
  await users.updateOne(
    { user_id: authEvent.user.id },
    { $inc: { loginCount: 1 }, $set: { lastLogin: authEvent.time, lastProvider: authEvent.providers[0] } },
    { upsert: true }
  );
};

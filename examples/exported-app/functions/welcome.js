// The CREATE authentication trigger: marks new email/password users as welcomed.
exports = async function (authEvent) {
  const users = context.services.get("mongodb-atlas").db("exported-app").collection("users");
  await users.updateOne({ user_id: authEvent.user.id }, { $set: { welcomed: authEvent.operationType } });
};

// Updates the caller's own custom data document (the rules allow nothing else).
exports = async function (color) {
  const users = context.services.get("mongodb-atlas").db("exported-app").collection("users");
  return users.updateOne({ user_id: context.user.id }, { $set: { favoriteColor: color } });
};

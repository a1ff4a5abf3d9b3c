// Runs before a user is created; throwing refuses the sign-up.
exports = async function (user) {
  const email = user.data.email || "";
  if (email.endsWith("@blocked.example")) {
    throw new Error("sign-ups from blocked.example are not allowed");
  }
  const users = context.services.get("mongodb-atlas").db("exported-app").collection("users");
  await users.insertOne({
    user_id: user.id,
    email,
    plan: context.values.get("signupPlan"),
    createdBy: "onUserCreation",
    loginCount: 0,
  });
};

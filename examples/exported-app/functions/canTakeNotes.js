// The verdict of the notes collection's role (`%function` in its rules.json): users who signed
// up with email and password take notes, anonymous users do not. Runs as the user the rule
// decides for.
exports = function (userId) {
  return userId === context.user.id && context.user.identities.some((i) => i.provider_type === "local-userpass");
};

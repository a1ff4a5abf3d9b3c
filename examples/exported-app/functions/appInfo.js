// What the app's values and environment hold (the secret itself is never returned).
exports = function () {
  const apiKey = context.values.get("apiKey");
  return {
    appName: context.values.get("appName"),
    plan: context.values.get("signupPlan"),
    environment: context.environment.tag,
    greeting: context.environment.values.greeting,
    apiKeyLength: apiKey.length,
  };
};

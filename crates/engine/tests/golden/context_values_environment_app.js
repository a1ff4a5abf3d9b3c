exports = function () {
  const limits = context.values.get("limits");
  limits.max = 99; // a copy: the next get is unchanged
  return {
    appName: context.values.get("appName"),
    limits: context.values.get("limits"),
    missing: context.values.get("nope") === undefined,
    tag: context.environment.tag,
    envValues: context.environment.values,
    app: { name: context.app.name, clientAppId: context.app.clientAppId, deployment: context.app.deployment },
    frozen: Object.isFrozen(context.environment.values),
  };
};

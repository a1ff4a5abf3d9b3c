// A legacy incoming webhook: (payload, response), run as system.
exports = function (payload, response) {
  const body = JSON.parse(payload.body.text());
  response.setStatusCode(202);
  response.addHeader("X-Ping", "pong");
  return { pong: body.ping, query: payload.query, system: context.user.type === "system" };
};

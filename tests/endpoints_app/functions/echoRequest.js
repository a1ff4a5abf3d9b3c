// Echoes what an endpoint received, as App Services passed it.
exports = function ({ query, headers, body }, response) {
  return {
    query,
    contentType: headers["Content-Type"],
    headerIsArray: Array.isArray(headers["Content-Type"] || []),
    body: body === undefined ? null : body.text(),
    bodyIsBinary: body === undefined || body instanceof BSON.Binary,
    system: context.user.type === "system",
    hasResponse: typeof response.setStatusCode === "function",
    httpMethod: context.request.httpMethod,
    webhookUrl: context.request.webhookUrl,
  };
};

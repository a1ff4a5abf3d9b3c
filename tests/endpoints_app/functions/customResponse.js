exports = function (request, response) {
  response.setStatusCode(201);
  response.setHeader("Content-Type", "text/plain");
  response.addHeader("X-Multi", "a");
  response.addHeader("X-Multi", "b");
  response.setBody("created by writ");
  return { ignored: true };
};

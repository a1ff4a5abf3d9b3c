// The `response` object an HTTPS endpoint's function receives as its second argument, as App
// Services passed it. Evaluated once per worker context; each call makes a fresh pair of the
// frozen response and the plain state the engine reads once the call has settled.
(function () {
  "use strict";
  const Binary = BSON.Binary;
  return function makeResponse() {
    const state = { statusCode: null, headers: Object.create(null), body: null };
    const key = (name) => String(name).toLowerCase();
    const response = {
      setStatusCode(code) {
        if (!Number.isInteger(code) || code < 100 || code > 599) {
          throw new TypeError(`response.setStatusCode: ${code} is not an HTTP status code`);
        }
        state.statusCode = code;
      },
      setBody(body) {
        if (typeof body !== "string" && !(body instanceof Binary)) {
          throw new TypeError("response.setBody expects a string or a BSON.Binary");
        }
        state.body = body;
      },
      setHeader(name, value) {
        state.headers[key(name)] = [String(value)];
      },
      addHeader(name, value) {
        const k = key(name);
        if (!state.headers[k]) state.headers[k] = [];
        state.headers[k].push(String(value));
      },
    };
    return [Object.freeze(response), state];
  };
})();

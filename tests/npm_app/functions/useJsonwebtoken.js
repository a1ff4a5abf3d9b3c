exports = function () {
  const jwt = require("jsonwebtoken");
  const token = jwt.sign({ sub: "user-1", role: "admin", iat: 1700000000 }, "shh-secret", { algorithm: "HS256" });
  const attempt = (f) => {
    try {
      return f();
    } catch (e) {
      return `${e.name}: ${e.message}`;
    }
  };
  const expired = jwt.sign({ sub: "x", iat: 1000, exp: 2000 }, "shh-secret");
  return JSON.stringify({
    token,
    verified: jwt.verify(token, "shh-secret"),
    decoded: jwt.decode(token, { complete: true }).header,
    wrongSecret: attempt(() => jwt.verify(token, "other")),
    expired: attempt(() => jwt.verify(expired, "shh-secret")),
    hs512: jwt.verify(jwt.sign({ a: 1, iat: 5 }, "k", { algorithm: "HS512" }), "k", { algorithms: ["HS512"] }),
  });
};

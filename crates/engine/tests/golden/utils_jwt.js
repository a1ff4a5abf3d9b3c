exports = function () {
  const token = utils.jwt.encode("HS256", { sub: "u1", n: 1 }, "secret", { kid: "k1" });
  const payload = utils.jwt.decode(token, "secret");
  const both = utils.jwt.decode(token, "secret", true);
  let wrong, expired, method;
  try { utils.jwt.decode(token, "other"); } catch (e) { wrong = e.message; }
  try { utils.jwt.decode(utils.jwt.encode("HS512", { exp: 1 }, "s"), "s"); } catch (e) { expired = e.message; }
  try { utils.jwt.encode("none", {}, "s"); } catch (e) { method = e.message; }
  return { token, payload, header: both.header, wrong, expired, method };
};

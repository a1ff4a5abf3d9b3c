exports = function () {
  const out = { unknownService: context.services.get("no-such-service") === undefined };
  try { context.http.get({ url: "http://localhost" }); } catch (e) { out.http = e.message; }
  try { require("axios"); } catch (e) { out.require = e.message; }
  try { utils.crypto.encrypt("aes", "x", "k"); } catch (e) { out.encrypt = e.message; }
  return out;
};

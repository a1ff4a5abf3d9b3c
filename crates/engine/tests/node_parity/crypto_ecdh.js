// crypto.createECDH: fixed private keys give Node's public keys and shared secrets; fresh
// keys agree with each other; bad keys and curves are refused.
exports = function () {
  const crypto = require("crypto");
  const out = {};
  for (const [curve, size] of [["prime256v1", 32], ["secp384r1", 48]]) {
    const a = crypto.createECDH(curve);
    const b = crypto.createECDH(curve);
    a.setPrivateKey(Buffer.alloc(size, 7));
    b.setPrivateKey("0".repeat(size * 2 - 2) + "2a", "hex");
    out[curve] = {
      aPublic: a.getPublicKey("hex"),
      aCompressed: a.getPublicKey("base64", "compressed"),
      bPrivate: b.getPrivateKey("hex"),
      secret: a.computeSecret(b.getPublicKey()).toString("hex"),
      same: a.computeSecret(b.getPublicKey("hex"), "hex", "base64") === b.computeSecret(a.getPublicKey()).toString("base64"),
      fromCompressed: a.computeSecret(b.getPublicKey(null, "compressed")).toString("hex") === a.computeSecret(b.getPublicKey()).toString("hex"),
    };
    const c = crypto.createECDH(curve);
    const d = crypto.createECDH(curve);
    const cPublic = c.generateKeys();
    d.generateKeys();
    out[curve].fresh = [cPublic.length, d.computeSecret(cPublic).equals(c.computeSecret(d.getPublicKey()))];
    try {
      a.computeSecret(Buffer.from([4, 1, 2, 3]));
    } catch (e) {
      out[curve].badPeer = e.code;
    }
  }
  return JSON.stringify(out);
};

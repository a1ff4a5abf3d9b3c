// Key generation: shapes, encodings and round trips (the keys themselves are random, so
// no byte comparison): RSA, EC on P-256 and P-384, secret HMAC/AES keys.
exports = async function () {
  const crypto = require("crypto");
  const data = Buffer.from("signed by a fresh key");
  const rsa = crypto.generateKeyPairSync("rsa", { modulusLength: 1024 });
  const rsaShape = [rsa.privateKey.type, rsa.publicKey.type, rsa.privateKey.asymmetricKeyType, rsa.publicKey.asymmetricKeyDetails.modulusLength, String(rsa.publicKey.asymmetricKeyDetails.publicExponent)];
  const rsaSig = crypto.sign("sha256", data, rsa.privateKey);
  const rsaOk = [crypto.verify("sha256", data, rsa.publicKey, rsaSig), rsaSig.length];
  const pem = crypto.generateKeyPairSync("rsa", {
    modulusLength: 1024,
    publicKeyEncoding: { type: "spki", format: "pem" },
    privateKeyEncoding: { type: "pkcs1", format: "pem" },
  });
  const pemShape = [pem.publicKey.split("\n")[0], pem.privateKey.split("\n")[0], typeof pem.publicKey];
  const pemOk = crypto.createVerify("RSA-SHA256").update(data).verify(pem.publicKey, crypto.createSign("RSA-SHA256").update(data).sign(pem.privateKey));
  const ec = {};
  for (const curve of ["prime256v1", "P-384"]) {
    const pair = crypto.generateKeyPairSync("ec", { namedCurve: curve, publicKeyEncoding: { type: "spki", format: "pem" }, privateKeyEncoding: { type: "sec1", format: "pem" } });
    const key = crypto.createPrivateKey(pair.privateKey);
    const sig = crypto.sign(null, data, key);
    ec[curve] = [pair.privateKey.split("\n")[0], key.asymmetricKeyDetails.namedCurve, crypto.verify(null, data, pair.publicKey, sig)];
  }
  const async = await new Promise((resolve) => crypto.generateKeyPair("ec", { namedCurve: "P-256" }, (err, pub, priv) => resolve([err, pub.type, priv.type])));
  const secret = [crypto.generateKeySync("hmac", { length: 256 }).symmetricKeySize, crypto.generateKeySync("aes", { length: 128 }).symmetricKeySize];
  const badLength = (() => { try { crypto.generateKeyPairSync("rsa", { modulusLength: "big" }); } catch (e) { return e.code; } })();
  const badAes = (() => { try { crypto.generateKeySync("aes", { length: 100 }); } catch (e) { return e.code; } })();
  return JSON.stringify({ rsaShape, rsaOk, pemShape, pemOk, ec, async, secret, badLength, badAes });
};

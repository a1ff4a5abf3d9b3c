// EC keys (P-256, P-384) and ECDSA: what ES256/ES384 tokens need. ECDSA signatures are
// randomized in Node and deterministic in writ, so each side verifies signatures Node made
// and its own; keys are compared through their SPKI export.
const P256_PKCS8 = "-----BEGIN PRIVATE KEY-----\nMIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgPuo8WQGXTcUgPwm4\nQDO1zPRaWcpfHe7GOtejK/rQ7xKhRANCAATYUUTM4dDtBH9r6GFrdvW6wBZPilr6\ngoYWgSl37FWb1Ndzpku7HyqLCowZ3aFuAqJ96nTMik/vTrjLA0tn/hGr\n-----END PRIVATE KEY-----\n";
const P256_SEC1 = "-----BEGIN EC PRIVATE KEY-----\nMHcCAQEEID7qPFkBl03FID8JuEAztcz0WlnKXx3uxjrXoyv60O8SoAoGCCqGSM49\nAwEHoUQDQgAE2FFEzOHQ7QR/a+hha3b1usAWT4pa+oKGFoEpd+xVm9TXc6ZLux8q\niwqMGd2hbgKifep0zIpP7064ywNLZ/4Rqw==\n-----END EC PRIVATE KEY-----\n";
const P256_SPKI = "-----BEGIN PUBLIC KEY-----\nMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE2FFEzOHQ7QR/a+hha3b1usAWT4pa\n+oKGFoEpd+xVm9TXc6ZLux8qiwqMGd2hbgKifep0zIpP7064ywNLZ/4Rqw==\n-----END PUBLIC KEY-----\n";
const P384_PKCS8 = "-----BEGIN PRIVATE KEY-----\nMIG2AgEAMBAGByqGSM49AgEGBSuBBAAiBIGeMIGbAgEBBDAfMKxMcF70uRj/ZDbw\naHewh77LkVHGtjx26AOuV8W7rAHAuSA58jWSyu/DJyhnq6OhZANiAARVUeIqeiP6\nXrpvi3QZXsRWHp04x4Xz+Vo++hrEJneQluLysD5YEjPJii/UnqThIVRY88AUEbQo\nnYc6YTWhQBT1Yqgb8C/+o4V9Ssv4M/VR3B09/tfVbsaqYPFWsHHquIg=\n-----END PRIVATE KEY-----\n";
const NODE_DER = "MEUCIQCfWRSzYr6fl3TkxG/WtSk7qXM1fIZjaEP73gK87bPIYwIgep4+QDfNVnWivM0dOFhJImxtLUrxLPjVtW8W6d/fyWg=";
const NODE_P1363 = "Oto5f85fJEzGlasskoSXchrQYZRciSckxGJ9xAj9LucZ9uiGnRzwo+NvxRMtgKPrUUsCNOwLGy0oiKHDwuezTQ==";
const NODE_384 = "MGUCMQC+X0GtcglTlivpNLX6V15c99fqHFG08qFVnnyDFZwayFFGY77vexDf6l4UkgLzYAgCMHbq/QqllEAg/59jC5/8U06DZg4RKkX1r178Kpuw8Kct2nVMViIFwp/MGve+dgtwoQ==";
exports = function () {
  const crypto = require("crypto");
  const attempt = (f) => {
    try {
      return f();
    } catch (e) {
      return e.name;
    }
  };
  const key = crypto.createPrivateKey(P256_PKCS8);
  const sec1 = crypto.createPrivateKey(P256_SEC1);
  const pub = crypto.createPublicKey(P256_SPKI);
  const fromPrivate = crypto.createPublicKey(key);
  const key384 = crypto.createPrivateKey(P384_PKCS8);
  const hello = Buffer.from("hello");
  const der = crypto.sign("sha256", hello, key);
  const p1363 = crypto.sign("sha256", hello, { key, dsaEncoding: "ieee-p1363" });
  // What jwa (jsonwebtoken's ES256) does: createSign("RSA-SHA256") with an EC key.
  const jws = crypto.createSign("RSA-SHA256").update("header.").update("payload").sign(P256_SEC1, "base64");
  const sig384 = crypto.createSign("SHA384").update("hello").sign(key384);
  return JSON.stringify({
    details: [key.type, key.asymmetricKeyType, key.asymmetricKeyDetails, sec1.asymmetricKeyDetails, pub.type, pub.asymmetricKeyType, key384.asymmetricKeyDetails],
    spki: [fromPrivate.export({ type: "spki", format: "pem" }) === P256_SPKI, crypto.createPublicKey(sec1).export({ type: "spki", format: "pem" }), pub.export({ type: "spki", format: "der" }).length],
    verify: [
      crypto.verify("sha256", hello, pub, Buffer.from(NODE_DER, "base64")),
      crypto.verify("sha256", hello, { key: pub, dsaEncoding: "ieee-p1363" }, Buffer.from(NODE_P1363, "base64")),
      crypto.verify("sha256", hello, pub, der),
      crypto.verify("sha256", hello, { key: P256_SPKI, dsaEncoding: "ieee-p1363" }, p1363),
      crypto.verify("sha256", Buffer.from("tampered"), pub, der),
      crypto.verify("sha256", hello, pub, p1363),
      crypto.createVerify("RSA-SHA256").update("header.payload").verify(P256_SPKI, jws, "base64"),
      crypto.createVerify("SHA384").update("hello").verify(crypto.createPublicKey(key384), Buffer.from(NODE_384, "base64")),
      crypto.createVerify("SHA384").update("hello").verify(crypto.createPublicKey(P384_PKCS8), sig384),
    ],
    p1363Length: p1363.length,
    wrongKind: attempt(() => crypto.sign("sha256", hello, pub)),
  });
};

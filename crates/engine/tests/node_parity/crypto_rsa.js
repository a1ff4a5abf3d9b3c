// RSA keys and signatures (PKCS#1 v1.5 is deterministic, so Node's and writ's signatures
// must be equal; PSS is randomized, so each verifies the other's kind), and key export.
const PEM = "-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEAxC6KbNwYUPHX3c90dd5hfSCe/ICJgm6RWV+9FSvqSOaACZ1x\nWv4PyPYO7qltE/Qcl9y+FplgZ4poqki0+FO9vt8HXO9TN9AcIhVvSw27Z0W8yR2q\n6eYLLPQuiNacCL4NIcYdMbRi4BqcN6J+V93JK/YNZGEPCWlrnaed2U/4cCMigTLS\ndSHq9Xdo2o851Hl1YKJC7Sq8VB45kt2Z6iDXLKZ3UamR0X4BGWTGC3Nwcn/3i5R5\n1X0FxudPgZ0Pg5QxtXkh6JyYbIpFkTbq0xmuatQsMgu6V7Qh1O8KRAvjOkokLiWD\nQ2iZ27a+ByxNMfMpB6hZ7l8nViA2dFc9xEUxKwIDAQABAoIBAE4z0TlQyR6nMSo5\n0s5TjeAPu2CjKm2Efss2N0zzuwpBXAO5L6EaipdMwqoPfqxIEIfW1i1zCXNswIk0\nv3MICqjGBgzdV/p1KmnJypoMCMrDiVxQR7vCWG0cj1o71mpDvD9c1nFkW0/DO8eP\nrjZ/cfxksnTzncdeLyhi0zD3yGyGWUc+F4aKuD7PoHu6i7vjrb5/sGYMvhk09MVL\nKnUhI4w6ZWb5B12vNtwHZ+Si8DMmRz9YUAuk4Z0zeO6rjAUL0ujUoPJd6VkE1oBu\nMocZaDm5nNn4v7u9+vqoxG3FSZyJPWz7aZRW6UOlvkefhFDw9lpuGt7lhruXxEny\n3+eZbZECgYEA+P+sy+QnKC5LcGaP/D+KO31Wcj3V6CHZbtbi6HmN0czQDcLpxzbb\nYS1x44t0aMT6kn7ARhF9gSZkuixijYDYrIgcWgIq96VeG3uXYZRKYHTjefzwZwbC\nlF4HOVOtEoHrlpc34DuU7zsaZJZrDdUvfcbJVQ3/xOb7TklYkhDXxbsCgYEAybKu\nwigWDwaI6xGbieTX2UfJtPcmBryEBs5X+XTPv/9DBBP8L4d1FlVMNd3UlNH28b8K\nwrAU90+9NLdMqLi8MmHJthcRq/+yk0lP6vNYt0lUD0AUtX6o52F/J5VX2+hh048N\nIEWmd2+Fe8xAlY6KrHq3aFkyt+WgbWfuAjBsU1ECgYAD3DLZllflD5Kr02s4BeQm\nt/K3Iq5GQwAT79Dkub2xGvO+wt7M79TG1OWHGYpcdXFNBBoG/A5uCiJVoIqGlxDE\n2/dUjeQMosuqsWfPY3UjuawtH/a6IiiyFCMYiGuOdeUpGH8NQt80Nj5agNp4BG4Q\nDRzh7K2iZ9JNjGWLHie6MQKBgGNH69OwLaN5wP2MbjZDCahvOK82FGaudoJvIUiu\nIfDM8izYtYKjt5Olqty8833JmDdIpUBNshRGEMkZDMfkHubh0Ysq8czrEPiE1qy8\n2cdmddUH4umvje5OxGs0jMm3KigbuwdOoXEa2OamFIhJYKMjyJG5jkiM5BnWVYaI\nVVnxAoGBALQQcO9mIGF/o7jpylO7fgleQZYeiRQ1DsdxyUTB8XGfHh/sgnPLxJYQ\nZawZ3jcV/zY9M02gAYJVGXFZCsCm1urIZX/oObQgMWAflomjreHq2Uv4WoYLuAlE\nyX5ivLzUlgQDsYEvZQZwGgN5NNPGHPLZP9+/7LaIWEkqPjfPXda2\n-----END RSA PRIVATE KEY-----\n";
const NODE_PSS = "OK12KokrytDqtFNzYfF8jjk881uW48mb1O9LUfOWK9o61eJvQOpPHcJrn13CWTFG/fYQbNm5y453jLaIiQbWl/xu0J0SWoC8jfpM4woRljlzci7s07V9CRxqJUjliRMdwSfS2CKcGGQNQs0eh0OY7Bbfb/KaGdgiQCKu2hB4n36mQjIjWij4fN1MFB+cQ13fgcVj583ggrcBkA7d4ju/n2vwOAULP+2qMi2XTsF8NTixddBl0uHUgEStT02AJqI0QYs7Ge403tmqQajxq9T6W29M8+02/ZSNGYr+iLvUTg2N+Ctoy68PN/wnTxVLiu1cKA+jcaIiXRO+T7G0Qg32rA==";
exports = function () {
  const crypto = require("crypto");
  const attempt = (f) => {
    try {
      return f();
    } catch (e) {
      return e.name;
    }
  };
  const key = crypto.createPrivateKey(PEM);
  const pub = crypto.createPublicKey(PEM);
  const signature = crypto.createSign("RSA-SHA256").update("signed ").update("data").sign(PEM, "base64");
  const oneShot = crypto.sign("sha512", Buffer.from("x"), key).toString("hex");
  const pss = crypto.sign("sha256", Buffer.from("pss data"), { key, padding: crypto.constants.RSA_PKCS1_PSS_PADDING });
  return JSON.stringify({
    details: [key.type, key.asymmetricKeyType, key.asymmetricKeyDetails.modulusLength, String(key.asymmetricKeyDetails.publicExponent), pub.type],
    signature,
    oneShot,
    verify: [
      crypto.createVerify("sha256").update("signed data").verify(pub, signature, "base64"),
      crypto.createVerify("RSA-SHA256").update("tampered").verify(pub, signature, "base64"),
      crypto.verify("sha512", Buffer.from("x"), PEM, Buffer.from(oneShot, "hex")),
      crypto.verify("sha256", Buffer.from("pss data"), { key: pub, padding: crypto.constants.RSA_PKCS1_PSS_PADDING }, pss),
      crypto.verify("sha256", Buffer.from("pss data"), { key: pub, padding: crypto.constants.RSA_PKCS1_PSS_PADDING }, Buffer.from(NODE_PSS, "base64")),
    ],
    export: [pub.export({ type: "spki", format: "pem" }), key.export({ type: "pkcs1", format: "pem" }) === PEM, pub.export({ type: "spki", format: "der" }).length],
    equals: [crypto.createPublicKey(key).equals(pub), key.equals(pub)],
    bad: attempt(() => crypto.createPrivateKey("not a key")),
  });
};

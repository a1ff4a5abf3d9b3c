const PRIVATE_PEM = "-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEAxC6KbNwYUPHX3c90dd5hfSCe/ICJgm6RWV+9FSvqSOaACZ1x\nWv4PyPYO7qltE/Qcl9y+FplgZ4poqki0+FO9vt8HXO9TN9AcIhVvSw27Z0W8yR2q\n6eYLLPQuiNacCL4NIcYdMbRi4BqcN6J+V93JK/YNZGEPCWlrnaed2U/4cCMigTLS\ndSHq9Xdo2o851Hl1YKJC7Sq8VB45kt2Z6iDXLKZ3UamR0X4BGWTGC3Nwcn/3i5R5\n1X0FxudPgZ0Pg5QxtXkh6JyYbIpFkTbq0xmuatQsMgu6V7Qh1O8KRAvjOkokLiWD\nQ2iZ27a+ByxNMfMpB6hZ7l8nViA2dFc9xEUxKwIDAQABAoIBAE4z0TlQyR6nMSo5\n0s5TjeAPu2CjKm2Efss2N0zzuwpBXAO5L6EaipdMwqoPfqxIEIfW1i1zCXNswIk0\nv3MICqjGBgzdV/p1KmnJypoMCMrDiVxQR7vCWG0cj1o71mpDvD9c1nFkW0/DO8eP\nrjZ/cfxksnTzncdeLyhi0zD3yGyGWUc+F4aKuD7PoHu6i7vjrb5/sGYMvhk09MVL\nKnUhI4w6ZWb5B12vNtwHZ+Si8DMmRz9YUAuk4Z0zeO6rjAUL0ujUoPJd6VkE1oBu\nMocZaDm5nNn4v7u9+vqoxG3FSZyJPWz7aZRW6UOlvkefhFDw9lpuGt7lhruXxEny\n3+eZbZECgYEA+P+sy+QnKC5LcGaP/D+KO31Wcj3V6CHZbtbi6HmN0czQDcLpxzbb\nYS1x44t0aMT6kn7ARhF9gSZkuixijYDYrIgcWgIq96VeG3uXYZRKYHTjefzwZwbC\nlF4HOVOtEoHrlpc34DuU7zsaZJZrDdUvfcbJVQ3/xOb7TklYkhDXxbsCgYEAybKu\nwigWDwaI6xGbieTX2UfJtPcmBryEBs5X+XTPv/9DBBP8L4d1FlVMNd3UlNH28b8K\nwrAU90+9NLdMqLi8MmHJthcRq/+yk0lP6vNYt0lUD0AUtX6o52F/J5VX2+hh048N\nIEWmd2+Fe8xAlY6KrHq3aFkyt+WgbWfuAjBsU1ECgYAD3DLZllflD5Kr02s4BeQm\nt/K3Iq5GQwAT79Dkub2xGvO+wt7M79TG1OWHGYpcdXFNBBoG/A5uCiJVoIqGlxDE\n2/dUjeQMosuqsWfPY3UjuawtH/a6IiiyFCMYiGuOdeUpGH8NQt80Nj5agNp4BG4Q\nDRzh7K2iZ9JNjGWLHie6MQKBgGNH69OwLaN5wP2MbjZDCahvOK82FGaudoJvIUiu\nIfDM8izYtYKjt5Olqty8833JmDdIpUBNshRGEMkZDMfkHubh0Ysq8czrEPiE1qy8\n2cdmddUH4umvje5OxGs0jMm3KigbuwdOoXEa2OamFIhJYKMjyJG5jkiM5BnWVYaI\nVVnxAoGBALQQcO9mIGF/o7jpylO7fgleQZYeiRQ1DsdxyUTB8XGfHh/sgnPLxJYQ\nZawZ3jcV/zY9M02gAYJVGXFZCsCm1urIZX/oObQgMWAflomjreHq2Uv4WoYLuAlE\nyX5ivLzUlgQDsYEvZQZwGgN5NNPGHPLZP9+/7LaIWEkqPjfPXda2\n-----END RSA PRIVATE KEY-----\n";
const PUBLIC_PEM = "-----BEGIN PUBLIC KEY-----\nMIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAxC6KbNwYUPHX3c90dd5h\nfSCe/ICJgm6RWV+9FSvqSOaACZ1xWv4PyPYO7qltE/Qcl9y+FplgZ4poqki0+FO9\nvt8HXO9TN9AcIhVvSw27Z0W8yR2q6eYLLPQuiNacCL4NIcYdMbRi4BqcN6J+V93J\nK/YNZGEPCWlrnaed2U/4cCMigTLSdSHq9Xdo2o851Hl1YKJC7Sq8VB45kt2Z6iDX\nLKZ3UamR0X4BGWTGC3Nwcn/3i5R51X0FxudPgZ0Pg5QxtXkh6JyYbIpFkTbq0xmu\natQsMgu6V7Qh1O8KRAvjOkokLiWDQ2iZ27a+ByxNMfMpB6hZ7l8nViA2dFc9xEUx\nKwIDAQAB\n-----END PUBLIC KEY-----\n";
// ES256 (APNs provider tokens): Node's signatures are randomized, writ's deterministic, so
// each verifies a token Node made and one it made itself.
const EC_PRIVATE_PEM = "-----BEGIN EC PRIVATE KEY-----\nMHcCAQEEID7qPFkBl03FID8JuEAztcz0WlnKXx3uxjrXoyv60O8SoAoGCCqGSM49\nAwEHoUQDQgAE2FFEzOHQ7QR/a+hha3b1usAWT4pa+oKGFoEpd+xVm9TXc6ZLux8q\niwqMGd2hbgKifep0zIpP7064ywNLZ/4Rqw==\n-----END EC PRIVATE KEY-----\n";
const EC_PUBLIC_PEM = "-----BEGIN PUBLIC KEY-----\nMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE2FFEzOHQ7QR/a+hha3b1usAWT4pa\n+oKGFoEpd+xVm9TXc6ZLux8qiwqMGd2hbgKifep0zIpP7064ywNLZ/4Rqw==\n-----END PUBLIC KEY-----\n";
const NODE_ES256 = "eyJhbGciOiJFUzI1NiIsInR5cCI6IkpXVCIsImtpZCI6IkFCQzEyMyJ9.eyJzdWIiOiJhcG5zIiwiaWF0IjoxNzAwMDAwMDAwfQ.g2rNWBci2j3p6kCsDPUPxPvR43Ti50VaGv7nkqlaF9iH88N5AA4sBrStNsW3xgVFLulcEbDSfyvsWjCGZPUiDw";
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
    rs256: jwt.sign({ sub: "svc", iat: 1700000000 }, PRIVATE_PEM, { algorithm: "RS256" }),
    rs256Verified: jwt.verify(jwt.sign({ sub: "svc", iat: 1700000000 }, PRIVATE_PEM, { algorithm: "RS256" }), PUBLIC_PEM),
    rs256Wrong: attempt(() => jwt.verify(token, PUBLIC_PEM)),
    es256Node: jwt.verify(NODE_ES256, EC_PUBLIC_PEM, { algorithms: ["ES256"] }),
    es256Own: jwt.verify(jwt.sign({ sub: "apns", iat: 1700000000 }, EC_PRIVATE_PEM, { algorithm: "ES256", keyid: "K1" }), EC_PUBLIC_PEM),
    es256Header: jwt.decode(NODE_ES256, { complete: true }).header,
    es256Tampered: attempt(() => jwt.verify(NODE_ES256.slice(0, -4) + "AAAA", EC_PUBLIC_PEM)),
    es256AsRs256: attempt(() => jwt.sign({ a: 1 }, EC_PRIVATE_PEM, { algorithm: "RS256" })),
  });
};

// A throwaway 1024-bit test key pair, generated for this test only.
const PRIVATE = "-----BEGIN RSA PRIVATE KEY-----\nMIICXAIBAAKBgQC1S2gSRcjzEawsJ3V1eWBekclu3DRO8foROvzzDtJ5TBh0oIqP\n3Q0bpFxGAvM09s5YBHPbBYHeGxc03/RS8+DbYLygq+l9bjiaC/OTRj/IKVWjmJjL\n8CXV+Hzevqnl0TFRyOgNEw4YA2/M4sY7wKxL78DZrE0hSFOIhHmpHg1IuwIDAQAB\nAoGAJWiY4eRacaV85GOD/ih8dScZ7HEtrfiKRBHq7fBqB7Nm/HHABa10Lfb9P0kO\njCg9LbZFfbUmNgFbCYMItDE0fVbMaIxkORH/5osb4cSOYxhMU226qcS1Op0sOd0a\nQISaI3ZGbWjUHUL1RUPo8lAxVBRU354BVJXhscML3QhvSjECQQDo5DIoA1loR2Rn\nQqt3cRRCnkMVqVDU6b04PlirCK7jeUbABDxgUu1K1QUsOq3d76m8LGLZWutm3DmF\nNtYb9ISjAkEAx0iSFv60O6/jaHu7QW4RbMaQiaKc3yrroae9bIHagvmjBYW3dWxu\nrlWHASWlYEXu0gzAOH3QMyprNXKkSBPVCQJAdyUHY+ESxH6BpzI8doarTsmYmGRe\nrg5Gd5et1RJEJqvMvj9sg/ro2vfQBaifeoM52sL6byhMdfsEklpTf0nA8QJBAJRT\nfIDnBSkjyiQ7a+3QSeHnjS8UPKSSYp2IpyG7KPOxcNgsZZddpKfXesusxIF6q73l\nxbCGXE+o8/DtKj+Hm1kCQBUhTfhDhVT3qZx/iDRRlH8R07hsx4pfJ2ZUcOJJf6qt\ncXqUangWW95o5EPJ7fecga79pxZXxRmdpXMIRjnyb1U=\n-----END RSA PRIVATE KEY-----";
const PUBLIC = "-----BEGIN PUBLIC KEY-----\nMIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQC1S2gSRcjzEawsJ3V1eWBekclu\n3DRO8foROvzzDtJ5TBh0oIqP3Q0bpFxGAvM09s5YBHPbBYHeGxc03/RS8+DbYLyg\nq+l9bjiaC/OTRj/IKVWjmJjL8CXV+Hzevqnl0TFRyOgNEw4YA2/M4sY7wKxL78DZ\nrE0hSFOIhHmpHg1IuwIDAQAB\n-----END PUBLIC KEY-----";
exports = function () {
  const pss = utils.crypto.sign("rsa", "message", PRIVATE, "pss");
  const pkcs = utils.crypto.sign("rsa", "message", PRIVATE, "pkcs1v1.5");
  const token = utils.jwt.encode("RS256", { sub: "u1" }, PRIVATE);
  let badScheme, wrongKey;
  try { utils.crypto.sign("rsa", "m", PRIVATE, "nope"); } catch (e) { badScheme = e.message; }
  try { utils.jwt.decode(token, "not a key"); } catch (e) { wrongKey = e.message; }
  return {
    pssIsBinary: pss instanceof BSON.Binary, pssLength: pss.length(),
    pssVerifies: utils.crypto.verify("rsa", "message", PUBLIC, pss, "pss"),
    pssTampered: utils.crypto.verify("rsa", "messagE", PUBLIC, pss, "pss"),
    pkcsVerifies: utils.crypto.verify("rsa", "message", PUBLIC, pkcs, "pkcs1v1.5"),
    pkcsDeterministic: pkcs.toHex() === utils.crypto.sign("rsa", "message", PRIVATE, "pkcs1v1.5").toHex(),
    jwtPayload: utils.jwt.decode(token, PUBLIC),
    jwtHeader: utils.jwt.decode(token, PUBLIC, true).header,
    badScheme, wrongKey,
  };
};

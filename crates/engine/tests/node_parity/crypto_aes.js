// AES with fixed keys and IVs: ciphertexts, tags and the pieces `update` returns must be
// Node's, byte for byte; decryption, padding and authentication errors as Node reports them.
exports = function () {
  const crypto = require("crypto");
  const key = (n) => Buffer.alloc(n, 7);
  const iv16 = Buffer.from("000102030405060708090a0b0c0d0e0f", "hex");
  const iv12 = Buffer.from("0a0b0c0d0e0f101112131415", "hex");
  const text = "The quick brown fox jumps over the lazy dog, twice over.";
  const attempt = (f) => {
    try {
      return f();
    } catch (e) {
      return [e.name, e.code, e.message];
    }
  };
  const pieces = (c, parts, enc) => [...parts.map((p) => c.update(p, "utf8", enc)), c.final(enc)];
  const out = {};
  for (const name of ["aes-128-cbc", "aes-192-cbc", "aes-256-cbc", "aes-256-ctr", "aes-128-ecb", "aes-256-gcm", "aes-128-gcm"]) {
    const [, bits, mode] = name.split("-");
    const k = key(Number(bits) / 8);
    const iv = mode === "ecb" ? null : mode === "gcm" ? iv12 : iv16;
    const cipher = crypto.createCipheriv(name, k, iv);
    if (mode === "gcm") cipher.setAAD(Buffer.from("header"));
    const enc = pieces(cipher, [text.slice(0, 5), text.slice(5, 40), text.slice(40)], "hex");
    const tag = mode === "gcm" ? cipher.getAuthTag().toString("hex") : null;
    const decipher = crypto.createDecipheriv(name, k, iv);
    if (mode === "gcm") {
      decipher.setAAD(Buffer.from("header"));
      decipher.setAuthTag(Buffer.from(tag, "hex"));
    }
    const dec = Buffer.concat([decipher.update(Buffer.from(enc.join(""), "hex")), decipher.final()]).toString();
    out[name] = { enc, tag, roundTrip: dec === text };
  }
  const noPad = crypto.createCipheriv("aes-128-cbc", key(16), iv16).setAutoPadding(false);
  const badTag = crypto.createDecipheriv("aes-256-gcm", key(32), iv12);
  badTag.setAuthTag(Buffer.alloc(16));
  badTag.update(Buffer.from("abcd"));
  const wrongKey = crypto.createDecipheriv("aes-128-cbc", key(16), iv16);
  wrongKey.update(crypto.createCipheriv("aes-128-cbc", Buffer.alloc(16, 9), iv16).update("0123456789abcdef0123"));
  out.errors = [
    attempt(() => crypto.createCipheriv("aes-128-cbc", key(15), iv16)),
    attempt(() => crypto.createCipheriv("aes-128-cbc", key(16), Buffer.alloc(3))),
    attempt(() => Buffer.concat([noPad.update("not a block"), noPad.final()])),
    attempt(() => badTag.final()),
    typeof attempt(() => wrongKey.final()),
  ];
  out.hasCiphers = ["aes-256-gcm", "aes-128-cbc", "aes256"].every((c) => crypto.getCiphers().includes(c));
  return JSON.stringify(out);
};

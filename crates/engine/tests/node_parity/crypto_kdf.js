// Key derivation: scrypt (Node's parameter names, defaults and memory ceiling) and HKDF.
exports = async function () {
  const crypto = require("crypto");
  const code = (f) => {
    try {
      f();
      return "no error";
    } catch (e) {
      return `${e.name} ${e.code}`;
    }
  };
  const viaCallback = (f) => new Promise((resolve) => f((err, key) => resolve(err ? err.code : Buffer.from(key).toString("hex"))));
  return JSON.stringify({
    scrypt: crypto.scryptSync("password", "salt", 64).toString("hex"),
    scryptOptions: crypto.scryptSync(Buffer.from("pw"), "NaCl", 32, { N: 1024, r: 8, p: 16 }).toString("hex"),
    scryptAliases: crypto.scryptSync("pw", "NaCl", 16, { cost: 256, blockSize: 4, parallelization: 2 }).toString("hex"),
    scryptEmpty: crypto.scryptSync("pw", "salt", 0).length,
    scryptCallback: await viaCallback((cb) => crypto.scrypt("password", "salt", 24, cb)),
    scryptCallbackOptions: await viaCallback((cb) => crypto.scrypt("password", "salt", 24, { N: 512 }, cb)),
    scryptErrors: [
      code(() => crypto.scryptSync("pw", "salt", 32, { N: 3 })),
      code(() => crypto.scryptSync("pw", "salt", 32, { N: 2 ** 20 })),
      code(() => crypto.scryptSync("pw", "salt", -1)),
    ],
    scryptCallbackError: code(() => crypto.scrypt("pw", "salt", 32, { N: 2 ** 20 }, () => {})),
    messages: [3, 2 ** 20].map((N) => {
      try {
        crypto.scryptSync("pw", "salt", 32, { N });
      } catch (e) {
        return e.message;
      }
    }),
    hkdf: Buffer.from(crypto.hkdfSync("sha256", "input key", "salt", "info", 42)).toString("hex"),
    hkdfIsArrayBuffer: crypto.hkdfSync("sha256", "k", "s", "i", 8) instanceof ArrayBuffer,
    hkdf512: Buffer.from(crypto.hkdfSync("sha512", Buffer.alloc(32, 7), Buffer.alloc(0), Buffer.from("ctx"), 64)).toString("hex"),
    hkdfSha1: Buffer.from(crypto.hkdfSync("sha1", "ikm", "salt", "", 20)).toString("base64"),
    hkdfCallback: await viaCallback((cb) => crypto.hkdf("sha384", "ikm", "salt", "info", 48, cb)),
    hkdfErrors: [
      code(() => crypto.hkdfSync("sha256", "k", "s", "i", 255 * 32 + 1)),
      code(() => crypto.hkdfSync("sha256", "k", "s", Buffer.alloc(1025), 16)),
    ],
  });
};

// crypto (deterministic parts) and Node's globals.
exports = function () {
  const crypto = require("crypto");
  const attempt = (f) => {
    try {
      return f();
    } catch (e) {
      return `${e.name}:${e.code}`;
    }
  };
  const hashes = ["md5", "sha1", "sha224", "sha256", "sha384", "sha512"].map((a) => crypto.createHash(a).update("abc").update(Buffer.from("def")).digest("hex"));
  const h = crypto.createHash("sha256").update("x");
  const copy = h.copy().update("y").digest("base64");
  const uuid = crypto.randomUUID();
  const clone = structuredClone({ d: new Date(0), m: new Map([[1, { x: [1] }]]), s: new Set(["a"]), u: new Uint8Array([1, 2]) });
  return JSON.stringify({
    hashes,
    hmac: [crypto.createHmac("sha256", "key").update("data").digest("hex"), crypto.createHmac("sha1", Buffer.from("k")).update("").digest("base64")],
    digestBuffer: Buffer.isBuffer(crypto.createHash("md5").update("").digest()),
    copy: [copy, h.digest("hex")],
    finalized: attempt(() => h.update("again")),
    unknown: attempt(() => crypto.createHash("nope")).startsWith("Error"),
    pbkdf2: crypto.pbkdf2Sync("password", "salt", 1000, 32, "sha256").toString("hex"),
    random: [crypto.randomBytes(16).length, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/.test(uuid), crypto.randomInt(5, 6), crypto.getRandomValues(new Uint32Array(4)).length],
    timingSafe: [crypto.timingSafeEqual(Buffer.from("ab"), Buffer.from("ab")), attempt(() => crypto.timingSafeEqual(Buffer.from("a"), Buffer.from("ab")))],
    webcrypto: [typeof globalThis.crypto.getRandomValues, typeof globalThis.crypto.randomUUID],
    clone: [clone.d instanceof Date, clone.d.getTime(), clone.m.get(1).x, [...clone.s], Array.from(clone.u), attempt(() => structuredClone(() => 1))],
    process: [typeof process.nextTick, typeof process.env, Array.isArray(process.hrtime()), typeof process.hrtime.bigint(), process.platform, typeof process.version],
    requires: [require("node:path") === require("path"), require("util").types === require("util/types"), require("assert").strict === require("assert/strict"), typeof require("timers").setTimeout],
  });
};

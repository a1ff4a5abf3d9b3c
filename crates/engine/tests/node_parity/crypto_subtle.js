// WebCrypto's subtle as writ offers it (digest, HMAC keys), its refusals' names, and os facts
// that both runtimes read from the same kernel.
exports = async function () {
  const subtle = globalThis.crypto.subtle;
  const hex = (ab) => Buffer.from(ab).toString("hex");
  const data = new TextEncoder().encode("writ subtle");
  const digests = {};
  for (const alg of ["SHA-1", "SHA-256", "SHA-384", "SHA-512"]) digests[alg] = hex(await subtle.digest(alg, data));
  const key = await subtle.importKey("raw", new TextEncoder().encode("secret"), { name: "HMAC", hash: "SHA-256" }, true, ["sign", "verify"]);
  const mac = await subtle.sign("HMAC", key, data);
  const verified = [await subtle.verify("HMAC", key, mac, data), await subtle.verify({ name: "HMAC" }, key, mac, new TextEncoder().encode("other"))];
  const exported = hex(await subtle.exportKey("raw", key));
  const keyShape = [key.type, key.algorithm.name, key.algorithm.hash.name, key.algorithm.length, key.extractable, key.usages];
  const unknown = await subtle.digest("MD5", data).then(() => "ok", (e) => e.name);
  const same = subtle === require("crypto").webcrypto.subtle && subtle === require("crypto").subtle;
  const os = require("os");
  return JSON.stringify({ digests, mac: hex(mac), verified, exported, keyShape, unknown, same, os: [os.release(), os.version(), typeof os.homedir()] });
};

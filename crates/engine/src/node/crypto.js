// `crypto`: hashes (md5, sha1, sha224, sha256, sha384, sha512) and HMACs with Node's
// update/digest/copy, random bytes, UUIDs and integers, pbkdf2, scrypt, HKDF, timingSafeEqual, keys and signatures (RSA, EC), AES ciphers, and
// `webcrypto.getRandomValues`. What is not here throws naming it.
(function (natives, require, internal) {
  "use strict";
  const { hash, hmac, randomBytes: fillRandom, pbkdf2: derive } = natives;
  const { Buffer } = require("buffer");
  const codeError = internal.codeError;
  const algorithms = ["md5", "sha1", "sha224", "sha256", "sha384", "sha512"];
  const aliases = { "rsa-md5": "md5", "rsa-sha1": "sha1", "rsa-sha256": "sha256", "rsa-sha384": "sha384", "rsa-sha512": "sha512", "sha-1": "sha1", "sha-256": "sha256", "sha-384": "sha384", "sha-512": "sha512" };
  function algorithm(name) {
    const lower = String(name).toLowerCase();
    const alg = aliases[lower] || lower;
    if (!algorithms.includes(alg)) throw new Error(`Digest method not supported: ${name} (writ supports ${algorithms.join(", ")})`);
    return alg;
  }
  function bytes(data, encoding, name) {
    if (typeof data === "string") return Buffer.from(data, encoding);
    if (ArrayBuffer.isView(data)) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    if (data instanceof ArrayBuffer) return new Uint8Array(data);
    throw codeError(TypeError, "ERR_INVALID_ARG_TYPE", `The "${name}" argument must be of type string or an instance of Buffer, TypedArray, or DataView. Received ${data === null ? "null" : typeof data}`);
  }
  const output = (u8, encoding) => {
    const b = Buffer.from(u8.buffer, u8.byteOffset, u8.length);
    return encoding === undefined || encoding === null || encoding === "buffer" ? b : b.toString(encoding);
  };
  function concat(chunks) {
    if (chunks.length === 1) return chunks[0];
    return Buffer.concat(chunks);
  }

  class Hash {
    #alg;
    #key;
    #chunks = [];
    #done = false;
    constructor(alg, key) {
      this.#alg = alg;
      this.#key = key;
    }
    update(data, inputEncoding) {
      if (this.#done) throw codeError(Error, "ERR_CRYPTO_HASH_FINALIZED", "Digest already called");
      this.#chunks.push(Uint8Array.from(bytes(data, inputEncoding, "data")));
      return this;
    }
    digest(encoding) {
      if (this.#done) throw codeError(Error, "ERR_CRYPTO_HASH_FINALIZED", "Digest already called");
      this.#done = true;
      const input = concat(this.#chunks);
      const out = this.#key === undefined ? hash(this.#alg, input) : hmac(this.#alg, this.#key, input);
      return output(out, encoding);
    }
    copy() {
      if (this.#done) throw codeError(Error, "ERR_CRYPTO_HASH_FINALIZED", "Digest already called");
      const h = new Hash(this.#alg, this.#key);
      for (const c of this.#chunks) h.update(c);
      return h;
    }
  }
  class Hmac extends Hash {}
  // `createECDH(curve)`: Diffie-Hellman on P-256 (`prime256v1`) or P-384 (`secp384r1`), as
  // web push encrypts its payloads.
  const ECDH_CURVES = { prime256v1: "prime256v1", secp256r1: "prime256v1", "P-256": "prime256v1", secp384r1: "secp384r1", "P-384": "secp384r1" };
  class ECDH {
    #curve;
    #keys = null;
    constructor(curve) {
      if (typeof curve !== "string") throw codeError(TypeError, "ERR_INVALID_ARG_TYPE", 'The "curve" argument must be of type string');
      if (!ECDH_CURVES[curve]) throw new Error(`crypto.createECDH: the curve ${curve} is not supported by writ (prime256v1 and secp384r1 are)`);
      this.#curve = ECDH_CURVES[curve];
    }
    #exchange(privateKey, peer) {
      const [priv, uncompressed, compressed, shared] = natives.ecdh(this.#curve, privateKey, peer);
      this.#keys = { priv, uncompressed, compressed };
      return shared;
    }
    #public(encoding, format) {
      if (this.#keys === null) throw new Error("Failed to get ECDH public key");
      return output(format === "compressed" ? this.#keys.compressed : this.#keys.uncompressed, encoding);
    }
    generateKeys(encoding, format) {
      this.#exchange(null, null);
      return this.#public(encoding, format);
    }
    getPublicKey(encoding, format) {
      return this.#public(encoding, format);
    }
    getPrivateKey(encoding) {
      if (this.#keys === null) throw new Error("Failed to get ECDH private key");
      // Node gives the key's number without its leading zero bytes.
      const priv = this.#keys.priv;
      let start = 0;
      while (start < priv.length - 1 && priv[start] === 0) start++;
      return output(priv.subarray(start), encoding);
    }
    setPrivateKey(key, encoding) {
      this.#exchange(Uint8Array.from(bytes(key, encoding, "key")), null);
      return this;
    }
    computeSecret(otherPublicKey, inputEncoding, outputEncoding) {
      if (this.#keys === null) throw new Error("Failed to compute ECDH key: no private key (call generateKeys or setPrivateKey first)");
      const peer = Uint8Array.from(bytes(otherPublicKey, inputEncoding, "otherPublicKey"));
      let shared;
      try {
        shared = this.#exchange(this.#keys.priv, peer);
      } catch (e) {
        throw codeError(Error, "ERR_CRYPTO_ECDH_INVALID_PUBLIC_KEY", "Public key is not valid for specified curve");
      }
      return output(shared, outputEncoding);
    }
  }

  // Keys: secret ones (HMACs, `jsonwebtoken`'s HS algorithms), and RSA and EC (P-256, P-384)
  // private and public ones (PEM), for signatures. Asymmetric keys are held as normalized PEM
  // (`natives.keyParse`).
  let secretOf;
  let pemOf;
  let asymmetricOf;
  class KeyObject {
    #type;
    #key;
    #details;
    #asymmetric;
    constructor(type, key) {
      if (type === "secret" && key instanceof Uint8Array) {
        this.#key = Uint8Array.from(key);
      } else if ((type === "private" || type === "public") && Array.isArray(key)) {
        this.#key = key[4];
        this.#asymmetric = key[1];
        this.#details = key[1] === "ec" ? { namedCurve: key[2] } : { modulusLength: key[2], publicExponent: BigInt(key[3]) };
      } else {
        throw codeError(TypeError, "ERR_INVALID_ARG_VALUE", "The argument 'type' is invalid. Received " + String(type));
      }
      this.#type = type;
    }
    static {
      secretOf = (k) => k.#key;
      pemOf = (k) => k.#key;
      asymmetricOf = (k) => k.#asymmetric;
    }
    get type() {
      return this.#type;
    }
    get symmetricKeySize() {
      return this.#type === "secret" ? this.#key.length : undefined;
    }
    get asymmetricKeyType() {
      return this.#asymmetric;
    }
    get asymmetricKeyDetails() {
      return this.#details === undefined ? undefined : { ...this.#details };
    }
    export(options = {}) {
      if (this.#type === "secret") {
        if (options.format === "jwk") return { kty: "oct", k: Buffer.from(this.#key).toString("base64url") };
        return Buffer.from(this.#key);
      }
      if (options.format === "jwk") throw codeError(Error, "ERR_NOT_SUPPORTED_BY_WRIT", `exporting ${this.#asymmetric.toUpperCase()} keys as JWK is not supported by writ yet`);
      const type = options.type || (this.#type === "private" ? "pkcs8" : "spki");
      const out = natives.keyExport(this.#key, this.#type, type, options.format === "der");
      return typeof out === "string" ? out : Buffer.from(out.buffer, out.byteOffset, out.length);
    }
    equals(other) {
      if (!(other instanceof KeyObject) || other.type !== this.#type) return false;
      if (this.#type === "secret") return Buffer.from(this.#key).equals(Buffer.from(secretOf(other)));
      return pemOf(other) === this.#key;
    }
  }
  function createSecretKey(key, encoding) {
    return new KeyObject("secret", Uint8Array.from(bytes(key, encoding, "key")));
  }
  const pemText = (key, name) => {
    if (typeof key === "string") return key;
    if (ArrayBuffer.isView(key)) return Buffer.from(key.buffer, key.byteOffset, key.byteLength).toString("utf8");
    throw codeError(TypeError, "ERR_INVALID_ARG_TYPE", `The "${name}" argument must be of type string or an instance of Buffer, TypedArray, DataView, or KeyObject.`);
  };
  function asymmetric(input, kind, name) {
    if (input instanceof KeyObject) {
      if (kind === "public" && input.type === "private") return new KeyObject("public", natives.keyParse(pemOf(input), "public"));
      if (input.type !== kind) throw codeError(TypeError, "ERR_CRYPTO_INVALID_KEY_OBJECT_TYPE", `Invalid key object type ${input.type}, expected ${kind}.`);
      return input;
    }
    let key = input;
    if (input !== null && typeof input === "object" && !ArrayBuffer.isView(input)) {
      if (input.passphrase !== undefined) throw codeError(Error, "ERR_NOT_SUPPORTED_BY_WRIT", "encrypted private keys (passphrases) are not supported by writ yet");
      if (input.format !== undefined && input.format !== "pem") throw codeError(Error, "ERR_NOT_SUPPORTED_BY_WRIT", `${input.format} keys are not supported by writ yet (PEM is)`);
      key = input.key;
      if (key instanceof KeyObject) return asymmetric(key, kind, name);
    }
    return new KeyObject(kind, natives.keyParse(pemText(key, name), kind));
  }
  const createPrivateKey = (key) => asymmetric(key, "private", "key");
  const createPublicKey = (key) => asymmetric(key, "public", "key");

  // Signatures: RSA PKCS#1 v1.5 (the default) or PSS; ECDSA (DER, or `dsaEncoding:
  // "ieee-p1363"` for r ‖ s).
  const digestOf = (name) => {
    if (name === null || name === undefined) return "sha256";
    const d = algorithm(String(name).replace(/^rsa-/i, "").replace(/withrsaencryption$/i, ""));
    if (d === "md5") throw new Error("Invalid digest: md5 (writ signs with sha1, sha224, sha256, sha384, sha512)");
    return d;
  };
  function signWith(digest, data, key) {
    const options = key !== null && typeof key === "object" && !ArrayBuffer.isView(key) && !(key instanceof KeyObject) ? key : {};
    const pss = options.padding === 6;
    const salt = options.saltLength === undefined ? -2 : options.saltLength;
    const k = asymmetric(key, "private", "key");
    if (asymmetricOf(k) === "ec") return natives.ecSign(digest, pemOf(k), Uint8Array.from(data), options.dsaEncoding === "ieee-p1363");
    return natives.rsaSign(digest, pemOf(k), Uint8Array.from(data), pss, salt);
  }
  function verifyWith(digest, data, key, signature) {
    const options = key !== null && typeof key === "object" && !ArrayBuffer.isView(key) && !(key instanceof KeyObject) ? key : {};
    const pss = options.padding === 6;
    const salt = options.saltLength === undefined ? -2 : options.saltLength;
    const k = asymmetric(key, "public", "key");
    if (asymmetricOf(k) === "ec") return natives.ecVerify(digest, pemOf(k), Uint8Array.from(data), Uint8Array.from(signature), options.dsaEncoding === "ieee-p1363");
    return natives.rsaVerify(digest, pemOf(k), Uint8Array.from(data), Uint8Array.from(signature), pss, salt);
  }
  // Sign and Verify gather what `update` gives them, then act on all of it at once.
  class Signature {
    #chunks = [];
    constructor(alg) {
      this.digest = digestOf(alg);
    }
    update(data, inputEncoding) {
      this.#chunks.push(Uint8Array.from(bytes(data, inputEncoding, "data")));
      return this;
    }
    data() {
      return concat(this.#chunks);
    }
  }
  class Sign extends Signature {
    sign(key, outputEncoding) {
      return output(signWith(this.digest, this.data(), key), outputEncoding);
    }
  }
  class Verify extends Signature {
    verify(key, signature, signatureEncoding) {
      return verifyWith(this.digest, this.data(), key, bytes(signature, signatureEncoding, "signature"));
    }
  }
  const sign = (alg, data, key, callback) => {
    const out = output(signWith(digestOf(alg), bytes(data, undefined, "data"), key));
    if (typeof callback === "function") return void queueMicrotask(() => callback(null, out));
    return out;
  };
  const verify = (alg, data, key, signature, callback) => {
    const ok = verifyWith(digestOf(alg), bytes(data, undefined, "data"), key, bytes(signature, undefined, "signature"));
    if (typeof callback === "function") return void queueMicrotask(() => callback(null, ok));
    return ok;
  };

  // AES ciphers (cbc, ecb, ctr, gcm; 128/192/256-bit keys). Each `update` returns what Node's
  // would: block modes every complete block (a decipher keeps the last one back for its
  // padding), stream modes everything; the natives run one-shot over the input so far.
  const ciphers = {};
  for (const bits of [128, 192, 256]) {
    for (const mode of ["cbc", "ecb", "ctr", "gcm"]) ciphers[`aes-${bits}-${mode}`] = { keyLength: bits / 8, mode };
    ciphers[`aes${bits}`] = { keyLength: bits / 8, mode: "cbc" };
    ciphers[`id-aes${bits}-gcm`] = { keyLength: bits / 8, mode: "gcm" };
  }
  class CipherBase {
    #spec;
    #decrypt;
    #key;
    #iv;
    #chunks = [];
    #emitted = 0;
    #padding = true;
    #aad = new Uint8Array(0);
    #tag = null;
    #done = false;
    constructor(name, key, iv, options, decrypt) {
      const spec = ciphers[String(name).toLowerCase()];
      if (spec === undefined) throw codeError(Error, "ERR_CRYPTO_UNKNOWN_CIPHER", `Unknown cipher${ciphers[name] === undefined ? " (writ supports AES in cbc, ecb, ctr and gcm modes)" : ""}`);
      this.#spec = spec;
      this.#decrypt = decrypt;
      this.#key = Uint8Array.from(key instanceof KeyObject ? secretOf(key) : bytes(key, undefined, "key"));
      this.#iv = iv === null || iv === undefined ? new Uint8Array(0) : Uint8Array.from(bytes(iv, undefined, "iv"));
      if (this.#key.length !== spec.keyLength) throw codeError(RangeError, "ERR_CRYPTO_INVALID_KEYLEN", "Invalid key length");
      const ivLength = spec.mode === "ecb" ? 0 : spec.mode === "gcm" ? 12 : 16;
      if (this.#iv.length !== ivLength) {
        if (spec.mode === "gcm") throw codeError(Error, "ERR_NOT_SUPPORTED_BY_WRIT", "AES-GCM with an IV other than 12 bytes is not supported by writ yet");
        throw codeError(TypeError, "ERR_CRYPTO_INVALID_IV", "Invalid initialization vector");
      }
      this.authTagLength = options && options.authTagLength !== undefined ? options.authTagLength : 16;
    }
    #run(mode, data, padding) {
      return natives.aes(mode, this.#decrypt, this.#key, this.#iv, data, padding, this.#aad, this.#tag || new Uint8Array(0));
    }
    update(data, inputEncoding, outputEncoding) {
      if (this.#done) throw codeError(Error, "ERR_CRYPTO_INVALID_STATE", "Invalid state for operation update");
      this.#chunks.push(Uint8Array.from(bytes(data, inputEncoding, "data")));
      const all = concat(this.#chunks);
      const mode = this.#spec.mode;
      let ready;
      if (mode === "ctr" || mode === "gcm") {
        ready = mode === "gcm" ? natives.aes("gcmctr", this.#decrypt, this.#key, this.#iv, all, false, this.#aad, new Uint8Array(0)) : this.#run("ctr", all, false);
      } else {
        let blocks = all.length - (all.length % 16);
        if (this.#decrypt && this.#padding && blocks === all.length) blocks -= 16;
        ready = blocks > this.#emitted ? this.#run(mode, all.subarray(0, blocks), false) : new Uint8Array(this.#emitted);
      }
      const out = ready.subarray(this.#emitted);
      this.#emitted = ready.length;
      return output(out, outputEncoding);
    }
    final(outputEncoding) {
      if (this.#done) throw codeError(Error, "ERR_CRYPTO_INVALID_STATE", "Invalid state for operation final");
      this.#done = true;
      const all = concat(this.#chunks.length ? this.#chunks : [new Uint8Array(0)]);
      const mode = this.#spec.mode;
      let result = this.#run(mode, all, this.#padding);
      if (mode === "gcm" && !this.#decrypt) {
        this.#tag = result.subarray(result.length - 16, result.length - 16 + this.authTagLength);
        result = result.subarray(0, result.length - 16);
      }
      return output(result.subarray(Math.min(this.#emitted, result.length)), outputEncoding);
    }
    setAutoPadding(padding = true) {
      this.#padding = Boolean(padding);
      return this;
    }
    setAAD(buffer) {
      this.#aad = Uint8Array.from(bytes(buffer, undefined, "buffer"));
      return this;
    }
    getAuthTag() {
      if (this.#decrypt || this.#tag === null) throw codeError(Error, "ERR_CRYPTO_INVALID_STATE", "Invalid state for operation getAuthTag");
      return output(this.#tag);
    }
    setAuthTag(tag) {
      if (!this.#decrypt) throw codeError(Error, "ERR_CRYPTO_INVALID_STATE", "Invalid state for operation setAuthTag");
      this.#tag = Uint8Array.from(bytes(tag, undefined, "buffer"));
      return this;
    }
  }
  class Cipher extends CipherBase {
    constructor(name, key, iv, options) {
      super(name, key, iv, options, false);
    }
  }
  class Decipher extends CipherBase {
    constructor(name, key, iv, options) {
      super(name, key, iv, options, true);
    }
  }

  const createHash = (alg) => new Hash(algorithm(alg), undefined);
  // Key generation: RSA (`modulusLength`, `publicExponent`), EC on P-256 and P-384, and secret
  // HMAC/AES keys. Without `publicKeyEncoding`/`privateKeyEncoding` the keys are KeyObjects.
  function generateKeyPairSync(type, options = {}) {
    let pair;
    if (type === "rsa") {
      const bits = options.modulusLength;
      if (typeof bits !== "number") throw codeError(TypeError, "ERR_INVALID_ARG_TYPE", `The "options.modulusLength" property must be of type number. Received type ${typeof bits} ('${bits}')`);
      if (!Number.isInteger(bits) || bits < 0 || bits > 2 ** 32 - 1) throw codeError(RangeError, "ERR_OUT_OF_RANGE", `The value of "options.modulusLength" is out of range. It must be >= 0 && <= 4294967295. Received ${bits}`);
      const exponent = options.publicExponent === undefined ? 65537 : options.publicExponent;
      pair = natives.keyGenerate("rsa", bits, exponent);
    } else if (type === "ec") {
      if (typeof options.namedCurve !== "string") throw codeError(TypeError, "ERR_INVALID_ARG_TYPE", 'The "options.namedCurve" property must be of type string.');
      pair = natives.keyGenerate("ec", options.namedCurve);
    } else {
      throw internal.missing(`crypto.generateKeyPair('${type}')`, "writ generates rsa and ec keys")();
    }
    const privateKey = new KeyObject("private", natives.keyParse(pair[0], "private"));
    const publicKey = new KeyObject("public", natives.keyParse(pair[1], "public"));
    const encoded = (key, encoding) => (encoding ? key.export(encoding) : key);
    return { publicKey: encoded(publicKey, options.publicKeyEncoding), privateKey: encoded(privateKey, options.privateKeyEncoding) };
  }
  function generateKeyPair(type, options, callback) {
    if (typeof options === "function") {
      callback = options;
      options = {};
    }
    if (typeof callback !== "function") throw codeError(TypeError, "ERR_INVALID_ARG_TYPE", 'The "callback" argument must be of type function.');
    const { publicKey, privateKey } = generateKeyPairSync(type, options);
    setImmediate(() => callback(null, publicKey, privateKey));
  }
  function generateKeySync(type, options = {}) {
    if (type !== "hmac" && type !== "aes") throw codeError(TypeError, "ERR_INVALID_ARG_VALUE", `The argument 'type' must be one of: 'hmac', 'aes'. Received '${type}'`);
    const length = options.length;
    if (type === "aes" && ![128, 192, 256].includes(length)) throw codeError(TypeError, "ERR_INVALID_ARG_VALUE", `The property 'options.length' must be one of: 128, 192, 256. Received ${length}`);
    if (type === "hmac" && !(Number.isInteger(length) && length >= 8 && length <= 2 ** 31 - 1)) throw codeError(RangeError, "ERR_OUT_OF_RANGE", `The value of "options.length" is out of range. It must be >= 8 && <= 2147483647. Received ${length}`);
    return new KeyObject("secret", fillRandom(Math.floor(length / 8)));
  }
  function generateKey(type, options, callback) {
    const key = generateKeySync(type, options);
    setImmediate(() => callback(null, key));
  }

  // WebCrypto's `subtle`, as far as isomorphic packages use it on a server: `digest` (SHA-1,
  // SHA-256/384/512) and HMAC keys (`importKey("raw")`, `sign`, `verify`, `exportKey("raw")`).
  // Its other methods reject with NotSupportedError naming themselves.
  const notSupported = (message) => Object.assign(new Error(message), { name: "NotSupportedError" });
  const subtleHash = (hash) => {
    const name = typeof hash === "string" ? hash : hash && hash.name;
    const alg = { "SHA-1": "sha1", "SHA-256": "sha256", "SHA-384": "sha384", "SHA-512": "sha512" }[String(name).toUpperCase()];
    if (!alg) throw notSupported(`Unrecognized algorithm name: ${name}`);
    return alg;
  };
  const toArrayBuffer = (u8) => u8.buffer.slice(u8.byteOffset, u8.byteOffset + u8.byteLength);
  const keySecret = new WeakMap();
  class CryptoKey {
    constructor(algorithm, extractable, usages, secret) {
      this.type = "secret";
      this.algorithm = algorithm;
      this.extractable = extractable;
      this.usages = [...usages];
      keySecret.set(this, secret);
    }
  }
  const hmacKey = (key, usage) => {
    if (!(key instanceof CryptoKey) || key.algorithm.name !== "HMAC") throw Object.assign(new Error("The key is not an HMAC key"), { name: "InvalidAccessError" });
    if (!key.usages.includes(usage)) throw Object.assign(new Error(`The key does not allow ${usage}`), { name: "InvalidAccessError" });
    return keySecret.get(key);
  };
  const algorithmName = (a) => String(typeof a === "string" ? a : a && a.name).toUpperCase();
  const subtle = {
    async digest(algorithm, data) {
      return toArrayBuffer(createHash(subtleHash(algorithm)).update(bytes(data, undefined, "data")).digest());
    },
    async importKey(format, keyData, algorithm, extractable, usages) {
      if (algorithmName(algorithm) !== "HMAC" || format !== "raw") {
        throw notSupported(`crypto.subtle.importKey is supported by writ for raw HMAC keys only, not ${format} ${algorithmName(algorithm)}`);
      }
      const secret = Uint8Array.from(bytes(keyData, undefined, "keyData"));
      const hash = { name: { sha1: "SHA-1", sha256: "SHA-256", sha384: "SHA-384", sha512: "SHA-512" }[subtleHash(algorithm.hash)] };
      return new CryptoKey({ name: "HMAC", hash, length: secret.length * 8 }, Boolean(extractable), usages || [], secret);
    },
    async exportKey(format, key) {
      if (format !== "raw" || !(key instanceof CryptoKey)) throw notSupported(`crypto.subtle.exportKey is supported by writ for raw HMAC keys only`);
      if (!key.extractable) throw Object.assign(new Error("key is not extractable"), { name: "InvalidAccessError" });
      return toArrayBuffer(keySecret.get(key));
    },
    async sign(algorithm, key, data) {
      if (algorithmName(algorithm) !== "HMAC") throw notSupported(`crypto.subtle.sign is supported by writ for HMAC only, not ${algorithmName(algorithm)}`);
      const secret = hmacKey(key, "sign");
      return toArrayBuffer(createHmac(subtleHash(key.algorithm.hash), secret).update(bytes(data, undefined, "data")).digest());
    },
    async verify(algorithm, key, signature, data) {
      if (algorithmName(algorithm) !== "HMAC") throw notSupported(`crypto.subtle.verify is supported by writ for HMAC only, not ${algorithmName(algorithm)}`);
      const secret = hmacKey(key, "verify");
      const expected = createHmac(subtleHash(key.algorithm.hash), secret).update(bytes(data, undefined, "data")).digest();
      const given = bytes(signature, undefined, "signature");
      return given.length === expected.length && timingSafeEqual(given, expected);
    },
  };
  for (const name of ["encrypt", "decrypt", "generateKey", "deriveKey", "deriveBits", "wrapKey", "unwrapKey"]) {
    subtle[name] = async () => {
      throw notSupported(`crypto.subtle.${name} is not supported by writ yet`);
    };
  }
  function createHmac(alg, key, options) {
    if (key instanceof KeyObject) key = secretOf(key);
    return new Hmac(algorithm(alg), Uint8Array.from(bytes(key, options && options.encoding, "key")));
  }
  function randomBytes(size, callback) {
    if (typeof size !== "number" || !(size >= 0 && size <= 2 ** 31 - 1) || !Number.isInteger(size)) {
      throw codeError(RangeError, "ERR_OUT_OF_RANGE", `The value of "size" is out of range. It must be >= 0 && <= 2147483647. Received ${size}`);
    }
    const out = output(fillRandom(size));
    if (typeof callback === "function") {
      queueMicrotask(() => callback(null, out));
      return undefined;
    }
    return out;
  }
  function randomFillSync(buf, offset = 0, size) {
    const view = new Uint8Array(buf.buffer || buf, buf.byteOffset || 0, buf.byteLength);
    if (size === undefined) size = view.length - offset;
    view.set(fillRandom(size), offset);
    return buf;
  }
  function randomFill(buf, offset, size, callback) {
    if (typeof offset === "function") {
      callback = offset;
      offset = 0;
      size = undefined;
    } else if (typeof size === "function") {
      callback = size;
      size = undefined;
    }
    randomFillSync(buf, offset, size);
    queueMicrotask(() => callback(null, buf));
  }
  function getRandomValues(array) {
    if (!ArrayBuffer.isView(array) || array instanceof Float32Array || array instanceof Float64Array || array instanceof DataView) {
      const e = new TypeError("The data argument must be an integer-type TypedArray");
      e.name = "TypeMismatchError";
      throw e;
    }
    if (array.byteLength > 65536) {
      const e = new Error(`The ArrayBufferView's byte length (${array.byteLength}) exceeds the number of bytes of entropy available via this API (65536)`);
      e.name = "QuotaExceededError";
      throw e;
    }
    new Uint8Array(array.buffer, array.byteOffset, array.byteLength).set(fillRandom(array.byteLength));
    return array;
  }
  function randomUUID() {
    const b = fillRandom(16);
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    const h = Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
  }
  function randomInt(min, max, callback) {
    if (max === undefined || typeof max === "function") {
      callback = max;
      max = min;
      min = 0;
    }
    if (!Number.isSafeInteger(min)) throw codeError(TypeError, "ERR_INVALID_ARG_TYPE", `The "min" argument must be a safe integer. Received ${min}`);
    if (!Number.isSafeInteger(max)) throw codeError(TypeError, "ERR_INVALID_ARG_TYPE", `The "max" argument must be a safe integer. Received ${max}`);
    if (max <= min) throw codeError(RangeError, "ERR_OUT_OF_RANGE", `The value of "max" is out of range. It must be greater than the value of "min" (${min}). Received ${max}`);
    const range = max - min;
    if (range > 2 ** 48) throw codeError(RangeError, "ERR_OUT_OF_RANGE", `The value of "max - min" is out of range. It must be <= 281474976710655. Received ${range}`);
    // Rejection sampling over 48 random bits, as Node does.
    const limit = 2 ** 48 - (2 ** 48 % range);
    let x;
    do {
      const b = fillRandom(6);
      x = b[0] * 2 ** 40 + b[1] * 2 ** 32 + b[2] * 2 ** 24 + b[3] * 2 ** 16 + b[4] * 2 ** 8 + b[5];
    } while (x >= limit);
    const n = min + (x % range);
    if (typeof callback === "function") {
      queueMicrotask(() => callback(null, n));
      return undefined;
    }
    return n;
  }
  function timingSafeEqual(a, b) {
    if (!ArrayBuffer.isView(a) && !(a instanceof ArrayBuffer)) throw codeError(TypeError, "ERR_INVALID_ARG_TYPE", `The "buf1" argument must be an instance of ArrayBuffer, Buffer, TypedArray, or DataView.`);
    if (!ArrayBuffer.isView(b) && !(b instanceof ArrayBuffer)) throw codeError(TypeError, "ERR_INVALID_ARG_TYPE", `The "buf2" argument must be an instance of ArrayBuffer, Buffer, TypedArray, or DataView.`);
    const x = bytes(a, undefined, "buf1");
    const y = bytes(b, undefined, "buf2");
    if (x.length !== y.length) throw codeError(RangeError, "ERR_CRYPTO_TIMING_SAFE_EQUAL_LENGTH", "Input buffers must have the same byte length");
    let diff = 0;
    for (let i = 0; i < x.length; i++) diff |= x[i] ^ y[i];
    return diff === 0;
  }
  function pbkdf2Sync(password, salt, iterations, keylen, digest) {
    if (!Number.isInteger(iterations) || iterations < 1) throw codeError(RangeError, "ERR_OUT_OF_RANGE", `The value of "iterations" is out of range. It must be >= 1 && <= 2147483647. Received ${iterations}`);
    if (!Number.isInteger(keylen) || keylen < 0) throw codeError(RangeError, "ERR_OUT_OF_RANGE", `The value of "keylen" is out of range. It must be >= 0 && <= 2147483647. Received ${keylen}`);
    return output(derive(algorithm(digest), Uint8Array.from(bytes(password, undefined, "password")), Uint8Array.from(bytes(salt, undefined, "salt")), iterations, keylen));
  }
  function pbkdf2(password, salt, iterations, keylen, digest, callback) {
    let result;
    try {
      result = pbkdf2Sync(password, salt, iterations, keylen, digest);
    } catch (e) {
      queueMicrotask(() => callback(e));
      return;
    }
    queueMicrotask(() => callback(null, result));
  }
  // scrypt with Node's parameter names, defaults and memory ceiling (128 * N * r <= maxmem).
  function scryptSync(password, salt, keylen, options = {}) {
    const pick = (a, b, d) => (options[a] !== undefined ? options[a] : options[b] !== undefined ? options[b] : d);
    const N = pick("N", "cost", 16384);
    const r = pick("r", "blockSize", 8);
    const p = pick("p", "parallelization", 1);
    const maxmem = options.maxmem === undefined ? 32 << 20 : options.maxmem;
    if (!Number.isInteger(keylen) || keylen < 0) throw codeError(RangeError, "ERR_OUT_OF_RANGE", `The value of "keylen" is out of range. It must be >= 0 && <= 2147483647. Received ${keylen}`);
    const log = Math.log2(N);
    if (!Number.isInteger(N) || N < 2 || !Number.isInteger(log) || !Number.isInteger(r) || r < 1 || !Number.isInteger(p) || p < 1 || 128 * N * r > maxmem) {
      throw codeError(RangeError, "ERR_CRYPTO_INVALID_SCRYPT_PARAMS", "Invalid scrypt params: error:030000AC:digital envelope routines::memory limit exceeded");
    }
    return output(natives.scrypt(Uint8Array.from(bytes(password, undefined, "password")), Uint8Array.from(bytes(salt, undefined, "salt")), log, r, p, keylen));
  }
  // Invalid parameters throw at once, as in Node; the key arrives through the callback.
  function scrypt(password, salt, keylen, options, callback) {
    if (typeof options === "function") [options, callback] = [{}, options];
    const result = scryptSync(password, salt, keylen, options);
    queueMicrotask(() => callback(null, result));
  }
  // HKDF (RFC 5869): an ArrayBuffer, as Node returns.
  function hkdfSync(digest, ikm, salt, info, keylen) {
    const d = algorithm(digest);
    const sizes = { md5: 16, sha1: 20, sha224: 28, sha256: 32, sha384: 48, sha512: 64 };
    if (!Number.isInteger(keylen) || keylen < 0) throw codeError(RangeError, "ERR_OUT_OF_RANGE", `The value of "keylen" is out of range. It must be >= 0 && <= 2147483647. Received ${keylen}`);
    if (keylen > 255 * sizes[d]) throw codeError(RangeError, "ERR_CRYPTO_INVALID_KEYLEN", "Invalid key length");
    const infoBytes = Uint8Array.from(bytes(info, undefined, "info"));
    if (infoBytes.length > 1024) throw codeError(RangeError, "ERR_OUT_OF_RANGE", `The value of "info" is out of range. It must be <= 1024. Received ${infoBytes.length}`);
    const out = natives.hkdf(d, Uint8Array.from(bytes(ikm, undefined, "ikm")), Uint8Array.from(bytes(salt, undefined, "salt")), infoBytes, keylen);
    return out.buffer.slice(out.byteOffset, out.byteOffset + out.length);
  }
  function hkdf(digest, ikm, salt, info, keylen, callback) {
    const result = hkdfSync(digest, ikm, salt, info, keylen);
    queueMicrotask(() => callback(null, result));
  }
  const exports = {
    createHash,
    createHmac,
    Hash,
    Hmac,
    getHashes: () => algorithms.slice(),
    randomBytes,
    pseudoRandomBytes: randomBytes,
    randomFillSync,
    randomFill,
    randomUUID,
    randomInt,
    getRandomValues,
    timingSafeEqual,
    pbkdf2,
    pbkdf2Sync,
    scrypt,
    scryptSync,
    hkdf,
    hkdfSync,
    webcrypto: { getRandomValues, randomUUID, subtle },
    generateKeyPair,
    generateKeyPairSync,
    generateKey,
    generateKeySync,
    subtle,
    KeyObject,
    createSecretKey,
    createPrivateKey,
    createPublicKey,
    createCipheriv: (name, key, iv, options) => new Cipher(name, key, iv, options),
    createDecipheriv: (name, key, iv, options) => new Decipher(name, key, iv, options),
    Cipheriv: Cipher,
    Decipheriv: Decipher,
    getCiphers: () => Object.keys(ciphers).sort(),
    createSign: (alg) => new Sign(alg),
    createECDH: (curve) => new ECDH(curve),
    ECDH,
    createVerify: (alg) => new Verify(alg),
    Sign,
    Verify,
    sign,
    verify,
    constants: { RSA_PKCS1_PADDING: 1, RSA_NO_PADDING: 3, RSA_PKCS1_OAEP_PADDING: 4, RSA_PKCS1_PSS_PADDING: 6, RSA_PSS_SALTLEN_DIGEST: -1, RSA_PSS_SALTLEN_MAX_SIGN: -2, RSA_PSS_SALTLEN_AUTO: -2 },
  };
  internal.unsupported(exports, "crypto", [
    "publicEncrypt", "privateDecrypt", "privateEncrypt", "publicDecrypt", "createDiffieHellman",
    "getCurves",
    "X509Certificate", "createCipher", "createDecipher", "diffieHellman", "hash",
  ]);
  return exports;
})

exports = function () {
  return {
    sha256: utils.crypto.hash("sha256", "abc").toHex(),
    sha1: utils.crypto.hash("sha1", "abc").toHex(),
    md5: utils.crypto.hash("md5", BSON.Binary.fromText("abc")).toHex(),
    hmacHex: utils.crypto.hmac("The quick brown fox jumps over the lazy dog", "key", "sha256", "hex"),
    hmacB64: utils.crypto.hmac("data", "secret", "sha1", "base64"),
  };
};

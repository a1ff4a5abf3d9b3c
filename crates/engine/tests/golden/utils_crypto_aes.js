// utils.crypto.encrypt/decrypt as App Services' documentation example uses them ("aes", a
// 32-byte key): AES-256-GCM, the output being the 12-byte nonce, the ciphertext and the 16-byte
// tag. `fromNode` was made by Node (createCipheriv("aes-256-gcm") with that key and nonce
// 000102...0b), so writ reads what Node writes, and Node reads what writ writes (same layout).
exports = function () {
  const key = "603082712271C525E087BD999A4E0738";
  const message = "MongoDB is great!";
  const sealed = utils.crypto.encrypt("aes", message, key);
  const fromNode = BSON.Binary.fromBase64("AAECAwQFBgcICQoL+5Ixy0idBOJ1DM9b2pJVUiPkXViapxhteQc+fZbOqAiP");
  const errors = {};
  try { utils.crypto.encrypt("aes", message, "short"); } catch (e) { errors.shortKey = e.message; }
  try { utils.crypto.encrypt("des", message, key); } catch (e) { errors.type = e.message; }
  try { utils.crypto.decrypt("aes", sealed, "603082712271C525E087BD999A4E0739"); } catch (e) { errors.wrongKey = e.message; }
  return {
    roundTrip: utils.crypto.decrypt("aes", sealed, key).text() === message,
    length: sealed.length(),
    isBinary: sealed instanceof BSON.Binary,
    fromNode: utils.crypto.decrypt("aes", fromNode, key).text(),
    fresh: utils.crypto.encrypt("aes", message, key).toBase64() !== sealed.toBase64(),
    errors,
  };
};

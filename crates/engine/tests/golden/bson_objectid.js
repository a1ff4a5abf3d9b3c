exports = function () {
  const a = new BSON.ObjectId("5f1f216e82df4a7979f9da93");
  const b = BSON.ObjectId("5f1f216e82df4a7979f9da93");
  const fresh = new BSON.ObjectId();
  let bad;
  try { new BSON.ObjectId("xyz"); } catch (e) { bad = e.name + ": " + e.message; }
  return {
    a, hex: a.toHexString(), str: String(a), equal: a.equals(b), equalHex: a.equals("5f1f216e82df4a7979f9da93"),
    freshLen: fresh.toHexString().length, ts: a.getTimestamp(), json: JSON.stringify({ a }),
    valid: BSON.ObjectId.isValid("5f1f216e82df4a7979f9da93"), invalid: BSON.ObjectId.isValid("nope"), bad,
    fromHex: BSON.ObjectId.createFromHexString("000000000000000000000001"),
  };
};

exports = function () {
  const bin = BSON.Binary.fromHex("deadbeef");
  return {
    int32: new BSON.Int32(7), double: new BSON.Double(7), doubleVal: new BSON.Double(7).valueOf() + 1,
    dec: BSON.Decimal128.fromString("1.10"), decStr: BSON.Decimal128.fromString("1.10").toString(),
    bin, binHex: bin.toHex(), binB64: bin.toBase64(), subtype: bin.sub_type,
    text: BSON.Binary.fromText("héllo").text(), uuid: BSON.Binary.fromBase64("AAECAwQFBgcICQoLDA0ODw==", 4),
    regex: new BSON.BSONRegExp("^a.*z$", "xi"), jsRegex: /ab+c/gi,
    min: BSON.MinKey(), max: new BSON.MaxKey(), ts: new BSON.Timestamp({ t: 100, i: 2 }),
    date: new Date(Date.UTC(2024, 0, 2, 3, 4, 5)), bytes: new Uint8Array([1, 2, 3]),
    nested: { arr: [1, undefined, null, { deep: true }], skip: undefined, fn: () => 1 },
  };
};

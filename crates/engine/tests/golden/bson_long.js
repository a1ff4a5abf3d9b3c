// args: [{"$numberLong": "9007199254740993"}, {"$numberLong": "5"}]
exports = function (big, small) {
  return {
    big, small, bigIsLong: big instanceof BSON.Long, bigStr: big.toString(),
    sum: small + 1, cmp: small > 4,
    made: BSON.Long.fromString("-9223372036854775808"), bits: new BSON.Long(1, 1),
    added: BSON.Long.fromNumber(10).add(5).toString(), hex: BSON.Long.fromInt(255).toString(16),
    asNumber: small.toNumber(), json: JSON.stringify({ small }),
    plainBig: 2 ** 40, plainSmall: 7, fraction: 2.5,
  };
};

// args: [{"$oid": "5f1f216e82df4a7979f9da93"}, {"$date": {"$numberLong": "1700000000000"}}, {"$numberDecimal": "12.345"}, {"$binary": {"base64": "AQID", "subType": "00"}}, {"$numberDouble": "1.5"}, {"$numberInt": "3"}]
exports = function (oid, date, dec, bin, dbl, int) {
  return {
    kinds: [oid instanceof BSON.ObjectId, date instanceof Date, dec instanceof BSON.Decimal128, bin instanceof BSON.Binary, typeof dbl, typeof int],
    back: [oid, date, dec, bin, dbl, int],
  };
};

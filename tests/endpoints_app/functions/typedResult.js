exports = function () {
  return { int: 1, long: BSON.Long.fromNumber(5), double: 1.5, date: new Date(0), oid: new BSON.ObjectId("5f1a2b3c4d5e6f7a8b9c0d1e") };
};

const doc = {
  _id: new BSON.ObjectId("5f1f216e82df4a7979f9da93"),
  int: 7, long: BSON.Long.fromString("9007199254740993"), double: 2.5, forcedDouble: new BSON.Double(3),
  dec: BSON.Decimal128.fromString("12.345"), date: new Date(1700000000000), bin: BSON.Binary.fromHex("00ff", 0),
  uuid: BSON.Binary.fromHex("0123456789abcdef0123456789abcdef", 4), regex: /a+b/i, bsonRegex: new BSON.BSONRegExp("^x", "x"),
  ts: new BSON.Timestamp({ t: 1, i: 2 }), min: BSON.MinKey(), max: BSON.MaxKey(), nil: null, bool: true,
  nested: { arr: [1, "two", { three: 3 }] },
};
await coll.insertOne(doc);
const back = await coll.findOne({ _id: doc._id });
const stored = {
  forcedDoubleIsDouble: await coll.count({ forcedDouble: { $type: "double" } }),
  intIsInt: await coll.count({ int: { $type: "int" } }),
  longIsLong: await coll.count({ long: { $type: "long" } }),
  byDate: await coll.count({ date: new Date(1700000000000) }),
};
return { back, longIsLong: back.long instanceof BSON.Long, stored };

exports = function () {
  const doc = { _id: new BSON.ObjectId("5f1f216e82df4a7979f9da93"), n: 5, l: BSON.Long.fromNumber(5), d: 2.5, when: new Date(0) };
  const relaxed = EJSON.stringify(doc);
  const canonical = EJSON.stringify(doc, { relaxed: false });
  const parsed = EJSON.parse('{"a":{"$numberLong":"12"},"b":{"$numberInt":"3"},"c":{"$oid":"5f1f216e82df4a7979f9da93"},"d":{"$date":{"$numberLong":"0"}}}');
  const strict = EJSON.parse('{"a":{"$numberLong":"12"},"b":{"$numberInt":"3"}}', { relaxed: false });
  let bad;
  try { EJSON.parse("{nope"); } catch (e) { bad = e.name; }
  return {
    relaxed, canonical, pretty: EJSON.stringify({ a: 1 }, null, 2),
    parsedTypes: [typeof parsed.a, typeof parsed.b, parsed.c instanceof BSON.ObjectId, parsed.d instanceof Date],
    strictTypes: [strict.a instanceof BSON.Long, strict.b instanceof BSON.Int32], bad,
  };
};

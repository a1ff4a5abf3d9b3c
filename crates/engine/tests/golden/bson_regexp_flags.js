// App Services' documentation: `BSON.BSONRegExp("the great", "ig")`. The `g` flag means nothing
// to a MongoDB match and is dropped; the others are kept, sorted; an unknown one is refused.
exports = function () {
  const r = BSON.BSONRegExp("the great", "ig");
  let refused;
  try { BSON.BSONRegExp("x", "q"); } catch (e) { refused = e.message; }
  return { pattern: r.pattern, options: r.options, refused, value: r };
};

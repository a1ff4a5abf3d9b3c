// JSON.parse: values, key order, duplicates, `__proto__`, numbers, escapes, revivers, errors.
exports = function () {
  const attempt = (f) => {
    try {
      return f();
    } catch (e) {
      return e.name;
    }
  };
  const shapes = (v) => JSON.stringify(v, (k, x) => (typeof x === "number" && Object.is(x, -0) ? "-0" : x));
  const proto = JSON.parse('{"__proto__": {"polluted": true}, "a": 1}');
  const nested = JSON.parse("[".repeat(100) + "1" + "]".repeat(100));
  let depth = 0;
  for (let v = nested; Array.isArray(v); v = v[0]) depth++;
  const text = '{"b":1,"a":2,"10":3,"2":4,"b":5,"":6,"é\\u00e9\\n\\t\\"\\\\\\/":7}';
  return JSON.stringify({
    order: Object.keys(JSON.parse(text)),
    values: JSON.parse(text),
    scalars: [JSON.parse("1"), JSON.parse(" true "), JSON.parse("null"), JSON.parse('"s"'), JSON.parse(123), JSON.parse(null)],
    numbers: shapes(JSON.parse("[0, -0, -0.0, 1e21, 1E-7, 0.1, 123456789012345678901234567890, 9007199254740993, -2147483649, 2147483648, 1.7976931348623157e308, 5e-324]")),
    strings: JSON.parse('["\\ud83d\\ude00", "\\u0000", "tab\\there", "2024-01-05", "a-0"]'),
    proto: [Object.getPrototypeOf(proto) === Object.prototype, Object.keys(proto), proto.polluted, ({}).polluted],
    empty: [JSON.parse("{}"), JSON.parse("[]"), JSON.parse('{"a":{},"b":[]}')],
    depth,
    types: [typeof JSON.parse("{}"), Array.isArray(JSON.parse("[]")), JSON.parse("[1]") instanceof Array, JSON.parse("{}") instanceof Object],
    reviver: JSON.parse('{"a":1,"b":{"c":2},"d":[3]}', (k, v) => (typeof v === "number" ? v * 10 : v)),
    errors: ["", "{", "[1,]", "{'a':1}", "01", "1 2", "undefined", "NaN", '{"a" 1}', '"\\x"', "[1]x"].map((t) => attempt(() => JSON.parse(t))),
    undefinedArg: attempt(() => JSON.parse()),
    shape: [JSON.parse.name, JSON.parse.length],
  });
};

// util.format and util.inspect on the values functions log.
exports = function () {
  const util = require("util");
  class Point {
    constructor() {
      this.x = 1;
      this.y = 2;
    }
  }
  const circular = { name: "c" };
  circular.self = circular;
  const nested = { a: { b: { c: { d: { e: 1 } } } } };
  const long = { alpha: "aaaaaaaaaaaaaaaa", beta: "bbbbbbbbbbbbbbbbbb", gamma: "cccccccccccccccccc", delta: 4 };
  return JSON.stringify({
    format: [
      util.format("%s is %d years and %i days, %f%%", "Bob", 42.5, "7.9", "1.5"),
      util.format("%j", { a: [1, "x"] }),
      util.format("%s", { a: 1 }),
      util.format("%o", [1]),
      util.format("%O", { a: { b: 1 } }),
      util.format("a", "b", 3, { c: 4 }),
      util.format("%s %s", "only"),
      util.format("%c styled", "color: red"),
      util.format(1, 2),
      util.format("%d", "x"),
      util.format("%s", 10n),
      util.format("%s", null, undefined),
    ],
    inspect: [
      util.inspect("str"),
      util.inspect([1, "two", [3, [4, [5]]]]),
      util.inspect({ s: "it's", n: -0, u: undefined, nul: null, big: 5n, sym: Symbol("s") }),
      util.inspect(new Map([["k", { v: 1 }]])),
      util.inspect(new Set([1, "a"])),
      util.inspect(new Point()),
      util.inspect(circular),
      util.inspect(nested),
      util.inspect(nested, { depth: 0 }),
      util.inspect(long),
      util.inspect(Array.from({ length: 30 }, (_, i) => i * 3)),
      util.inspect(Array.from({ length: 8 }, (_, i) => `item${i}`)),
      util.inspect([, 1, , , 2]),
      util.inspect(Object.create(null)),
      util.inspect(function named() {}),
      util.inspect(() => {}),
      util.inspect(class Foo {}),
      util.inspect(new Date(0)),
      util.inspect(/ab+c/gi),
      util.inspect({ "key with space": 1, valid_id: 2 }),
      util.inspect(new Uint8Array([1, 2, 3])),
      util.inspect([[]]),
      util.inspect({}),
      util.inspect({ a: [] }),
      util.inspect("multi\nline"),
      util.inspect({ [util.inspect.custom]: () => "custom!" }),
      util.inspect(new Boolean(true)),
    ],
    isDeepStrictEqual: [
      util.isDeepStrictEqual({ a: [1, { b: 2 }] }, { a: [1, { b: 2 }] }),
      util.isDeepStrictEqual([1], ["1"]),
      util.isDeepStrictEqual(new Map([[1, 2]]), new Map([[1, 2]])),
      util.isDeepStrictEqual(new Date(1), new Date(2)),
    ],
    types: [util.types.isDate(new Date()), util.types.isRegExp(/a/), util.types.isPromise(Promise.resolve()), util.types.isUint8Array(new Uint8Array()), util.types.isAsyncFunction(async () => {})],
    legacy: [util.isArray([]), util.isString("s"), util.isPrimitive(null), util.isFunction(() => 1)],
  });
};

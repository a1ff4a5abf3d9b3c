exports = function () {
  const _ = require("lodash");
  const fp = require("lodash/fp");
  const users = [
    { name: "ann", age: 31, team: "a" },
    { name: "bob", age: 25, team: "b" },
    { name: "cy", age: 40, team: "a" },
  ];
  return JSON.stringify({
    chunk: _.chunk([1, 2, 3, 4, 5], 2),
    groupBy: _.mapValues(_.groupBy(users, "team"), (g) => _.map(g, "name")),
    sortBy: _.map(_.sortBy(users, ["age"]), "name"),
    merge: _.merge({ a: { b: 1 } }, { a: { c: 2 } }),
    get: [_.get({ a: [{ b: "deep" }] }, "a[0].b"), _.get({}, "x.y", "default")],
    template: _.template("hello <%= name %>!")({ name: "writ" }),
    debounce: typeof _.debounce(() => 1, 10),
    cloneDeep: _.isEqual(_.cloneDeep({ d: [1, { e: 2 }] }), { d: [1, { e: 2 }] }),
    fp: fp.map((x) => x * 2)([1, 2]),
    camel: _.camelCase("Foo Bar-baz"),
    uniq: _.uniqBy([{ id: 1 }, { id: 1 }, { id: 2 }], "id").length,
  });
};

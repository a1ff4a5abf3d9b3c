await coll.insertMany([
  { _id: 1, name: "ann", boss: null, level: 1, tags: ["a"], secret: { level: 5, code: "x" } },
  { _id: 2, name: "bob", boss: "ann", level: 1, reports: [{ level: 1, who: "cy" }, { level: 9, who: "dee" }] },
  { _id: 3, name: "cy", boss: "bob", level: 1 },
  { _id: 4, name: "dee", boss: ["bob", "cy"], level: 9 },
  { _id: 5, name: "eve", boss: "eve", level: 1 },
]);
const redacted = await coll.aggregate([
  { $redact: { $cond: { if: { $lte: [{ $ifNull: ["$level", 0] }, 1] }, then: "$$DESCEND", else: "$$PRUNE" } } },
  { $sort: { _id: 1 } },
]).toArray();
const kept = await coll.aggregate([
  { $redact: { $cond: [{ $eq: ["$name", "ann"] }, "$$KEEP", "$$PRUNE"] } },
  { $project: { name: 1 } },
]).toArray();
const zipped = await coll.aggregate([
  { $match: { _id: 1 } },
  { $project: {
      _id: 0,
      short: { $zip: { inputs: [[1, 2, 3], ["a", "b"]] } },
      long: { $zip: { inputs: [[1, 2, 3], ["a", "b"]], useLongestLength: true, defaults: [0, "z"] } },
      none: { $zip: { inputs: [[1], "$missing"] } },
      set: { $setField: { field: "a.b", input: { x: 1 }, value: 2 } },
      dollar: { $setField: { field: { $literal: "$price" }, input: "$$ROOT", value: 9 } },
      unset: { $unsetField: { field: "x", input: { x: 1, y: 2 } } },
  } },
]).toArray();
const rand = await coll.aggregate([
  { $project: { r: { $rand: {} } } },
  { $match: { $expr: { $and: [{ $gte: ["$r", 0] }, { $lt: ["$r", 1] }] } } },
  { $count: "n" },
]).toArray();
return { redacted, kept, zipped, rand };

await coll.insertMany([
  { _id: 1, name: "one", tags: ["a", "b", "c", "d", "e"], grades: [{ g: 80, s: "x" }, { g: 95, s: "y" }, { g: 99, s: "z" }], nested: { list: [1, 2, 3] } },
  { _id: 2, name: "two", tags: ["a"], grades: [{ g: 50, s: "x" }], nested: { list: [] } },
  { _id: 3, name: "three", tags: "not an array" },
]);
const all = async (query, projection) => await coll.find(query, projection).sort({ _id: 1 }).toArray();
const failure = async (projection) => {
  try { await coll.find({}, projection).toArray(); return "no error"; } catch (e) { return "error"; }
};
return {
  first2: await all({}, { tags: { $slice: 2 } }),
  last2WithoutGrades: await all({}, { tags: { $slice: -2 }, grades: 0 }),
  skipLimitWithName: await all({}, { tags: { $slice: [1, 2] }, name: 1 }),
  fromTheEnd: await all({ _id: 1 }, { tags: { $slice: [-3, 2] }, _id: 0, name: 1 }),
  pastTheEnd: await all({ _id: 1 }, { tags: { $slice: [10, 2] }, name: 1 }),
  nested: await all({}, { "nested.list": { $slice: -1 }, name: 1 }),
  elemMatch: await all({}, { grades: { $elemMatch: { g: { $gt: 90 } } } }),
  elemMatchWithName: await all({}, { name: 1, grades: { $elemMatch: { s: "x" } } }),
  positional: await all({ "grades.g": { $gte: 90 } }, { "grades.$": 1 }),
  positionalScalar: await all({ tags: "c" }, { "tags.$": 1, name: 1 }),
  findOne: await coll.findOne({ _id: 1 }, { tags: { $slice: 1 }, grades: { $slice: -1 } }),
  zeroLimit: await failure({ tags: { $slice: [1, 0] } }),
  elemMatchInExclusion: await failure({ name: 0, grades: { $elemMatch: { s: "x" } } }),
};

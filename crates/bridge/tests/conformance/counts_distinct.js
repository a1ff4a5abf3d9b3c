// (_id 4 has an explicit null: MongoDB leaves documents without the field out of distinct,
// which the wire test server does not; see the issue note.)
await coll.insertMany([{ _id: 1, k: "x" }, { _id: 2, k: "y" }, { _id: 3, k: "x" }, { _id: 4, k: null }]);
return {
  count: await coll.count(),
  countFiltered: await coll.count({ k: "x" }),
  countLimited: await coll.count({}, { limit: 2 }),
  countDocuments: await coll.countDocuments({ k: { $type: "string" } }),
  estimated: await coll.estimatedDocumentCount(),
  distinct: (await coll.distinct("k", {})).sort(),
  distinctFiltered: await coll.distinct("k", { _id: { $gt: 1 } }).then((v) => v.sort()),
};

// A pipeline may give `_id` a new value ($addFields, $set, $project), and aggregation's $sort
// orders values as find's sort does (MongoDB uses one sort order for both).
await coll.insertMany([{ _id: 1, a: "x", n: 1 }, { _id: 2, a: "y", n: 2 }]);
const added = await coll.aggregate([{ $addFields: { _id: "$a" } }, { $sort: { _id: 1 } }]).toArray();
const set = await coll.aggregate([{ $set: { _id: { $concat: ["$a", "!"] } } }, { $sort: { n: 1 } }]).toArray();
const projected = await coll.aggregate([{ $project: { _id: "$a", n: 1 } }, { $sort: { n: 1 } }]).toArray();
const mixed = db.collection("mixed");
// (An empty array sorts below null in MongoDB, and in writ; the wire test server puts it last,
// so it is left out here: crates/store/tests/semantics.rs has it.)
await mixed.insertMany([{ _id: 1, v: [3, 1] }, { _id: 2, v: "s" }, { _id: 3, v: 2 }, { _id: 4 }]);
const found = (await mixed.find({}).sort({ v: 1 }).toArray()).map((d) => d._id);
const sorted = (await mixed.aggregate([{ $sort: { v: 1 } }]).toArray()).map((d) => d._id);
const foundDesc = (await mixed.find({}).sort({ v: -1 }).toArray()).map((d) => d._id);
const sortedDesc = (await mixed.aggregate([{ $sort: { v: -1 } }]).toArray()).map((d) => d._id);
return { added, set, projected, found, sorted, foundDesc, sortedDesc };

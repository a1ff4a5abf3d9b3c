await coll.insertMany([{ _id: 1, n: 1, group: "a" }, { _id: 2, n: 2, group: "a" }]);
const before = await coll.findOneAndUpdate({ group: "a" }, { $inc: { n: 100 } }, { sort: { n: -1 } });
const after = await coll.findOneAndUpdate({ _id: 1 }, { $set: { seen: true } }, { returnNewDocument: true, projection: { seen: 1 } });
const nothing = await coll.findOneAndUpdate({ _id: 42 }, { $set: { x: 1 } });
const upserted = await coll.findOneAndUpdate({ _id: 3 }, { $set: { n: 3 } }, { upsert: true, returnNewDocument: true });
return { before, after, nothing, upserted };

// An update without operators replaces the document (MongoDB's UpdateOne example for App
// Services); replaceOne; options App Services did not know are ignored; returnDocument; find's
// second argument as an options object, as realm-web and App Services took it.
await coll.insertMany([{ _id: 1, a: 1, b: 2 }, { _id: 2, a: 2 }, { _id: 3, a: 3 }]);
const replacedByUpdate = await coll.updateOne({ _id: 1 }, { c: 3 });
const afterUpdate = await coll.findOne({ _id: 1 });
const replaced = await coll.replaceOne({ _id: 2 }, { d: 4 });
const upserted = await coll.replaceOne({ _id: 9 }, { e: 5 }, { upsert: true });
const missing = await coll.replaceOne({ _id: 10 }, { e: 6 });
const typo = await coll.updateOne({ _id: 3 }, { $set: { a: 30 } }, { $upsert: true });
const after = await coll.findOneAndUpdate({ _id: 3 }, { $inc: { a: 1 } }, { returnDocument: "after" });
const before = await coll.findOneAndUpdate({ _id: 3 }, { $inc: { a: 1 } }, { returnDocument: "before" });
const withOptions = await coll.find({}, { sort: { _id: -1 }, limit: 2, projection: { _id: 1 } }).toArray();
const oneWithOptions = await coll.findOne({}, { sort: { _id: -1 }, projection: { _id: 1 } });
// (The wire test server puts an upserted replacement's _id last; MongoDB and writ put it first.)
const upsertedDoc = await coll.findOne({ _id: 9 }, { _id: 0 });
const all = await coll.find({ _id: { $lt: 9 } }).sort({ _id: 1 }).toArray();
return { replacedByUpdate, afterUpdate, replaced, upserted, missing, typo, after, before, withOptions, oneWithOptions, upsertedDoc, all };

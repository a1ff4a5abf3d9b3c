// The positional `$` after `$elemMatch`: the element that met every condition, as an app
// updating one entry of an array of subdocuments writes it.
await coll.insertMany([
  { _id: 1, identities: [{ type: "a", id: "x", n: 0 }, { type: "b", id: "x", n: 0 }, { type: "b", id: "y", n: 0 }] },
]);
const matched = await coll.updateOne(
  { _id: 1, identities: { $elemMatch: { type: "b", id: "y" } } },
  { $set: { "identities.$.n": 1 } },
);
const byRange = await coll.updateOne({ identities: { $elemMatch: { n: { $gte: 1 } } } }, { $inc: { "identities.$.n": 10 } });
const none = await coll.updateOne({ identities: { $elemMatch: { type: "c" } } }, { $set: { "identities.$.n": 5 } });
const doc = await coll.findOne({ _id: 1 });
return { matched, byRange, none, doc };

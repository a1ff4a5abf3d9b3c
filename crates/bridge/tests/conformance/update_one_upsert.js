// The seed's writeCustomUserData: the first call inserts, the second updates.
const filter = { userId: "u1" };
const first = await coll.updateOne(filter, { $set: { favoriteFood: "pizza", lastUpdated: new Date(1700000000000) } }, { upsert: true });
const second = await coll.updateOne(filter, { $set: { favoriteFood: "pasta" } }, { upsert: true });
const same = await coll.updateOne(filter, { $set: { favoriteFood: "pasta" } });
const none = await coll.updateOne({ userId: "nobody" }, { $set: { x: 1 } });
const doc = await coll.findOne(filter, { _id: 0 });
return {
  firstHasUpsertedId: first.upsertedId instanceof BSON.ObjectId,
  first: { matchedCount: first.matchedCount, modifiedCount: first.modifiedCount },
  second, same, none, doc,
};

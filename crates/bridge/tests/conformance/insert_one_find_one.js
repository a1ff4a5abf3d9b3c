const r = await coll.insertOne({ _id: 1, name: "a", tags: ["x", "y"] });
const gen = await coll.insertOne({ name: "generated" });
return {
  r,
  generatedIsObjectId: gen.insertedId instanceof BSON.ObjectId,
  found: await coll.findOne({ _id: 1 }),
  projected: await coll.findOne({ _id: 1 }, { name: 1 }),
  excluded: await coll.findOne({ _id: 1 }, { tags: 0, _id: 0 }),
  missing: await coll.findOne({ _id: 99 }),
  any: (await coll.findOne()) !== null,
};

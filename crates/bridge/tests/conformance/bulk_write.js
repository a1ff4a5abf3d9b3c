const r = await coll.bulkWrite([
  { insertOne: { document: { _id: 1, n: 1 } } },
  { insertOne: { document: { _id: 2, n: 2 } } },
  { updateOne: { filter: { _id: 1 }, update: { $set: { n: 10 } } } },
  { updateMany: { filter: {}, update: { $inc: { n: 1 } } } },
  { replaceOne: { filter: { _id: 2 }, replacement: { n: 20 } } },
  { deleteOne: { filter: { _id: 1 } } },
  { updateOne: { filter: { _id: 3 }, update: { $set: { n: 3 } }, upsert: true } },
]);
return { r, docs: await coll.find().sort({ _id: 1 }).toArray() };

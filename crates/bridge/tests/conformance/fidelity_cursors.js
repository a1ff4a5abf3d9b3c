// App Services resolved an awaited or returned cursor to its documents, and cursors are
// async-iterable (MongoDB's function examples and integration tests read `result[0].field`).
await coll.insertMany([{ _id: 1, n: 5 }, { _id: 2, n: 3 }, { _id: 3, n: 9 }]);
const awaited = await coll.find({ n: { $gt: 4 } }).sort({ _id: 1 });
const iterated = [];
for await (const doc of coll.find({}).sort({ n: 1 })) iterated.push(doc._id);
const aggregated = await coll.aggregate([{ $group: { _id: null, total: { $sum: "$n" } } }]);
return { first: awaited[0].n, awaited, iterated, aggregated };

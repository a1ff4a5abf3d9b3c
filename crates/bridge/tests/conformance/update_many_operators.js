await coll.insertMany([
  { _id: 1, n: 1, grades: [80, 95, 100], tags: ["a"] },
  { _id: 2, n: 2, grades: [90, 100], tags: [] },
  { _id: 3, n: 3, grades: [70], tags: ["b"] },
]);
const inc = await coll.updateMany({ n: { $gte: 2 } }, { $inc: { n: 10 }, $push: { tags: "new" } });
const af = await coll.updateMany({}, { $set: { "grades.$[g]": 0 } }, { arrayFilters: [{ g: { $gte: 100 } }] });
const unset = await coll.updateOne({ _id: 3 }, { $unset: { tags: "" }, $currentDate: { touched: true } });
const docs = await coll.find({}, { touched: 0 }).sort({ _id: 1 }).toArray();
const touched = (await coll.findOne({ _id: 3 })).touched instanceof Date;
return { inc, af, unset, docs, touched };

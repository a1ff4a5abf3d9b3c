await coll.insertMany([{ _id: 1, k: "x" }, { _id: 2, k: "x" }, { _id: 3, k: "y" }]);
const one = await coll.deleteOne({ k: "x" });
const many = await coll.deleteMany({});
const none = await coll.deleteOne({ k: "x" });
return { one, many, none };

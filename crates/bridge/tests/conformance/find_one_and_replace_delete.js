await coll.insertMany([{ _id: 1, n: 1 }, { _id: 2, n: 2 }, { _id: 3, n: 3 }]);
const replacedPre = await coll.findOneAndReplace({ _id: 1 }, { n: 10, replaced: true });
const replacedPost = await coll.findOneAndReplace({ _id: 2 }, { n: 20 }, { returnNewDocument: true });
const deleted = await coll.findOneAndDelete({ n: { $gte: 3 } }, { sort: { n: 1 } });
const none = await coll.findOneAndDelete({ _id: 99 });
return { replacedPre, replacedPost, deleted, none, remaining: await coll.find().sort({ _id: 1 }).toArray() };

// A function that returns the cursor itself: the caller gets the documents.
await coll.insertMany([{ _id: 1, n: 5 }, { _id: 2, n: 3 }]);
return coll.find({}, { _id: 0 }).sort({ n: 1 });

await coll.insertMany([{ _id: 1, n: 5 }, { _id: 2, n: 3 }, { _id: 3, n: 9 }, { _id: 4, n: 1 }, { _id: 5, n: 7 }]);
const sorted = await coll.find({}, { n: 1 }).sort({ n: -1 }).skip(1).limit(2).toArray();
const filtered = await coll.find({ n: { $gt: 4 } }).sort({ _id: 1 }).toArray();
const cursor = coll.find({ n: { $lt: 6 } }).sort({ n: 1 });
const first = await cursor.next();
const second = await cursor.next();
const rest = await cursor.toArray();
let late;
try { cursor.sort({ n: -1 }); } catch (e) { late = e.message; }
const empty = coll.find({ n: 100 });
return { sorted, filtered, first, second, rest, late, afterEnd: (await empty.next()) === undefined };

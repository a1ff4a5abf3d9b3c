const messages = [];
const attempt = async (f) => { try { await f(); messages.push("no error"); } catch (e) { messages.push(`${e.name}: ${e.message}`); } };
await attempt(() => coll.updateOne({}, { name: "not an operator" }));
await attempt(() => coll.updateOne({}, {}));
await attempt(() => coll.insertOne("not a document"));
await attempt(() => coll.insertMany([{ a: 1 }, 2]));
await attempt(() => coll.findOneAndReplace({}, { $set: { a: 1 } }));
await attempt(() => coll.find({}, {}, { hint: "x" }).toArray());
await attempt(() => coll.count({}, { limit: -1 }));
await attempt(() => coll.updateOne({}, { $set: { a: 1 } }, { upsert: "yes" }));
await attempt(() => coll.insertOne({ a: 1 }, { session: {} }));
await attempt(() => coll.watch());
await attempt(() => coll.insertOne({ b: 1 }, { session: "not a session" }));
await attempt(() => context.services.get("mongodb-atlas").db(""));
// Driver methods App Services never offered name themselves.
await attempt(() => coll.createIndex({ a: 1 }));
await attempt(() => coll.find({}).forEach(() => {}));
await attempt(() => context.services.get("mongodb-atlas").db("x").dropDatabase());
return messages;

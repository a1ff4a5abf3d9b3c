await coll.insertOne({ _id: 1 });
await db.collection("other").insertOne({ _id: 1 });
const collections = await db.getCollectionNames();
const dbs = await context.services.get("mongodb-atlas").admin().getDBNames();
return { collections, dbListed: dbs.includes(db.name) };

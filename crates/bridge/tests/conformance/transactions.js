const mongodb = context.services.get("mongodb-atlas");
await coll.insertOne({ _id: "acct", balance: 100 });
const session = mongodb.startSession();
try {
  // A committed transaction: both writes land.
  await session.withTransaction(async () => {
    await coll.updateOne({ _id: "acct" }, { $inc: { balance: -30 } }, { session });
    await coll.insertOne({ _id: "log1", amount: 30 }, { session });
  });
  // A failed transaction: neither write lands.
  let aborted;
  try {
    await session.withTransaction(async () => {
      await coll.updateOne({ _id: "acct" }, { $inc: { balance: -1000 } }, { session });
      await coll.insertOne({ _id: "log2", amount: 1000 }, { session });
      throw new Error("insufficient funds");
    });
  } catch (e) {
    aborted = e.message;
  }
  // Explicit start/abort.
  await session.startTransaction();
  await coll.insertOne({ _id: "log3" }, { session });
  const inside = session.inTransaction();
  await session.abortTransaction();
  return { aborted, inside, after: session.inTransaction(), docs: await coll.find().sort({ _id: 1 }).toArray() };
} finally {
  await session.endSession();
}

// realm-web 2.0.1 against `writ serve` on the sample app plus `tests/triggers_app`: writes made
// through the SDK's MongoDB client fire the app's database triggers.
// Usage: node triggers.mjs <baseUrl> <appId> <scenario>...  (prints "ok <scenario>")
import assert from "node:assert/strict";
import util from "node:util";
import * as Realm from "realm-web";
import { rejects, run } from "./harness.mjs";

const [baseUrl, appId, ...scenarios] = process.argv.slice(2);
// On MongoDB (the driver path) an update's `fullDocument` is looked up when the change stream
// returns the event (`updateLookup`), so it may be a later version of the document, or null
// once deleted; the embedded store gives the post-image of the update itself.
const onMongoDb = process.env.WRIT_TEST_DATA === "mongodb";
const app = new Realm.App({ id: appId, baseUrl });

// Polls the trigger log until `count` entries of `trigger` are there (10 s at most).
async function log(user, trigger, count) {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const entries = await user.functions.readLog(trigger);
    if (entries.length >= count || Date.now() > deadline) return entries;
    await new Promise((r) => setTimeout(r, 100));
  }
}

const SCENARIOS = {
  // insert, update, replace, delete: one event each, in commit order, in MongoDB's shape.
  async eventsInCommitOrder() {
    const user = await app.logIn(Realm.Credentials.anonymous(false));
    const items = user.mongoClient("mongodb-atlas").db("shop").collection("items");
    const { insertedId } = await items.insertOne({ owner: user.id, qty: 1, note: "x", tags: ["a", "b"] });
    await items.updateOne({ _id: insertedId }, { $set: { qty: 20, "meta.color": "red" }, $unset: { note: "" }, $pop: { tags: 1 } });
    await items.findOneAndReplace({ _id: insertedId }, { owner: user.id, qty: 3 });
    await items.deleteOne({ _id: insertedId });
    await items.insertOne({ owner: user.id, qty: 12 });
    await user.mongoClient("mongodb-atlas").db("shop").collection("unwatched").insertOne({ owner: user.id }).catch(() => {});

    const entries = await log(user, "itemChanges", 5);
    const mine = entries.map((e) => e.event).filter((e) => e.documentKey._id.equals(insertedId));
    assert.deepEqual(mine.map((e) => e.operationType), ["insert", "update", "replace", "delete"]);
    const [insert, update, replace, del] = mine;
    for (const e of mine) {
      assert.deepEqual(e.ns, { db: "shop", coll: "items" });
      assert.equal(typeof e._id._data, "string");
      assert.ok(e.clusterTime instanceof Realm.BSON.Timestamp, "clusterTime is a BSON Timestamp");
      assert.ok(e.wallTime instanceof Date);
      assert.equal(e.fullDocumentBeforeChange, undefined, "not configured");
    }
    assert.deepEqual(insert.fullDocument, { _id: insertedId, owner: user.id, qty: 1, note: "x", tags: ["a", "b"] });
    assert.deepEqual(update.updateDescription, {
      updatedFields: { qty: 20, meta: { color: "red" } },
      removedFields: ["note"],
      truncatedArrays: [{ field: "tags", newSize: 1 }],
    });
    const postImage = { _id: insertedId, owner: user.id, qty: 20, tags: ["a"], meta: { color: "red" } };
    if (onMongoDb) {
      const later = [postImage, { _id: insertedId, owner: user.id, qty: 3 }, null];
      assert.ok(later.some((d) => util.isDeepStrictEqual(update.fullDocument, d)), `looked up: ${JSON.stringify(update.fullDocument)}`);
    } else {
      assert.deepEqual(update.fullDocument, postImage);
    }
    assert.deepEqual(replace.fullDocument, { _id: insertedId, owner: user.id, qty: 3 });
    assert.equal(replace.updateDescription, undefined);
    assert.equal(del.fullDocument, undefined);
    const seqs = mine.map((e) => e._id._data);
    assert.deepEqual([...seqs].sort(), seqs, "resume tokens grow in commit order");
  },

  // match + project: only inserts with qty >= 10, projected.
  async matchAndProject() {
    const user = await app.logIn(Realm.Credentials.anonymous(false));
    const items = user.mongoClient("mongodb-atlas").db("shop").collection("items");
    await items.insertOne({ owner: user.id, qty: 5, tag: "small" });
    await items.insertOne({ owner: user.id, qty: 50, tag: "big" });
    // The first scenario's insert of 12 is in this log too.
    const entries = await log(user, "onlyBig", 2);
    const big = entries.map((e) => e.event).filter((e) => e.fullDocument.qty === 50);
    assert.equal(big.length, 1);
    assert.deepEqual(Object.keys(big[0]).sort(), ["_id", "fullDocument", "operationType"]);
    assert.deepEqual(big[0].fullDocument, { qty: 50 });
    assert.ok(entries.every((e) => e.event.fullDocument.qty >= 10), "the match filters");
  },

  // A function that fails on an event does not lose the later ones.
  async failuresLoseNothing() {
    const user = await app.logIn(Realm.Credentials.anonymous(false));
    const items = user.mongoClient("mongodb-atlas").db("shop").collection("items");
    await items.insertOne({ owner: user.id, qty: 7001 });
    await items.insertOne({ owner: user.id, qty: 7002 });
    await items.insertOne({ owner: user.id, qty: 7004 });
    const deadline = Date.now() + 10_000;
    let qtys = [];
    while (Date.now() < deadline) {
      qtys = (await user.functions.readLog("evenOnly")).map((e) => e.qty);
      if (qtys.includes(7004)) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.ok(qtys.includes(7002) && qtys.includes(7004), `got ${qtys}`);
    assert.ok(!qtys.includes(7001));
  },

  // collection.watch(): another user's insert arrives when the read rules allow it (public),
  // not otherwise; ids and filter narrow the stream; writ's own database is refused.
  async watchWithinRules() {
    const alice = await app.logIn(Realm.Credentials.anonymous(false));
    const bob = await app.logIn(Realm.Credentials.anonymous(false));
    const aliceItems = alice.mongoClient("mongodb-atlas").db("shop").collection("items");
    const bobItems = bob.mongoClient("mongodb-atlas").db("shop").collection("items");
    const all = aliceItems.watch();
    const onlyBig = aliceItems.watch({ filter: { "fullDocument.qty": { $gte: 100 } } });
    const firstAll = all.next();
    const firstBig = onlyBig.next();
    await new Promise((r) => setTimeout(r, 500));
    await bobItems.insertOne({ owner: bob.id, qty: 1, note: "private" });
    await bobItems.insertOne({ owner: bob.id, qty: 2, public: true });
    await bobItems.insertOne({ owner: bob.id, qty: 500, public: true });
    const { value: seen } = await firstAll;
    assert.equal(seen.operationType, "insert");
    assert.deepEqual([seen.fullDocument.owner, seen.fullDocument.qty], [bob.id, 2], "the private insert is not shown");
    assert.ok(seen.documentKey._id instanceof Realm.BSON.ObjectId);
    const { value: big } = await firstBig;
    assert.equal(big.fullDocument.qty, 500);
    const { value: next } = await all.next();
    assert.equal(next.fullDocument.qty, 500);
    await all.return();
    await onlyBig.return();

    const own = alice.mongoClient("mongodb-atlas").db(`__writ_${appId}`).collection("users").watch();
    const refused = await rejects(own.next());
    assert.equal(refused.statusCode, 403);

    // Logging out ends the stream with an error.
    const stream = aliceItems.watch();
    const pending = stream.next();
    await new Promise((r) => setTimeout(r, 300));
    await alice.logOut();
    const ended = await rejects(pending);
    assert.equal(ended.code, "InvalidSession");
  },
};

await run(SCENARIOS, scenarios);

// The seed flows and the client-visible contracts of writ serve, run by the unmodified
// realm-web 2.0.1 client. Usage: node flows.mjs <baseUrl> <appId> <scenario>...
// Prints "ok <scenario>" per passing scenario; any failure exits non-zero with the reason.
import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
import * as Realm from "realm-web";
import { rejects, run } from "./harness.mjs";

const [baseUrl, appId, ...scenarios] = process.argv.slice(2);
const { BSON } = Realm;

// Counts session refreshes, so a test can see the client refreshed on its own.
let refreshes = 0;
const countingFetch = (url, init) => {
  if (String(url).endsWith("/auth/session") && init?.method === "POST") refreshes += 1;
  return fetch(url, init);
};

const newApp = () => new Realm.App({ id: appId, baseUrl, fetch: countingFetch });
const unique = () => `${Date.now()}-${Math.random().toString(16).slice(2)}`;

async function register(app) {
  const email = `user-${unique()}@example.com`;
  const password = "s3cret-password";
  await app.emailPasswordAuth.registerUser({ email, password });
  const user = await app.logIn(Realm.Credentials.emailPassword(email, password));
  return { user, email, password };
}

const customData = (user) =>
  user.mongoClient("mongodb-atlas").db("custom-user-data-database").collection("custom-user-data");

const profile = (token) =>
  fetch(`${baseUrl}/api/client/v2.0/auth/profile`, { headers: { Authorization: `Bearer ${token}` } });
const refreshWith = (token) =>
  fetch(`${baseUrl}/api/client/v2.0/auth/session`, {
    method: "POST",
    headers: { Authorization: `Bearer ${token}` },
  });

// A refresh token whose session has ended gets a new access token no more.
async function assertRefused(refreshToken) {
  const response = await refreshWith(refreshToken);
  assert.equal(response.status, 401);
  const body = await response.json();
  assert.equal(body.error_code, "InvalidSession");
  assert.match(body.error, /failed to find refresh token/);
}

const SCENARIOS = {
  // The seed web flow: read customData, update the document, refresh, see the change.
  async seedWeb() {
    const app = newApp();
    const { user } = await register(app);
    assert.deepEqual(user.customData, {});
    const inserted = await customData(user).insertOne({ userId: user.id, favoriteColor: "pink" });
    assert.ok(inserted.insertedId instanceof BSON.ObjectId);
    await user.refreshCustomData();
    assert.equal(user.customData.favoriteColor, "pink");
    const result = await customData(user).updateOne(
      { userId: user.id },
      { $set: { favoriteColor: "purple" } },
    );
    assert.deepEqual(result, { matchedCount: 1, modifiedCount: 1 });
    assert.equal(user.customData.favoriteColor, "pink", "customData changes only on refresh");
    await user.refreshCustomData();
    assert.equal(user.customData.favoriteColor, "purple");
    assert.equal(user.customData.userId, user.id);
    const found = await customData(user).findOne({ userId: user.id });
    assert.equal(found.favoriteColor, "purple");
  },

  // The seed Flutter flow: a function writes the custom data, refresh shows it.
  async seedFlutter() {
    const app = newApp();
    const user = await app.logIn(Realm.Credentials.anonymous(false));
    const updatedTimestamp = Date.now();
    const response = await user.functions.writeCustomUserData({
      userId: user.id,
      favoriteFood: "pizza",
      lastUpdated: updatedTimestamp,
    });
    assert.equal(response.matchedCount, 0);
    assert.ok(response.upsertedId instanceof BSON.ObjectId);
    const refreshed = await user.refreshCustomData();
    assert.equal(refreshed.favoriteFood, "pizza");
    assert.equal(user.customData.favoriteFood, "pizza");
    // App Services embeds custom data as canonical EJSON: the Long keeps its type.
    assert.deepEqual(user.customData.lastUpdated, { $numberLong: String(updatedTimestamp) });
  },

  // An expired access token: the client refreshes on the 401 and the call succeeds.
  async expiredToken() {
    const app = newApp();
    const user = await app.logIn(Realm.Credentials.anonymous(false));
    assert.equal(await user.functions.hello("before"), "Hello, before!");
    const before = refreshes;
    // The test server issues 2 s tokens; exp has whole seconds, so 3 s is past it for sure.
    await new Promise((r) => setTimeout(r, 3100));
    assert.equal(await user.functions.hello("after"), "Hello, after!");
    assert.equal(refreshes, before + 1, "exactly one refresh");
  },

  // A private function is not callable by a client.
  async privateRefused() {
    const user = await newApp().logIn(Realm.Credentials.anonymous(false));
    const e = await rejects(user.callFunction("utils/greeting", "x"));
    assert.equal(e.statusCode, 403);
    assert.equal(e.errorCode, "NotCallable");
    assert.match(e.error, /private/);
    // ...but public functions that call it work.
    assert.equal(await user.functions.hello("x"), "Hello, x!");
  },

  // Another user's custom data document is neither writable nor readable.
  async otherUsersDocument() {
    const app = newApp();
    const { user: alice } = await register(app);
    await customData(alice).insertOne({ userId: alice.id, favoriteColor: "green" });
    const { user: mallory } = await register(app);
    const update = await customData(mallory).updateOne(
      { userId: alice.id },
      { $set: { favoriteColor: "hacked" } },
    );
    assert.deepEqual(update, { matchedCount: 0, modifiedCount: 0 });
    const upsert = await rejects(
      customData(mallory).updateOne({ userId: alice.id }, { $set: { favoriteColor: "x" } }, { upsert: true }),
    );
    assert.equal(upsert.statusCode, 403);
    const steal = await rejects(
      customData(mallory).updateOne({ userId: mallory.id }, { $set: { userId: alice.id } }),
    );
    assert.equal(steal.statusCode, 403);
    const insert = await rejects(customData(mallory).insertOne({ userId: alice.id, favoriteColor: "x" }));
    assert.equal(insert.statusCode, 403);
    assert.equal(await customData(mallory).findOne({ userId: alice.id }), null);
    assert.deepEqual(await customData(mallory).find({}), []);
    const unruled = await rejects(mallory.mongoClient("mongodb-atlas").db("other").collection("c").find({}));
    assert.equal(unruled.errorCode, "NoMatchingRuleFound");
    app.switchUser(alice);
    const mine = await customData(alice).findOne({ userId: alice.id });
    assert.equal(mine.favoriteColor, "green");
  },

  // Unknown functions get App Services' error.
  async unknownFunction() {
    const user = await newApp().logIn(Realm.Credentials.anonymous(false));
    const e = await rejects(user.functions.doesNotExist());
    assert.equal(e.statusCode, 404);
    assert.equal(e.errorCode, "FunctionNotFound");
    assert.equal(e.error, "function not found: 'doesNotExist'");
  },

  // ObjectId, Date, Long and Decimal128 keep their types through callFunction, both ways.
  async ejsonRoundTrip() {
    const user = await newApp().logIn(Realm.Credentials.anonymous(false));
    const oid = new BSON.ObjectId();
    const arg = {
      oid,
      date: new Date(1700000000123),
      long: BSON.Long.fromString("9007199254740993"),
      dec: BSON.Decimal128.fromString("1234.5678"),
    };
    const result = await user.functions.echo(arg);
    assert.deepEqual(result.types, { oid: "ObjectId", date: "Date", long: "Long", dec: "Decimal128" });
    assert.equal(result.longString, "9007199254740993");
    assert.ok(result.value.oid instanceof BSON.ObjectId);
    assert.equal(result.value.oid.toHexString(), oid.toHexString());
    assert.ok(result.value.date instanceof Date);
    assert.equal(result.value.date.getTime(), 1700000000123);
    assert.ok(result.value.dec instanceof BSON.Decimal128);
    assert.equal(result.value.dec.toString(), "1234.5678");
    // realm-web reads $numberLong in relaxed mode: a number (exact up to 2^53).
    assert.equal(typeof result.value.long, "number");
  },

  // Logging out ends the session: its access token stops working at once.
  async logoutEndsSession() {
    const app = newApp();
    const { user } = await register(app);
    const token = user.accessToken;
    const refreshToken = user.refreshToken;
    // The refresh token is a JWT, as the native SDKs' core parses it: integer exp and iat.
    const parts = refreshToken.split(".");
    assert.equal(parts.length, 3);
    const claims = JSON.parse(Buffer.from(parts[1], "base64url").toString());
    assert.ok(Number.isInteger(claims.exp) && Number.isInteger(claims.iat), JSON.stringify(claims));
    assert.equal(claims.sub, user.id);
    // It is not an access token, and an access token is not a refresh token.
    assert.equal((await profile(refreshToken)).status, 401);
    assert.equal((await refreshWith(token)).status, 401);
    assert.equal((await refreshWith(refreshToken)).status, 201);
    await user.logOut();
    const response = await profile(token);
    assert.equal(response.status, 401);
    assert.equal((await response.json()).error_code, "InvalidSession");
    // Its signature is still valid, but its session has ended.
    await assertRefused(refreshToken);
  },

  // Forged tokens and requests for another app are refused with App Services' errors.
  async forgedAndOtherApp() {
    const user = await newApp().logIn(Realm.Credentials.anonymous(false));
    const [header, payload, signature] = user.accessToken.split(".");
    const claims = JSON.parse(Buffer.from(payload, "base64url").toString());
    claims.sub = "000000000000000000000000";
    const forged = [header, Buffer.from(JSON.stringify(claims)).toString("base64url"), signature].join(".");
    const call = (token, app = appId) =>
      fetch(`${baseUrl}/api/client/v2.0/app/${app}/functions/call`, {
        method: "POST",
        headers: { Authorization: `Bearer ${token}`, "Content-Type": "application/json" },
        body: JSON.stringify({ name: "hello", arguments: ["x"] }),
      });
    const refused = await call(forged);
    assert.equal(refused.status, 401);
    assert.equal((await refused.json()).error_code, "InvalidSession");
    assert.equal(refused.headers.get("access-control-allow-origin"), "*");
    const otherApp = await call(user.accessToken, "another-app");
    assert.equal(otherApp.status, 404);
    assert.equal((await otherApp.json()).error_code, "AppNotFound");
    const tooLarge = await fetch(`${baseUrl}/api/client/v2.0/app/${appId}/functions/call`, {
      method: "POST",
      headers: { Authorization: `Bearer ${user.accessToken}`, "Content-Type": "application/json" },
      body: JSON.stringify({ name: "hello", arguments: ["x".repeat(19 * 1024 * 1024)] }),
    });
    assert.equal(tooLarge.status, 413);
    assert.equal((await tooLarge.json()).error_code, "RequestTooLarge");
  },

  // custom-token: a JWT signed with the key writ is configured with logs in; the same subject
  // is the same user; a token signed with another key is refused.
  async customToken() {
    const sign = (claims, key) => {
      const b64 = (o) => Buffer.from(JSON.stringify(o)).toString("base64url");
      const body = `${b64({ alg: "HS256", typ: "JWT" })}.${b64(claims)}`;
      return `${body}.${createHmac("sha256", key).update(body).digest("base64url")}`;
    };
    const claims = { sub: `ext-${unique()}`, exp: Math.floor(Date.now() / 1000) + 60, name: "Ext User" };
    const app = newApp();
    const first = await app.logIn(Realm.Credentials.jwt(sign(claims, "test-custom-token-key")));
    assert.equal(first.profile.name, "Ext User");
    const again = await app.logIn(Realm.Credentials.jwt(sign(claims, "test-custom-token-key")));
    assert.equal(again.id, first.id);
    const e = await rejects(app.logIn(Realm.Credentials.jwt(sign(claims, "some-other-key"))));
    assert.equal(e.statusCode, 401);
  },

  // User API keys: create, log in with the key as the same user, disable.
  async apiKeys() {
    const app = newApp();
    const { user } = await register(app);
    const key = await user.apiKeys.create(`key-${unique()}`);
    assert.equal(typeof key.key, "string");
    const listed = await user.apiKeys.fetchAll();
    assert.equal(listed.length, 1);
    assert.equal(listed[0].key, undefined);
    const viaKey = await app.logIn(Realm.Credentials.apiKey(key.key));
    assert.equal(viaKey.id, user.id);
    await user.apiKeys.disable(key._id);
    const e = await rejects(app.logIn(Realm.Credentials.apiKey(key.key)));
    assert.equal(e.statusCode, 401);
  },

  // A wrong password and a taken email get App Services' errors.
  async emailPasswordErrors() {
    const app = newApp();
    const { email } = await register(app);
    const taken = await rejects(app.emailPasswordAuth.registerUser({ email, password: "another-password" }));
    assert.equal(taken.statusCode, 409);
    assert.equal(taken.errorCode, "AccountNameInUse");
    const wrong = await rejects(app.logIn(Realm.Credentials.emailPassword(email, "wrong-password")));
    assert.equal(wrong.statusCode, 401);
    assert.equal(wrong.errorCode, "InvalidPassword");
  },

  // Deleting a user removes it: its tokens stop working.
  async deleteUser() {
    const app = newApp();
    const { user, email, password } = await register(app);
    const refreshToken = user.refreshToken;
    await app.deleteUser(user);
    const e = await rejects(app.logIn(Realm.Credentials.emailPassword(email, password)));
    assert.equal(e.statusCode, 401);
    await assertRefused(refreshToken);
  },

  // User A's input pollutes nothing: user B's calls (on any worker) see clean built-ins.
  async prototypePollution() {
    const app = newApp();
    const mallory = await app.logIn(Realm.Credentials.anonymous(false));
    const attack = JSON.parse('{"constructor": {"prototype": {"isAdmin": true}}, "theme": "dark"}');
    for (let i = 0; i < 8; i += 1) {
      const own = await mallory.functions.mergeSettings(attack);
      assert.deepEqual(own, { theme: "dark", isAdmin: false, customDataIsAdmin: false });
    }
    const alice = await newApp().logIn(Realm.Credentials.anonymous(false));
    for (let i = 0; i < 8; i += 1) {
      const seen = await alice.functions.mergeSettings({});
      assert.deepEqual(seen, { theme: "light", isAdmin: false, customDataIsAdmin: false });
    }
  },

  // Used by the hot reload test: prints what `version` returns.
  async version() {
    const user = await newApp().logIn(Realm.Credentials.anonymous(false));
    console.log(`version ${await user.functions.version()}`);
  },
};

await run(SCENARIOS, scenarios);

// realm-web 2.0.1 against `writ serve --app examples/exported-app`: the user creation function,
// the LOGIN trigger, values from a secret and the environment, a disabled provider.
// Usage: node exported.mjs <baseUrl> <appId> <scenario>...  (prints "ok <scenario>")
import assert from "node:assert/strict";
import * as Realm from "realm-web";
import { rejects, run } from "./harness.mjs";

const [baseUrl, appId, ...scenarios] = process.argv.slice(2);
const newApp = () => new Realm.App({ id: appId, baseUrl });
// customData is the token's claim as JSON.parse left it: canonical EJSON, as Atlas embedded it
// (`{"$numberInt": "1"}`); realm-web users deserialize it to get numbers and dates.
const data = (user) => Realm.BSON.EJSON.deserialize(user.customData);
const unique = () => `${Date.now()}-${Math.random().toString(16).slice(2)}`;
// A GraphQL request as the docs showed realm-web apps making it: fetch with the user's token.
const graphqlAs = async (user, query, variables) => {
  const res = await fetch(`${baseUrl}/api/client/v2.0/app/${appId}/graphql`, {
    method: "POST",
    headers: { "Content-Type": "application/json", Authorization: `Bearer ${user.accessToken}` },
    body: JSON.stringify({ query, variables }),
  });
  assert.equal(res.status, 200);
  return res.json();
};

const SCENARIOS = {
  // Sign-up runs onUserCreation; the first token already carries its document, and the LOGIN
  // trigger's count; a function updates the document; the client sees it after a refresh.
  async creationHookAndLoginTrigger() {
    const app = newApp();
    const email = `user-${unique()}@example.com`;
    await app.emailPasswordAuth.registerUser({ email, password: "s3cret-password" });
    const credentials = Realm.Credentials.emailPassword(email, "s3cret-password");
    const user = await app.logIn(credentials);
    assert.equal(data(user).createdBy, "onUserCreation");
    assert.equal(data(user).email, email);
    assert.equal(data(user).plan, "trial", "signupPlan comes from the development environment");
    assert.equal(data(user).user_id, user.id);
    assert.equal(data(user).loginCount, 1, "the LOGIN trigger ran before the token was made");
    assert.equal(data(user).lastProvider, "local-userpass");
    assert.equal(data(user).welcomed, "CREATE", "the CREATE trigger ran");
    assert.ok(data(user).lastLogin instanceof Date);

    await user.functions.setFavoriteColor("teal");
    assert.equal(data(user).favoriteColor, undefined);
    await user.refreshCustomData();
    assert.equal(data(user).favoriteColor, "teal");
    assert.equal(data(user).loginCount, 1, "a refresh is not a login");

    await user.logOut();
    const again = await app.logIn(credentials);
    assert.equal(data(again).loginCount, 2);
    assert.equal(data(again).favoriteColor, "teal");
  },

  // A user creation function that throws refuses the sign-up; no account is left behind.
  async creationRefused() {
    const app = newApp();
    const email = `user-${unique()}@blocked.example`;
    const e = await rejects(app.emailPasswordAuth.registerUser({ email, password: "s3cret-password" }));
    assert.equal(e.statusCode, 400);
    assert.equal(e.errorCode, "FunctionExecutionError");
    assert.match(e.message, /sign-ups from blocked\.example are not allowed/);
    const login = await rejects(app.logIn(Realm.Credentials.emailPassword(email, "s3cret-password")));
    assert.equal(login.statusCode, 401, "no user exists");
  },

  // Anonymous users get the creation hook and the trigger too (the trigger lists anon-user).
  async anonymousUser() {
    const user = await newApp().logIn(Realm.Credentials.anonymous(false));
    assert.equal(data(user).createdBy, "onUserCreation");
    assert.equal(data(user).loginCount, 1);
    assert.equal(data(user).lastProvider, "anon-user");
    assert.equal(data(user).welcomed, undefined, "the CREATE trigger lists local-userpass only");
  },

  // context.values (plain, from the environment, from a secret) and context.environment.
  async valuesAndEnvironment() {
    const user = await newApp().logIn(Realm.Credentials.anonymous(false));
    assert.deepEqual(await user.functions.appInfo(), {
      appName: "writ exported-app example",
      plan: "trial",
      environment: "development",
      greeting: "Hello from development",
      apiKeyLength: "secret-for-tests".length,
    });
  },

  // The users collection's schema.json binds every write a user makes, from a function running
  // as the user or from the client: a document it would leave that fails the schema is refused
  // whole (SchemaValidationFailedWrite), and the document stays as it was.
  async schemaEnforced() {
    const user = await newApp().logIn(Realm.Credentials.anonymous(false));
    const users = user.mongoClient("mongodb-atlas").db("exported-app").collection("users");
    const mine = { user_id: user.id };

    const viaFunction = await rejects(user.functions.setFavoriteColor(42));
    assert.equal(viaFunction.errorCode, "FunctionExecutionError");
    assert.match(viaFunction.message, /schema of 'exported-app\.users'.*favoriteColor: expected type string, found int/);

    for (const update of [
      { $set: { loginCount: "many" } },
      { $set: { loginCount: 2.5 } },
      { $unset: { user_id: "" } },
      { $set: { user_id: 7 } },
    ]) {
      const e = await rejects(users.updateOne(mine, update));
      assert.ok(["SchemaValidationFailedWrite", "PermissionDenied"].includes(e.errorCode), `${JSON.stringify(update)}: ${e.errorCode} ${e.message}`);
    }
    const e = await rejects(users.updateOne(mine, { $set: { loginCount: "many" } }));
    assert.equal(e.errorCode, "SchemaValidationFailedWrite");
    assert.match(e.message, /loginCount: expected type int, found string/);

    const ok = await users.updateOne(mine, { $set: { favoriteColor: "red" } });
    assert.equal(ok.modifiedCount, 1);
    await user.refreshCustomData();
    assert.equal(data(user).favoriteColor, "red");
    assert.equal(data(user).loginCount, 1, "no refused write changed the document");
    assert.equal(data(user).user_id, user.id);
  },

  // The notes collection's role calls a function (`%function`): email/password users read and
  // write their own notes, anonymous users get no role, so neither reads nor writes.
  async ruleFunctions() {
    const app = newApp();
    const email = `notes-${unique()}@example.com`;
    await app.emailPasswordAuth.registerUser({ email, password: "s3cret-password" });
    const writer = await app.logIn(Realm.Credentials.emailPassword(email, "s3cret-password"));
    const notes = (user) => user.mongoClient("mongodb-atlas").db("exported-app").collection("notes");
    const { insertedId } = await notes(writer).insertOne({ owner_id: writer.id, text: "first" });
    assert.ok(insertedId);
    assert.deepEqual((await notes(writer).find({})).map((n) => n.text), ["first"]);

    const anonymous = await newApp().logIn(Realm.Credentials.anonymous(false));
    const refused = await rejects(notes(anonymous).insertOne({ owner_id: anonymous.id, text: "x" }));
    assert.equal(refused.statusCode, 403, refused.message);
    assert.deepEqual(await notes(anonymous).find({}), []);
    const taken = await notes(anonymous).updateMany({}, { $set: { text: "taken" } }).catch((e) => e);
    assert.ok(taken instanceof Error || taken.modifiedCount === 0, JSON.stringify(taken));
    assert.deepEqual((await notes(writer).find({})).map((n) => n.text), ["first"]);
  },

  // The generated GraphQL API, called as the docs showed realm-web apps calling it (Apollo or
  // fetch with the user's access token): the users collection's type, under its rules.
  async graphql() {
    const user = await newApp().logIn(Realm.Credentials.anonymous(false));
    const gql = (query, variables) => graphqlAs(user, query, variables);
    const mine = await gql("{ users { user_id loginCount } }");
    assert.deepEqual(mine, { data: { users: [{ user_id: user.id, loginCount: 1 }] } });
    const set = await gql(
      "mutation($id: String!) { updateOneuser(query: {user_id: $id}, set: {favoriteColor: \"green\"}) { favoriteColor } }",
      { id: user.id },
    );
    assert.deepEqual(set, { data: { updateOneuser: { favoriteColor: "green" } } });
    await user.refreshCustomData();
    assert.equal(data(user).favoriteColor, "green");
    // Another user's document is out of reach: the rules narrow the update to none.
    const other = await gql("mutation { updateOneuser(query: {user_id: \"someone-else\"}, set: {favoriteColor: \"red\"}) { user_id } }");
    assert.deepEqual(other, { data: { updateOneuser: null } });
  },

  // A relationship (users/relationships.json: `pinnedNote` to a note): through GraphQL a user
  // creates the related note and reads it back through their own document; the note is stored
  // in the notes collection under their id. An anonymous user, whom the notes' rules give no
  // role, can neither create one nor see one by linking its id.
  async graphqlRelationship() {
    const app = newApp();
    const email = `pin-${unique()}@example.com`;
    await app.emailPasswordAuth.registerUser({ email, password: "s3cret-password" });
    const writer = await app.logIn(Realm.Credentials.emailPassword(email, "s3cret-password"));
    const gql = graphqlAs;
    const pin = "mutation($id: String!, $note: noteInsertInput) { updateOneuser(query: {user_id: $id}, set: {pinnedNote: {create: $note}}) { pinnedNote { _id text } } }";
    const pinned = await gql(writer, pin, { id: writer.id, note: { owner_id: writer.id, text: "pinned" } });
    assert.equal(pinned.errors, undefined, JSON.stringify(pinned));
    const note = pinned.data.updateOneuser.pinnedNote;
    assert.equal(note.text, "pinned");
    const notes = writer.mongoClient("mongodb-atlas").db("exported-app").collection("notes");
    const stored = await notes.findOne({ text: "pinned" });
    assert.equal(stored._id.toHexString(), note._id);
    assert.equal(stored.owner_id, writer.id);
    const byNote = await gql(writer, "{ users(query: {pinnedNote: {text: \"pinned\"}}) { user_id } }");
    assert.deepEqual(byNote, { data: { users: [{ user_id: writer.id }] } });

    const anonymous = await newApp().logIn(Realm.Credentials.anonymous(false));
    const refused = await gql(anonymous, pin, { id: anonymous.id, note: { owner_id: anonymous.id, text: "x" } });
    assert.match(refused.errors[0].message, /not permitted/, JSON.stringify(refused));
    const linked = await gql(
      anonymous,
      "mutation($id: String!, $note: ObjectId) { updateOneuser(query: {user_id: $id}, set: {pinnedNote: {link: $note}}) { pinnedNote { text } } }",
      { id: anonymous.id, note: note._id },
    );
    assert.deepEqual(linked, { data: { updateOneuser: { pinnedNote: null } } });
  },

  // providers.json disables API-key logins.
  async disabledProvider() {
    const e = await rejects(newApp().logIn(Realm.Credentials.apiKey("any-key")));
    assert.equal(e.errorCode, "AuthProviderNotFound");
    assert.match(e.message, /authentication via 'api-key' is unsupported/);
  },
};

await run(SCENARIOS, scenarios);

// realm-web 2.0.1 against `writ serve --app tests/endpoints_app`: the auth providers that run
// the app's functions (custom-function logins, confirmation and reset functions).
// Usage: node auth_functions.mjs <baseUrl> <appId> <scenario>...  (prints "ok <scenario>")
import assert from "node:assert/strict";
import * as Realm from "realm-web";
import { rejects, run } from "./harness.mjs";

const [baseUrl, appId, ...scenarios] = process.argv.slice(2);
const newApp = () => new Realm.App({ id: appId, baseUrl });
const unique = () => `${Date.now()}-${Math.random().toString(16).slice(2)}`;

const SCENARIOS = {
  // Credentials.function: the provider's function maps the payload to an external id; the same
  // id is the same user; a throw refuses the login.
  async customFunction() {
    const app = newApp();
    const username = `player-${unique()}`;
    const user = await app.logIn(Realm.Credentials.function({ username, pin: 1234 }));
    const me = await user.functions.whoAmI();
    assert.equal(me.id, user.id);
    assert.equal(me.name, `Player ${username}`);
    assert.deepEqual(me.identities, ["custom-function"]);
    await user.logOut();
    const again = await app.logIn(Realm.Credentials.function({ username, pin: 1234 }));
    assert.equal(again.id, user.id, "the same external id is the same user");
    const other = await app.logIn(Realm.Credentials.function({ username: `${username}-2`, pin: 1234 }));
    assert.notEqual(other.id, user.id);
    const e = await rejects(app.logIn(Realm.Credentials.function({ username, pin: 1 })));
    assert.equal(e.statusCode, 401);
    assert.match(e.message, /wrong pin/);
  },

  // A confirmation function answering success confirms at sign-up.
  async confirmationSuccess() {
    const app = newApp();
    const email = `user-${unique()}@example.com`;
    await app.emailPasswordAuth.registerUser({ email, password: "s3cret-password" });
    const user = await app.logIn(Realm.Credentials.emailPassword(email, "s3cret-password"));
    assert.ok(user.id);
  },

  // "pending": no login until the app confirms with the token the function received;
  // retryCustomConfirmation runs the function again (a fresh token).
  async confirmationPending() {
    const app = newApp();
    const email = `user-${unique()}@pending.example`;
    const credentials = Realm.Credentials.emailPassword(email, "s3cret-password");
    await app.emailPasswordAuth.registerUser({ email, password: "s3cret-password" });
    const before = await rejects(app.logIn(credentials));
    assert.equal(before.statusCode, 401);
    await app.emailPasswordAuth.retryCustomConfirmation({ email });
    const helper = await app.logIn(Realm.Credentials.anonymous(false));
    const { token, tokenId } = await helper.functions.pendingToken(email);
    await app.emailPasswordAuth.confirmUser({ token, tokenId });
    const user = await app.logIn(credentials);
    assert.ok(user.id);
    const again = await rejects(app.emailPasswordAuth.retryCustomConfirmation({ email }));
    assert.equal(again.errorCode, "UserAlreadyConfirmed");
  },

  // "fail": the sign-up is refused and the account cannot log in.
  async confirmationFail() {
    const app = newApp();
    const email = `user-${unique()}@fail.example`;
    const e = await rejects(app.emailPasswordAuth.registerUser({ email, password: "s3cret-password" }));
    assert.equal(e.statusCode, 400);
    assert.match(e.message, /did not confirm/);
    const login = await rejects(app.logIn(Realm.Credentials.emailPassword(email, "s3cret-password")));
    assert.equal(login.statusCode, 401);
  },

  // callResetPasswordFunction: "success" changes the password now, "pending" and "fail" do not.
  async resetFunction() {
    const app = newApp();
    const email = `user-${unique()}@example.com`;
    await app.emailPasswordAuth.registerUser({ email, password: "first-password" });
    await app.logIn(Realm.Credentials.emailPassword(email, "first-password"));
    const refused = await rejects(
      app.emailPasswordAuth.callResetPasswordFunction({ email, password: "second-password" }, "wrong answer"),
    );
    assert.equal(refused.statusCode, 400);
    await app.emailPasswordAuth.callResetPasswordFunction({ email, password: "second-password" }, "later");
    await app.logIn(Realm.Credentials.emailPassword(email, "first-password"));
    await app.emailPasswordAuth.callResetPasswordFunction({ email, password: "second-password" }, "open sesame");
    const old = await rejects(app.logIn(Realm.Credentials.emailPassword(email, "first-password")));
    assert.equal(old.statusCode, 401);
    const user = await app.logIn(Realm.Credentials.emailPassword(email, "second-password"));
    assert.ok(user.id);
    const unknown = await rejects(
      app.emailPasswordAuth.callResetPasswordFunction({ email: `nobody-${unique()}@example.com`, password: "x-password" }, "open sesame"),
    );
    assert.equal(unknown.statusCode, 404);
  },

  // linkCredentials: an anonymous user keeps their id once they register; an account that
  // belongs to someone else is refused; a custom-function identity links too.
  async linkIdentities() {
    const app = newApp();
    const anon = await app.logIn(Realm.Credentials.anonymous(false));
    const email = `user-${unique()}@example.com`;
    await app.emailPasswordAuth.registerUser({ email, password: "s3cret-password" });
    await anon.linkCredentials(Realm.Credentials.emailPassword(email, "s3cret-password"));
    assert.deepEqual(anon.identities.map((i) => i.providerType).sort(), ["anon-user", "local-userpass"]);
    const username = `player-${unique()}`;
    await anon.linkCredentials(Realm.Credentials.function({ username, pin: 1234 }));
    assert.equal(anon.identities.length, 3);
    const me = await anon.functions.whoAmI();
    assert.deepEqual(me.identities.sort(), ["anon-user", "custom-function", "local-userpass"]);
    const byEmail = await app.logIn(Realm.Credentials.emailPassword(email, "s3cret-password"));
    assert.equal(byEmail.id, anon.id, "the email now logs in as the linked user");
    const byFunction = await app.logIn(Realm.Credentials.function({ username, pin: 1234 }));
    assert.equal(byFunction.id, anon.id);

    const other = await app.logIn(Realm.Credentials.anonymous(false));
    const taken = await rejects(other.linkCredentials(Realm.Credentials.emailPassword(email, "s3cret-password")));
    assert.equal(taken.statusCode, 409);
    const wrong = await rejects(other.linkCredentials(Realm.Credentials.emailPassword(email, "wrong-password")));
    assert.equal(wrong.statusCode, 401);
    const anonLink = await rejects(other.linkCredentials(Realm.Credentials.anonymous(false)));
    assert.equal(anonLink.statusCode, 400);
  },
};

await run(SCENARIOS, scenarios);

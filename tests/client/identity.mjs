// Logins with tokens other parties sign (custom JWT, Sign in with Apple, Google), run by the
// unmodified realm-web 2.0.1 client. Tokens are signed here with the test-only key in
// tests/fixtures/identity, whose public half the test's key server publishes as `writ-test-1`.
// Usage: node identity.mjs <baseUrl> <appId> <scenario>...
import assert from "node:assert/strict";
import { createHmac, createPrivateKey, generateKeyPairSync, sign } from "node:crypto";
import { readFileSync } from "node:fs";
import * as Realm from "realm-web";
import { rejects, run } from "./harness.mjs";

const [baseUrl, appId, ...scenarios] = process.argv.slice(2);
const newApp = () => new Realm.App({ id: appId, baseUrl });
const unique = () => `${Date.now()}-${Math.random().toString(16).slice(2)}`;
const now = () => Math.floor(Date.now() / 1000);

const fixture = (name) => readFileSync(new URL(`../fixtures/identity/${name}`, import.meta.url));
const testKey = createPrivateKey(fixture("test-signing-key.pem"));
const publicPem = fixture("test-signing-key.pub.pem").toString();
const b64 = (o) => Buffer.from(JSON.stringify(o)).toString("base64url");

// An RS256 token with `claims`, signed by `key` (the test key) and naming `kid`.
function rs256(claims, { key = testKey, kid = "writ-test-1" } = {}) {
  const body = `${b64({ alg: "RS256", typ: "JWT", kid })}.${b64(claims)}`;
  return `${body}.${sign("sha256", Buffer.from(body), key).toString("base64url")}`;
}

const APPLE_ISS = "https://appleid.apple.com";
const GOOGLE_ISS = "https://accounts.google.com";
const appleClaims = (extra = {}) => ({
  iss: APPLE_ISS, aud: "com.example.writ", sub: `apple-${unique()}`, exp: now() + 600, iat: now(),
  email: "ada@privaterelay.appleid.com", ...extra,
});
const googleClaims = (extra = {}) => ({
  iss: GOOGLE_ISS, aud: "writ.apps.googleusercontent.com", sub: `google-${unique()}`, exp: now() + 600,
  iat: now(), email: "ada@example.com", given_name: "Ada", family_name: "Lovelace", name: "Ada Lovelace", ...extra,
});
const customClaims = (extra = {}) => ({
  sub: `ext-${unique()}`, aud: "writ-tests", exp: now() + 600, iat: now(),
  user_data: { name: "Ada" }, email: "ada@example.com", ...extra,
});

// Logging in with `credentials` fails with HTTP `status` (and `code` if given).
async function refused(credentials, status = 401, code) {
  const e = await rejects(newApp().logIn(credentials));
  assert.equal(e.statusCode, status, e.message);
  if (code) assert.equal(e.errorCode, code);
  return e;
}

// The browser of the redirect flow, in Node: realm-web opens `url` in a "window"; this follows
// the redirects with the cookies a browser keeps, and when the app's redirect page is reached
// does what its `Realm.handleAuthRedirect()` does: hands the fragment's result to the waiting
// login through the shared storage.
const REDIRECT = "http://localhost:3000/auth-callback";
const REDIRECT_HASH_TO_RESULT = {
  _baas_client_app_id: "appId", _baas_ua: "userAuth", _baas_link: "link", _baas_error: "error", _baas_state: "state",
};

async function browse(url, jar = new Map()) {
  for (let hops = 0; hops < 10; hops += 1) {
    if (url.startsWith(REDIRECT)) return new URL(url);
    const cookie = [...jar].map(([k, v]) => `${k}=${v}`).join("; ");
    const response = await fetch(url, { redirect: "manual", headers: cookie ? { cookie } : {} });
    for (const line of response.headers.getSetCookie()) {
      const [pair] = line.split(";");
      const [k, v] = pair.split("=");
      if (v === "") jar.delete(k);
      else jar.set(k, v);
    }
    const location = response.headers.get("location");
    if (!location) return response;
    url = new URL(location, url).toString();
  }
  throw new Error("too many redirects");
}

function redirectResult(landed) {
  const params = new URLSearchParams(landed.hash.slice(1));
  const result = {};
  for (const [p, r] of Object.entries(REDIRECT_HASH_TO_RESULT)) if (params.get(p)) result[r] = params.get(p);
  return result;
}

function browserEnvironment() {
  const environment = Realm.getEnvironment();
  Realm.setEnvironment({
    ...environment,
    openWindow(url) {
      browse(url).then((landed) => {
        const result = redirectResult(landed);
        environment.defaultStorage.prefix("oauth2").prefix(`state(${result.state})`).set("result", JSON.stringify(result));
      }, (e) => console.error("browse failed", e));
      return null;
    },
  });
}

const withTimeout = (promise, ms = 15000) =>
  Promise.race([promise, new Promise((_, reject) => setTimeout(() => reject(new Error("timed out")), ms).unref())]);

// Starts a flow by hand: the consent page's URL (with writ's state) and the browser's cookies.
async function startFlow(provider, redirect = REDIRECT) {
  const query = new URLSearchParams({ state: "abcdefghijkl", redirect });
  const url = `${baseUrl}/api/client/v2.0/app/${appId}/auth/providers/${provider}/login?${query}`;
  const response = await fetch(url, { redirect: "manual" });
  return { response, cookie: (response.headers.getSetCookie()[0] || "").split(";")[0] };
}

const SCENARIOS = {
  // A custom JWT verified with the provider's JWK set: metadata fields become the profile; the
  // same subject is the same user.
  async customJwk() {
    const claims = customClaims();
    const user = await newApp().logIn(Realm.Credentials.jwt(rs256(claims)));
    assert.equal(user.profile.name, "Ada");
    assert.equal(user.profile.email, "ada@example.com");
    assert.equal(user.providerType, "custom-token");
    assert.deepEqual(user.identities.map((i) => i.providerType), ["custom-token"]);
    const again = await newApp().logIn(Realm.Credentials.jwt(rs256({ ...claims, exp: now() + 900 })));
    assert.equal(again.id, user.id);
    // The provider's metadata is refreshed at every login.
    const renamed = { ...claims, user_data: { name: "Ada L." }, email: "ada@example.org" };
    const third = await newApp().logIn(Realm.Credentials.jwt(rs256(renamed)));
    assert.equal(third.id, user.id);
    assert.equal(third.profile.name, "Ada L.");
    assert.equal(third.profile.email, "ada@example.org");
    // A claim the new token no longer carries leaves the profile.
    const { email: _, ...withoutEmail } = renamed;
    const fourth = await newApp().logIn(Realm.Credentials.jwt(rs256(withoutEmail)));
    assert.equal(fourth.id, user.id);
    assert.equal(fourth.profile.name, "Ada L.");
    assert.equal(fourth.profile.email, undefined);
  },

  // Every way to forge or stretch a custom JWT is refused with 401.
  async customJwkRefused() {
    const jwt = (token) => Realm.Credentials.jwt(token);
    const claims = customClaims();
    // The required metadata field is missing.
    const { user_data: _, ...noName } = claims;
    await refused(jwt(rs256(noName)), 401, "InvalidSession");
    // Another audience, expired, not yet valid, no subject.
    await refused(jwt(rs256({ ...claims, aud: "another-app" })));
    await refused(jwt(rs256({ ...claims, exp: now() - 3600 })));
    await refused(jwt(rs256({ ...claims, nbf: now() + 3600 })));
    await refused(jwt(rs256({ ...claims, sub: undefined })));
    // Signed by another key under the published key's id; a key id the set does not have.
    const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
    await refused(jwt(rs256(claims, { key: privateKey })));
    await refused(jwt(rs256(claims, { kid: "not-published" })));
    // Unsigned (alg none), and HS256 with the public key as the HMAC secret (algorithm confusion).
    await refused(jwt(`${b64({ alg: "none", typ: "JWT", kid: "writ-test-1" })}.${b64(claims)}.`));
    const body = `${b64({ alg: "HS256", typ: "JWT", kid: "writ-test-1" })}.${b64(claims)}`;
    await refused(jwt(`${body}.${createHmac("sha256", publicPem).update(body).digest("base64url")}`));
    // A valid token with its payload changed.
    const [h, , s] = rs256(claims).split(".");
    await refused(jwt(`${h}.${b64({ ...claims, sub: "someone-else" })}.${s}`));
    // An Apple ID token is not a custom JWT of this app (wrong audience).
    await refused(jwt(rs256(appleClaims())));
    // A huge token.
    await refused(jwt(rs256({ ...claims, pad: "x".repeat(64 * 1024) })));
  },

  // Sign in with Apple: an ID token for the app's client id from Apple's issuer.
  async apple() {
    const claims = appleClaims();
    const user = await newApp().logIn(Realm.Credentials.apple(rs256(claims)));
    assert.equal(user.providerType, "oauth2-apple");
    assert.equal(user.profile.email, "ada@privaterelay.appleid.com");
    const again = await newApp().logIn(Realm.Credentials.apple(rs256({ ...claims, iat: now() })));
    assert.equal(again.id, user.id);
    // The same subject from another provider is another person.
    const custom = await newApp().logIn(Realm.Credentials.jwt(rs256(customClaims({ sub: claims.sub }))));
    assert.notEqual(custom.id, user.id);
    await refused(Realm.Credentials.apple(rs256({ ...claims, iss: GOOGLE_ISS })));
    await refused(Realm.Credentials.apple(rs256({ ...claims, aud: "com.example.other" })));
    await refused(Realm.Credentials.apple(rs256({ ...claims, exp: now() - 3600 })));
  },

  // Google: an ID token (OpenID Connect); App Services' metadata names (first_name is given_name).
  async google() {
    const claims = googleClaims();
    const user = await newApp().logIn(Realm.Credentials.google({ idToken: rs256(claims) }));
    assert.equal(user.providerType, "oauth2-google");
    assert.equal(user.profile.email, "ada@example.com");
    assert.equal(user.profile.firstName, "Ada");
    assert.equal(user.profile.name, "Ada Lovelace");
    assert.equal(user.profile.lastName, undefined, "last_name is not a configured metadata field");
    const { email: _, ...noEmail } = claims;
    await refused(Realm.Credentials.google({ idToken: rs256(noEmail) }));
    await refused(Realm.Credentials.google({ idToken: rs256({ ...claims, iss: APPLE_ISS }) }));
  },

  // Google with a server auth code (the native SDKs' Credentials.google(code, AUTH_CODE)): writ
  // exchanges it for an ID token with the client secret, then checks that token.
  async googleAuthCode() {
    const user = await newApp().logIn(Realm.Credentials.google({ authCode: "good-code-7" }));
    assert.equal(user.providerType, "oauth2-google");
    assert.equal(user.identities[0].id, "google-code-7");
    assert.equal(user.profile.email, "code@example.com");
    const again = await newApp().logIn(Realm.Credentials.google({ authCode: "good-code-7" }));
    assert.equal(again.id, user.id);
    const e = await refused(Realm.Credentials.google({ authCode: "4/0Adeu5B-forged" }));
    assert.match(e.message, /Google refused the authCode: Malformed auth code/);
  },

  // An anonymous user links an Apple identity and keeps their id; nobody else can claim it.
  async linking() {
    const anon = await newApp().logIn(Realm.Credentials.anonymous(false));
    const token = rs256(appleClaims());
    await anon.linkCredentials(Realm.Credentials.apple(token));
    assert.deepEqual(anon.identities.map((i) => i.providerType).sort(), ["anon-user", "oauth2-apple"]);
    const viaApple = await newApp().logIn(Realm.Credentials.apple(token));
    assert.equal(viaApple.id, anon.id);
    const other = await newApp().logIn(Realm.Credentials.anonymous(false));
    const e = await rejects(other.linkCredentials(Realm.Credentials.apple(token)));
    assert.equal(e.statusCode, 409);
  },

  // Tokens naming key ids the provider never published are refused without asking the provider
  // again each time (the Rust side counts the key set's reads).
  async madeUpKeyIds() {
    const logins = [];
    for (let i = 0; i < 40; i += 1) {
      logins.push(refused(Realm.Credentials.jwt(rs256(customClaims(), { kid: `made-up-${i}` }))));
    }
    await Promise.all(logins);
  },

  // RS256 signing keys from a secret; any one of the audiences is enough (requireAnyAudience).
  async customSigningKeys() {
    const claims = { sub: `ext-${unique()}`, aud: ["writ-b"], exp: now() + 600, email: "b@example.com" };
    const user = await newApp().logIn(Realm.Credentials.jwt(rs256(claims, { kid: undefined })));
    assert.equal(user.profile.email, "b@example.com");
    await refused(Realm.Credentials.jwt(rs256({ ...claims, aud: "writ-c" })));
    await refused(Realm.Credentials.jwt(rs256({ ...claims, aud: undefined })));
    const body = `${b64({ alg: "HS256", typ: "JWT" })}.${b64(claims)}`;
    await refused(Realm.Credentials.jwt(`${body}.${createHmac("sha256", publicPem).update(body).digest("base64url")}`));
  },

  // Facebook Login: the Graph API vouches for the token and gives the profile; a token Facebook
  // issued to another app, or an invalid one, is refused.
  async facebook() {
    const user = await newApp().logIn(Realm.Credentials.facebook("good-1001"));
    assert.equal(user.providerType, "oauth2-facebook");
    assert.equal(user.identities[0].id, "1001");
    assert.equal(user.profile.email, "ada@example.com");
    assert.equal(user.profile.name, "Ada Lovelace");
    assert.equal(user.profile.pictureUrl, "https://example.com/ada.png");
    const again = await newApp().logIn(Realm.Credentials.facebook("good-1001"));
    assert.equal(again.id, user.id);
    await refused(Realm.Credentials.facebook("other-app-1001"));
    await refused(Realm.Credentials.facebook("expired-or-forged"));
    // Not a token at all: refused before Facebook is asked.
    await refused(Realm.Credentials.facebook("a b&c=d"));
  },

  // A flood of invalid tokens from one address is throttled after the failed-login budget, so
  // it cannot make writ hammer Facebook (the Rust side counts the Graph API's requests).
  async facebookFlood() {
    let throttled = 0;
    for (let i = 0; i < 10; i += 1) {
      const e = await rejects(newApp().logIn(Realm.Credentials.facebook(`forged-${i}`)));
      if (e.statusCode === 429) throttled += 1;
      else assert.equal(e.statusCode, 401);
    }
    assert.equal(throttled, 7);
  },

  // realm-web's browser flow, Google: a window, Google's consent, writ's callback, the app's
  // redirect page; the login resolves to a user whose session works.
  async googleRedirect() {
    browserEnvironment();
    const app = newApp();
    const user = await withTimeout(app.logIn(Realm.Credentials.google({ redirectUrl: REDIRECT })));
    assert.equal(user.providerType, "oauth2-google");
    assert.equal(user.identities[0].id, "google-code-web");
    assert.equal(user.profile.email, "code@example.com");
    await user.refreshAccessToken();
  },

  // The same with Facebook.
  async facebookRedirect() {
    browserEnvironment();
    const user = await withTimeout(newApp().logIn(Realm.Credentials.facebook(REDIRECT)));
    assert.equal(user.providerType, "oauth2-facebook");
    assert.equal(user.identities[0].id, "77");
    assert.equal(user.profile.name, "Ada Lovelace");
  },

  // The flow never sends tokens to a redirect URL the provider does not list, never finishes in
  // a browser that did not start it, never twice, and passes a refusal on to the app.
  async redirectAttacks() {
    const json = async (response) => [response.status, (await response.json()).error_code];
    const evil = await startFlow("oauth2-google", "https://evil.example/cb");
    assert.deepEqual(await json(evil.response), [400, "InvalidParameter"]);
    assert.equal(evil.response.headers.get("location"), null);
    const apple = await startFlow("oauth2-apple");
    assert.deepEqual(await json(apple.response), [400, "InvalidParameter"]);
    // A callback link sent to another browser (no cookie): refused, and the flow survives it.
    const { response, cookie } = await startFlow("oauth2-google");
    assert.equal(response.status, 303);
    const consent = new URL(response.headers.get("location"));
    const ours = consent.searchParams.get("state");
    const callback = `${baseUrl}/api/client/v2.0/auth/callback?code=good-code-web&state=${encodeURIComponent(ours)}`;
    assert.deepEqual(await json(await fetch(callback, { redirect: "manual" })), [400, "InvalidParameter"]);
    // The browser that started it finishes it, once.
    const done = await fetch(callback, { redirect: "manual", headers: { cookie } });
    const landed = new URL(done.headers.get("location"));
    assert.equal(`${landed.origin}${landed.pathname}`, REDIRECT);
    const result = redirectResult(landed);
    assert.equal(result.state, "abcdefghijkl");
    assert.equal(result.userAuth.split("$").length, 4);
    const again = await fetch(callback, { redirect: "manual", headers: { cookie } });
    assert.deepEqual(await json(again), [400, "InvalidParameter"]);
    // The user said no at the provider: the app hears it, with its state.
    const refusedFlow = await startFlow("oauth2-google");
    const state2 = new URL(refusedFlow.response.headers.get("location")).searchParams.get("state");
    const denied = await fetch(`${baseUrl}/api/client/v2.0/auth/callback?error=access_denied&state=${encodeURIComponent(state2)}`, {
      redirect: "manual", headers: { cookie: refusedFlow.cookie },
    });
    const deniedResult = redirectResult(new URL(denied.headers.get("location")));
    assert.equal(deniedResult.state, "abcdefghijkl");
    assert.match(deniedResult.error, /access_denied/);
    assert.equal(deniedResult.userAuth, undefined);
  },

  // Browser flows waiting for the provider count against the address's failed-login budget,
  // so one address cannot fill writ's memory with them (run after facebookFlood spent it).
  async redirectStartsThrottled() {
    const { response } = await startFlow("oauth2-facebook");
    assert.equal(response.status, 429);
    assert.equal((await response.json()).error_code, "TooManyRequests");
  },

  // A provider whose secret the operator did not set refuses its logins, saying what to set.
  async unusableProvider() {
    const e = await refused(Realm.Credentials.facebook("good-1"), 400, "AuthProviderNotFound");
    assert.match(e.message, /set WRIT_SECRET_notSet/);
  },

  // A provider whose keys cannot be read fails its own logins with 502, and only those.
  async providerUnreachable() {
    const e = await refused(Realm.Credentials.apple(rs256(appleClaims())), 502, "AuthProviderError");
    assert.match(e.message, /cannot read the identity provider's keys/);
    // Asked again at once, writ does not ask the provider again, and still says why.
    const again = await refused(Realm.Credentials.apple(rs256(appleClaims())), 502, "AuthProviderError");
    assert.match(again.message, /tried less than a minute ago/);
    const claims = { sub: `ext-${unique()}`, aud: "writ-a", exp: now() + 600 };
    await newApp().logIn(Realm.Credentials.jwt(rs256(claims)));
  },
};

await run(SCENARIOS, scenarios);

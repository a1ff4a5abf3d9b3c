// What users would run instead of writ: the same function file, run by Node.js behind node:http.
//
// It answers the App Services function call route for the token writ issued (HS256, verified with
// the same secret and audience), runs functions/NAME.js from the app directory with a `context`
// whose collection is an in-memory Map of the same documents, and answers JSON. Nothing is
// written to disk and there is no session lookup: this is the cheapest honest Node equivalent.
//
// Usage: node node_server.mjs APP_DIR APP_ID SECRET   (prints "listening on http://ADDR")
import { createServer } from "node:http";
import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";

const [appDir, appId, secret] = process.argv.slice(2);
const route = `/api/client/v2.0/app/${appId}/functions/call`;

function load(name) {
  const source = readFileSync(join(appDir, "functions", `${name}.js`), "utf8");
  return new Function("context", `let exports; ${source}\nreturn exports;`);
}

// One collection of the shape writeCustomUserData uses: documents by userId.
class Collection {
  constructor() { this.byUser = new Map(); }
  async updateOne(filter, update, options = {}) {
    let doc = this.byUser.get(filter.userId);
    if (!doc) {
      if (!options.upsert) return { matchedCount: 0, modifiedCount: 0 };
      doc = { _id: randomBytes(12).toString("hex"), userId: filter.userId, ...update.$set };
      this.byUser.set(filter.userId, doc);
      return { matchedCount: 0, modifiedCount: 0, upsertedId: doc._id };
    }
    Object.assign(doc, update.$set);
    return { matchedCount: 1, modifiedCount: 1 };
  }
}
const collections = new Map();
const services = {
  get: () => ({
    db: (db) => ({
      collection: (coll) => {
        const key = `${db}.${coll}`;
        if (!collections.has(key)) collections.set(key, new Collection());
        return collections.get(key);
      },
    }),
  }),
};
const factories = new Map();

function verify(header) {
  const token = (header || "").replace(/^Bearer /, "");
  const [h, p, s] = token.split(".");
  if (!s) return null;
  const want = createHmac("sha256", secret).update(`${h}.${p}`).digest();
  const got = Buffer.from(s, "base64url");
  if (got.length !== want.length || !timingSafeEqual(got, want)) return null;
  const claims = JSON.parse(Buffer.from(p, "base64url").toString());
  if (claims.aud !== appId || claims.exp * 1000 < Date.now()) return null;
  return claims;
}

function reply(res, status, body) {
  const text = JSON.stringify(body);
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(text) });
  res.end(text);
}

createServer((req, res) => {
  const chunks = [];
  req.on("data", (c) => chunks.push(c));
  req.on("end", async () => {
    if (req.method !== "POST" || req.url !== route) return reply(res, 404, { error: "not found" });
    const claims = verify(req.headers.authorization);
    if (!claims) return reply(res, 401, { error: "invalid session", error_code: "InvalidSession" });
    try {
      const { name, arguments: args } = JSON.parse(Buffer.concat(chunks).toString());
      if (!factories.has(name)) factories.set(name, load(name));
      const context = { user: { id: claims.sub, type: "normal", custom_data: claims.user_data || {} }, services };
      const fn = factories.get(name)(context);
      reply(res, 200, (await fn(...args)) ?? null);
    } catch (e) {
      reply(res, 400, { error: String(e), error_code: "FunctionExecutionError" });
    }
  });
}).listen(0, "127.0.0.1", function () {
  console.log(`listening on http://127.0.0.1:${this.address().port}`);
});

//! Outbound HTTP from functions: `context.http` (App Services' client) and `fetch`, served by a
//! real `writ serve` against a local HTTP server started here (axum on a real socket): GET
//! with a query, POST JSON, redirects followed or not, a 500, a timeout; and the policy that
//! keeps private addresses out of reach unless the operator allows them.

mod common;

use std::time::Duration;

use common::upstream::upstream;
use serde_json::{Value, json};

const HTTP_FUNCTIONS: &str = r#"exports = async function (base) {
  const json = (r) => JSON.parse(r.body.text());
  const get = await context.http.get({ url: `${base}/echo?x=1`, headers: { "X-Test": ["a"] }, cookies: { c: "1" } });
  const parts = await context.http.get({ scheme: "http", host: base.slice(7), path: "echo", query: { q: ["v w"] } });
  const post = await context.http.post({ url: `${base}/echo`, body: { a: 1, when: new Date(0) }, encodeBodyAsJSON: true });
  const put = await context.http.put({ url: `${base}/echo`, body: "plain" });
  const form = await context.http.post({ url: `${base}/echo`, form: { k: "v&w" } });
  const manual = await context.http.get({ url: `${base}/redirect` });
  const followed = await context.http.get({ url: `${base}/redirect`, followRedirects: true });
  const failed = await context.http.get({ url: `${base}/fail` });
  return JSON.stringify({
    get: [get.statusCode, get.status, get.headers["Content-Type"], json(get), get.cookies.session, get.body instanceof BSON.Binary],
    parts: json(parts).query,
    post: [json(post).body, json(post).contentType],
    put: json(put).body,
    form: json(form).body,
    manual: [manual.statusCode, manual.headers.Location],
    followed: [followed.statusCode, json(followed).query],
    failed: [failed.statusCode, failed.body.text()],
  });
};"#;

const DIGEST: &str = r#"exports = async function (base) {
  const host = base.slice(7);
  const parts = await context.http.get({ scheme: "http", host, path: "/digest", query: { q: ["1"] }, username: "alice", password: "wonder", digestAuth: true });
  const inUrl = await context.http.get({ url: `http://alice:wonder@${host}/digest`, digestAuth: true });
  const wrong = await context.http.get({ url: `${base}/digest`, username: "alice", password: "guess", digestAuth: true });
  const basicOnly = await context.http.get({ url: `${base}/digest`, username: "alice", password: "wonder" });
  let authUrl;
  try { await context.http.get({ url: `${base}/echo`, authUrl: `${base}/login` }); } catch (e) { authUrl = e.message; }
  return JSON.stringify({
    parts: [parts.statusCode, JSON.parse(parts.body.text())],
    inUrl: [inUrl.statusCode, JSON.parse(inUrl.body.text()).user],
    wrong: wrong.statusCode,
    basicOnly: basicOnly.statusCode,
    authUrl,
  });
};"#;

const HTTP2: &str = r#"exports = async function (base) {
  const http2 = require("http2");
  const { HTTP2_HEADER_METHOD, HTTP2_HEADER_PATH, HTTP2_HEADER_STATUS } = http2.constants;
  const session = await new Promise((resolve) => { const s = http2.connect(base, () => resolve(s)); });
  const exchange = (headers, body) => new Promise((resolve, reject) => {
    const req = session.request(headers);
    let status;
    let text = "";
    req.setEncoding("utf8");
    req.on("response", (h) => (status = [h[HTTP2_HEADER_STATUS], h["content-type"]]));
    req.on("data", (d) => (text += d));
    req.on("end", () => resolve([status, JSON.parse(text)]));
    req.on("error", reject);
    if (body !== undefined) req.end(body);
  });
  const got = await exchange({ [HTTP2_HEADER_PATH]: "/items?x=1", "x-test": "h2" });
  const posted = await exchange({ [HTTP2_HEADER_METHOD]: "POST", [HTTP2_HEADER_PATH]: "/items", "content-type": "application/json" }, JSON.stringify({ a: 1 }));
  const failed = await exchange({ [HTTP2_HEADER_PATH]: "/fail" });
  const protocol = session.alpnProtocol;
  await new Promise((resolve) => session.close(resolve));
  let closed;
  try { session.request({ [HTTP2_HEADER_PATH]: "/" }); } catch (e) { closed = e.code; }
  return JSON.stringify({ got, posted, failed, protocol, closed, destroyed: session.destroyed });
};"#;

const FETCH_FUNCTIONS: &str = r#"exports = async function (base) {
  const get = await fetch(`${base}/echo?x=1`, { headers: { "X-Test": "b" } });
  const getBody = await get.json();
  const post = await fetch(`${base}/echo`, { method: "POST", body: JSON.stringify({ a: 1 }), headers: { "content-type": "application/json" } });
  const redirected = await fetch(`${base}/redirect`);
  const manual = await fetch(`${base}/redirect`, { redirect: "manual" });
  const failed = await fetch(`${base}/fail`);
  let error;
  try {
    await fetch(`${base}/redirect`, { redirect: "error" });
  } catch (e) {
    error = [e.name, e.message, e.cause && e.cause.message.includes("redirect mode is 'error'")];
  }
  return JSON.stringify({
    get: [get.status, get.ok, get.headers.get("content-type"), getBody.query, getBody.xTest],
    post: (await post.json()).body,
    redirected: [redirected.status, redirected.redirected, redirected.url, (await redirected.json()).query],
    manual: [manual.status, manual.headers.get("location")],
    failed: [failed.status, failed.ok, failed.statusText, await failed.text()],
    error,
  });
};"#;

const NODE_HTTP: &str = r#"exports = async function (base) {
  const http = require("http");
  const read = (res) => new Promise((resolve) => {
    let body = "";
    res.setEncoding("utf8");
    res.on("data", (chunk) => (body += chunk));
    res.on("end", () => resolve([res.statusCode, res.headers["content-type"], body]));
  });
  const got = await new Promise((resolve, reject) => http.get(`${base}/echo?x=2`, (res) => read(res).then(resolve)).on("error", reject));
  const posted = await new Promise((resolve, reject) => {
    const req = http.request(`${base}/echo`, { method: "POST", headers: { "Content-Type": "text/plain" } }, (res) => read(res).then(resolve));
    req.on("error", reject);
    req.write("part one, ");
    req.end("part two");
  });
  const failed = await new Promise((resolve) => http.get(`${base}/fail`, (res) => read(res).then(resolve)));
  const iterated = await new Promise((resolve) => http.get(`${base}/echo?z=4`, async (res) => {
    let text = "";
    for await (const chunk of res) text += chunk;
    resolve([res.complete, JSON.parse(text).query]);
  }));
  const piped = await new Promise((resolve, reject) => http.get(`${base}/echo?p=5`, (res) => {
    const { PassThrough, Writable, pipeline } = require("stream");
    let text = "";
    const sink = new Writable({ write(c, e, cb) { text += c; cb(); } });
    pipeline(res, new PassThrough(), sink, (err) => (err ? reject(err) : resolve(JSON.parse(text).query)));
  }));
  const { host, port } = new URL(base);
  const byOptions = await new Promise((resolve) => http.get({ hostname: host.split(":")[0], port, path: "/echo?y=3" }, (res) => read(res).then(resolve)));
  const timedOut = await new Promise((resolve) => {
    const req = http.get(`${base}/slow`);
    req.setTimeout(100, () => req.destroy(new Error("gave up")));
    req.on("error", (e) => resolve(e.message));
  });
  return JSON.stringify({
    got: [got[0], got[1], JSON.parse(got[2]).query],
    posted: JSON.parse(posted[2]).body,
    failed,
    byOptions: JSON.parse(byOptions[2]).query,
    iterated,
    piped,
    timedOut,
    https: typeof require("https").request,
    server: (() => { try { http.createServer(); } catch (e) { return e.message; } })(),
  });
};"#;

const SLOW: &str = r#"exports = async function (base) {
  const r = await fetch(`${base}/slow`);
  return r.text();
};"#;

const ABORTED: &str = r#"exports = async function (base) {
  const started = Date.now();
  const out = [];
  try {
    await fetch(`${base}/slow`, { signal: AbortSignal.timeout(200) });
  } catch (e) {
    out.push(e.name);
  }
  const controller = new AbortController();
  controller.abort();
  try {
    await fetch(`${base}/echo`, { signal: controller.signal });
  } catch (e) {
    out.push(e.name);
  }
  out.push(Date.now() - started < 2000);
  return JSON.stringify(out);
};"#;

const PRIVATE: &str = r#"exports = async function (base) {
  const out = [];
  const viaHttp = () => new Promise((resolve, reject) => require("http").get(`${base}/echo`, resolve).on("error", reject));
  for (const f of [viaHttp, () => context.http.get({ url: `${base}/echo` }), () => fetch(`${base}/echo`), () => fetch("http://169.254.169.254/latest/meta-data/"), () => fetch("http://localhost:1/")]) {
    try {
      await f();
      out.push("reached");
    } catch (e) {
      const message = e.cause ? e.cause.message : e.message;
      out.push(message.includes("private, loopback or link-local") ? "refused" : message);
    }
  }
  return out;
};"#;

/// Calls `name` with one string argument; a string result is parsed as the JSON it holds.
fn call_with(base: &str, token: &str, name: &str, arg: &str) -> (u16, Value) {
    common::call_parsed(base, token, name, Value::String(arg.to_string()))
}

#[test]
fn context_http_and_fetch_reach_a_real_server() {
    let upstream = upstream();
    let functions = [
        ("httpAll", HTTP_FUNCTIONS),
        ("fetchAll", FETCH_FUNCTIONS),
        ("slow", SLOW),
        ("aborted", ABORTED),
        ("nodeHttp", NODE_HTTP),
        ("digest", DIGEST),
        ("http2", HTTP2),
    ];
    let args = ["--http-allow-private", "--function-timeout", "3"];
    let server = common::serve_sample(false, &functions, &args);
    let base = server.process.base.clone();
    let token = common::anonymous(&base);

    let (status, body) = call_with(&base, &token, "httpAll", &upstream);
    assert_eq!(status, 200, "{body}");
    let echo_get = json!({"method": "GET", "query": {"x": "1"}, "xTest": "a", "contentType": "", "cookie": "c=1", "body": ""});
    assert_eq!(
        body["get"],
        json!([200, "200 OK", ["application/json"], echo_get, {"value": "abc", "path": "/", "httpOnly": true}, true])
    );
    assert_eq!(body["parts"], json!({"q": "v w"}));
    assert_eq!(
        body["post"],
        json!([
            r#"{"a":1,"when":{"$date":"1970-01-01T00:00:00Z"}}"#,
            "application/json"
        ])
    );
    assert_eq!(body["put"], json!("plain"));
    assert_eq!(body["form"], json!("k=v%26w"));
    assert_eq!(body["manual"], json!([303, ["/echo?from=redirect"]]));
    assert_eq!(body["followed"], json!([200, {"from": "redirect"}]));
    assert_eq!(body["failed"], json!([500, "boom"]));

    // digestAuth answers the server's challenge with the credentials given in the request's
    // parts or in its URL.
    let (status, body) = call_with(&base, &token, "digest", &upstream);
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body["parts"],
        json!([200, {"user": "alice", "uri": "/digest?q=1"}])
    );
    assert_eq!(body["inUrl"], json!([200, "alice"]));
    assert_eq!(body["wrong"], json!(401));
    assert_eq!(body["basicOnly"], json!(401));
    assert_eq!(
        body["authUrl"],
        json!("context.http: authUrl is not supported by writ: App Services never documented what it did")
    );

    // The http2 client speaks HTTP/2 to an HTTP/2 server (prior knowledge in the clear).
    let h2c = common::upstream::h2c_upstream();
    let (status, body) = call_with(&base, &token, "http2", &h2c);
    assert_eq!(status, 200, "{body}");
    let echo = |method: &str, path: &str, x: &str, body: &str| json!({"method": method, "path": path, "version": "HTTP/2.0", "xTest": x, "body": body});
    assert_eq!(
        body["got"],
        json!([[200, "application/json"], echo("GET", "/items?x=1", "h2", "")])
    );
    assert_eq!(
        body["posted"],
        json!([
            [201, "application/json"],
            echo("POST", "/items", "", r#"{"a":1}"#)
        ])
    );
    assert_eq!(body["failed"][0], json!([500, "application/json"]));
    assert_eq!(body["protocol"], json!("h2c"));
    assert_eq!(body["closed"], json!("ERR_HTTP2_INVALID_SESSION"));
    assert_eq!(body["destroyed"], json!(true));

    let (status, body) = call_with(&base, &token, "fetchAll", &upstream);
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body["get"],
        json!([200, true, "application/json", {"x": "1"}, "b"])
    );
    assert_eq!(body["post"], json!(r#"{"a":1}"#));
    assert_eq!(
        body["redirected"],
        json!([200, true, format!("{upstream}/echo?from=redirect"), {"from": "redirect"}])
    );
    assert_eq!(body["manual"], json!([303, "/echo?from=redirect"]));
    assert_eq!(
        body["failed"],
        json!([500, false, "Internal Server Error", "boom"])
    );
    assert_eq!(body["error"], json!(["TypeError", "fetch failed", true]));

    let (status, body) = call_with(&base, &token, "aborted", &upstream);
    assert_eq!(status, 200, "{body}");
    assert_eq!(body, json!(["TimeoutError", "AbortError", true]));

    let (status, body) = call_with(&base, &token, "nodeHttp", &upstream);
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["got"], json!([200, "application/json", {"x": "2"}]));
    assert_eq!(body["posted"], json!("part one, part two"));
    assert_eq!(body["failed"], json!([500, "text/plain; charset=utf-8", "boom"]));
    assert_eq!(body["byOptions"], json!({"y": "3"}));
    assert_eq!(body["iterated"], json!([true, {"z": "4"}]));
    assert_eq!(body["piped"], json!({"p": "5"}));
    assert_eq!(body["timedOut"], json!("gave up"));
    assert_eq!(body["https"], json!("function"));
    assert_eq!(
        body["server"],
        json!("http.createServer is not supported by writ: functions cannot serve HTTP")
    );

    // A request that outlives the function's time limit ends the call, not the server.
    let started = std::time::Instant::now();
    let (status, body) = call_with(&base, &token, "slow", &upstream);
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["error_code"], "ExecutionTimeLimitExceeded", "{body}");
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "{:?}",
        started.elapsed()
    );
    let (status, _) = call_with(&base, &token, "fetchAll", &upstream);
    assert_eq!(status, 200, "the server answers after a timed-out request");
}

#[test]
fn private_addresses_are_refused_by_default() {
    let upstream = upstream();
    let server = common::serve_sample(false, &[("private", PRIVATE)], &[]);
    let base = server.process.base.clone();
    let token = common::anonymous(&base);
    let (status, body) = call_with(&base, &token, "private", &upstream);
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body,
        json!(["refused", "refused", "refused", "refused", "refused"])
    );
}

const LEGACY_SERVICE: &str = r#"exports = async function (base) {
  const mail = context.services.get("mail");
  const refused = async (p) => { try { await p; return "allowed"; } catch (e) { return e.message; } };
  const got = await mail.get({ url: `${base}/echo?x=1` });
  const posted = await mail.post({ url: `${base}/echo`, body: { to: "a@example.com" }, encodeBodyAsJSON: true });
  return JSON.stringify({
    got: [got.statusCode, JSON.parse(got.body.text()).query],
    posted: [posted.statusCode, JSON.parse(posted.body.text()).body],
    wrongRecipient: await refused(mail.post({ url: `${base}/echo`, body: { to: "x@example.com" }, encodeBodyAsJSON: true })),
    put: await refused(mail.put({ url: `${base}/echo`, body: "x" })),
    noRules: await refused(context.services.get("bare").get({ url: `${base}/echo` })),
    unknown: context.services.get("nope") === undefined,
  });
};"#;

/// An older export's third-party HTTP services: `context.services.get(name)` is an HTTP client
/// whose requests the server lets through only when one of the service's rules allows them
/// (their `when` reading the request, the caller and the app's values).
#[test]
fn third_party_http_services_run_under_their_rules() {
    let upstream = upstream();
    let args = ["--http-allow-private"];
    let server = common::serve_prepared(false, &args, |app| {
        std::fs::write(app.join("functions/legacyService.js"), LEGACY_SERVICE).expect("write");
        std::fs::create_dir_all(app.join("values")).expect("mkdir");
        let value = json!({"name": "mailHost", "value": "127.0.0.1"});
        std::fs::write(app.join("values/mailHost.json"), value.to_string()).expect("write");
        for (name, rules) in [
            (
                "mail",
                vec![
                    (
                        "get",
                        json!({"name": "get", "actions": ["get"], "when": {"%%user.type": "normal"}}),
                    ),
                    (
                        "post",
                        json!({"name": "post", "actions": ["post"], "when": {
                            "%%args.url.host": {"%in": ["%%values.mailHost"]},
                            "%%args.body.to": "a@example.com"
                        }}),
                    ),
                ],
            ),
            ("bare", vec![]),
        ] {
            let dir = app.join("services").join(name);
            std::fs::create_dir_all(dir.join("rules")).expect("mkdir");
            let config = json!({"name": name, "type": "http", "config": {}});
            std::fs::write(dir.join("config.json"), config.to_string()).expect("write");
            for (file, rule) in rules {
                std::fs::write(dir.join(format!("rules/{file}.json")), rule.to_string()).expect("write");
            }
        }
    });
    let base = server.process.base.clone();
    let token = common::anonymous(&base);
    let (status, body) = call_with(&base, &token, "legacyService", &upstream);
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["got"], json!([200, {"x": "1"}]));
    assert_eq!(body["posted"], json!([200, r#"{"to":"a@example.com"}"#]));
    for (case, reason) in [
        (
            "wrongRecipient",
            "no rule of the HTTP service 'mail' allows this post",
        ),
        ("put", "no rule of the HTTP service 'mail' allows this put"),
        ("noRules", "no rule of the HTTP service 'bare' allows this get"),
    ] {
        assert!(
            body[case].as_str().is_some_and(|m| m.contains(reason)),
            "{case}: {body}"
        );
    }
    assert_eq!(body["unknown"], json!(true));
}

//! The server played as an attacker would, in-process: each test drives `writ::server::app`
//! with `tower::ServiceExt::oneshot` on a temporary embedded store (no socket), so the cases
//! run in milliseconds; the flood runs against a real `writ serve` process, whose memory the
//! kernel reports. Every case here was a working attack before it was fixed.

mod common;

use std::time::Duration;

use axum::http::StatusCode;
use common::api::{APP, Api, Reply, limits, rate};
use serde_json::{Value, json};

const INTERNAL: &str = "__writ_writ-sample";

/// App Services' "read and write all" preset, common in real exports.
const PERMISSIVE_DEFAULT_RULE: &str = r#"{"roles": [{"name": "readAndWriteAll", "apply_when": {}, "read": true, "write": true, "insert": true, "delete": true}]}"#;

/// A function running as its caller that tries to list and read writ's own database.
const SNOOP: &str = r#"exports = async () => {
  const m = context.services.get("mongodb-atlas");
  const code = (p) => p.then(() => "allowed", (e) => e.codeName);
  return {
    dbs: await m.admin().getDBNames(),
    colls: await code(m.db("__writ_writ-sample").getCollectionNames()),
    keys: await code(m.db("__writ_writ-sample").collection("keys").findOne({})),
    where: await code(m.db("app").collection("c").find({ $where: "true" }).toArray()),
  };
};
"#;

/// A function that opens a transaction, writes in it and returns without ending it.
const LEAVE_OPEN: &str = r#"exports = async () => {
  const m = context.services.get("mongodb-atlas");
  const session = m.startSession();
  await session.startTransaction();
  await m.db("custom-user-data-database").collection("custom-user-data")
    .insertOne({ userId: context.user.id, uncommitted: true }, { session });
  return "left open";
};
"#;

/// A function that tries to replace the collection methods every later call uses.
const TAMPER: &str = r#"exports = async () => {
  const m = context.services.get("mongodb-atlas");
  const coll = m.db("app").collection("c");
  for (const target of [Object.getPrototypeOf(coll), Object.getPrototypeOf(m), Object.getPrototypeOf(coll.find({}))]) {
    for (const name of ["find", "findOne", "insertOne", "db", "toArray"]) {
      try { target[name] = () => "hijacked"; } catch (e) {}
    }
  }
  return "tried";
};
"#;

/// What a later call gets from the same methods.
const USE_BRIDGE: &str = r#"exports = async () => {
  const coll = context.services.get("mongodb-atlas").db("app").collection("c");
  await coll.insertOne({ by: context.user.id });
  return { found: (await coll.find({}).toArray()).length, one: typeof (await coll.findOne({})) };
};
"#;

fn assert_refused(r: &Reply, what: &str) {
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{what}: {:?}", r.body);
    assert_eq!(r.code(), "PermissionDenied", "{what}: {:?}", r.body);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_permissive_default_rule_never_reaches_writs_own_database() {
    let api = Api::new(&[("snoop", SNOOP)], Some(PERMISSIVE_DEFAULT_RULE), limits()).await;
    let token = api.anonymous().await;
    let internal = |coll: &str| json!({"database": INTERNAL, "collection": coll});
    for (op, mut arg) in [
        ("find", internal("keys")),
        ("findOne", internal("users")),
        ("count", internal("sessions")),
        ("insertOne", internal("users")),
        ("updateOne", internal("keys")),
        ("deleteMany", internal("sessions")),
        ("aggregate", internal("userpass")),
        (
            "find",
            json!({"database": "__WRIT_writ-sample", "collection": "keys"}),
        ),
        ("find", json!({"database": "local", "collection": "oplog.rs"})),
        (
            "find",
            json!({"database": "config", "collection": "transactions"}),
        ),
        ("find", json!({"database": "admin", "collection": "system.users"})),
        ("find", json!({"database": "app", "collection": "system.js"})),
    ] {
        let extra = match op {
            "insertOne" => json!({"document": {"_id": "jwt", "secret": "mine"}}),
            "updateOne" => json!({"query": {}, "update": {"$set": {"secret": "mine"}}}),
            "aggregate" => json!({"pipeline": []}),
            _ => json!({"query": {}}),
        };
        arg.as_object_mut()
            .expect("object")
            .extend(extra.as_object().expect("object").clone());
        assert_refused(&api.service(&token, op, arg).await, op);
    }
    // Pipelines reach other collections only through stages, at any depth: all refused.
    let app_coll = |pipeline: Value| json!({"database": "app", "collection": "c", "pipeline": pipeline});
    for pipeline in [
        json!([{"$facet": {"x": [{"$lookup": {"from": "keys", "localField": "a", "foreignField": "b", "as": "k"}}]}}]),
        json!([{"$lookup": {"from": "c", "pipeline": [{"$unionWith": {"coll": "keys"}}], "as": "k"}}]),
        json!([{"$facet": {"x": [{"$match": {}}, {"$unionWith": "keys"}]}}]),
        json!([{"$match": {}}, {"$merge": {"into": {"db": INTERNAL, "coll": "keys"}}}]),
    ] {
        assert_refused(
            &api.service(&token, "aggregate", app_coll(pipeline.clone())).await,
            &pipeline.to_string(),
        );
    }
    // The permissive rule still works for the app's own data.
    let insert = json!({"database": "app", "collection": "c", "document": {"a": 1}});
    assert_eq!(
        api.service(&token, "insertOne", insert).await.status,
        StatusCode::OK
    );
    // Inside a function running as the user: listings leave writ's database out, reads refused.
    let r = api.call(&token, "snoop").await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    let dbs: Vec<&str> = r.body["dbs"]
        .as_array()
        .expect("dbs")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert!(dbs.contains(&"app"), "{dbs:?}");
    assert!(dbs.iter().all(|d| !d.starts_with("__writ_")), "{dbs:?}");
    assert_eq!(r.body["colls"], "PermissionDenied");
    assert_eq!(r.body["keys"], "PermissionDenied");
    assert_eq!(r.body["where"], "PermissionDenied");
}

/// A system function in a shape common in real apps: its caller names the database, the
/// collection and the pipeline. App Services kept its users and keys outside the cluster, so
/// such a function never exposed them there.
const GENERIC: &str = r#"exports = async (db, coll, pipeline) => {
  const m = context.services.get("mongodb-atlas");
  const c = m.db(db).collection(coll);
  const code = (p) => p.then((r) => r, (e) => e.codeName || e.message);
  if (pipeline === "insert") return code(c.insertOne({ a: 1 }));
  if (pipeline === "dbs") return m.admin().getDBNames();
  if (pipeline === "colls") return code(m.db(db).getCollectionNames());
  return code(pipeline ? c.aggregate(pipeline).toArray() : c.find({}).toArray());
};
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_system_function_never_reaches_writs_or_mongodbs_own_data() {
    system_function_reach(None).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_system_function_on_mongodb_never_reaches_writs_or_mongodbs_own_data() {
    system_function_reach(Some(testkit::mongodb_uri())).await;
}

async fn system_function_reach(mongodb_uri: Option<String>) {
    let api = Api::prepared(limits(), mongodb_uri, |app| {
        common::api::write(&app.join("functions/generic.js"), GENERIC);
        let path = app.join("functions/config.json");
        let mut config: Value =
            serde_json::from_str(&std::fs::read_to_string(&path).expect("read")).expect("json");
        config
            .as_array_mut()
            .expect("list")
            .push(json!({"name": "generic", "private": false, "run_as_system": true}));
        common::api::write(&path, &config.to_string());
    })
    .await;
    let mallory = api.anonymous().await;
    let generic = |args: Value| json!({"name": "generic", "arguments": args});
    for coll in ["c", "config"] {
        let r = api
            .functions_call(&mallory, generic(json!(["app", coll, "insert"])))
            .await;
        assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    }
    let internal = json!({"db": INTERNAL, "coll": "keys"});
    for args in [
        json!([INTERNAL, "keys"]),
        json!([INTERNAL, "users"]),
        json!(["__WRIT_writ-sample", "sessions"]),
        json!([INTERNAL, "keys", "colls"]),
        json!(["local", "oplog.rs"]),
        json!(["config", "transactions"]),
        json!(["admin", "system.users"]),
        json!(["app", "system.js"]),
        json!(["app", "c", [{"$out": internal}]]),
        json!(["app", "c", [{"$merge": {"into": {"db": INTERNAL, "coll": "users"}}}]]),
        json!(["app", "c", [{"$merge": {"into": {"db": "local", "coll": "oplog.rs"}}}]]),
        json!(["app", "c", [{"$facet": {"x": [{"$lookup": {"from": internal, "pipeline": [], "as": "k"}}]}}]]),
        json!(["app", "c", [{"$lookup": {"from": "c", "pipeline": [{"$unionWith": "system.profile"}], "as": "k"}}]]),
        json!(["app", "c", [{"$out": "system.js"}]]),
        json!(["app", "c", [{"$currentOp": {}}]]),
    ] {
        let r = api.functions_call(&mallory, generic(args.clone())).await;
        assert_eq!(r.status, StatusCode::OK, "{args}: {:?}", r.body);
        assert_eq!(r.body, json!("PermissionDenied"), "{args}");
    }
    // Listings leave them out.
    let r = api
        .functions_call(&mallory, generic(json!(["app", "c", "dbs"])))
        .await;
    let dbs = r.body.as_array().expect("names");
    assert!(dbs.contains(&json!("app")), "{dbs:?}");
    assert!(
        dbs.iter()
            .filter_map(Value::as_str)
            .all(|d| !d.starts_with("__writ_") && !["admin", "config", "local"].contains(&d)),
        "{dbs:?}"
    );
    // A collection may bear the name of one of MongoDB's databases.
    let r = api
        .functions_call(&mallory, generic(json!(["app", "c", "colls"])))
        .await;
    let colls = r.body.as_array().expect("names");
    assert!(colls.contains(&json!("config")), "{colls:?}");
    let r = api
        .functions_call(&mallory, generic(json!(["app", "config"])))
        .await;
    assert_eq!(r.body.as_array().map(Vec::len), Some(1), "{:?}", r.body);
    // The app's own data stays the system user's to reach, across collections.
    let lookup = json!([{"$lookup": {"from": "c", "localField": "a", "foreignField": "a", "as": "k"}}, {"$project": {"_id": 0, "n": {"$size": "$k"}}}]);
    let r = api
        .functions_call(&mallory, generic(json!(["app", "c", lookup])))
        .await;
    assert_eq!(r.body, json!([{"n": {"$numberInt": "1"}}]), "{:?}", r.body);
    // writ's signing key is the one it had: mallory's token still works, and so do new logins.
    let r = api.functions_call(&mallory, generic(json!(["app", "c"]))).await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    let alice = api.anonymous().await;
    assert_eq!(api.call(&alice, "hello").await.status, StatusCode::OK);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn javascript_on_the_database_server_is_refused_for_users() {
    let api = Api::new(&[], Some(PERMISSIVE_DEFAULT_RULE), limits()).await;
    let token = api.anonymous().await;
    let coll = |extra: Value| {
        let mut arg = json!({"database": "app", "collection": "c"});
        arg.as_object_mut()
            .expect("object")
            .extend(extra.as_object().expect("object").clone());
        arg
    };
    let function = json!({"$function": {"body": "function() { return true; }", "args": [], "lang": "js"}});
    for (op, arg) in [
        (
            "find",
            coll(json!({"query": {"$where": "sleep(100000) || true"}})),
        ),
        (
            "findOne",
            coll(json!({"query": {"$or": [{"a": 1}, {"$where": "true"}]}})),
        ),
        ("count", coll(json!({"query": {"$expr": function.clone()}}))),
        (
            "aggregate",
            coll(json!({"pipeline": [{"$match": {"$expr": function.clone()}}]})),
        ),
        (
            "aggregate",
            coll(
                json!({"pipeline": [{"$group": {"_id": null, "x": {"$accumulator": {
            "init": "function() { return 0; }", "accumulate": "function(s) { return s; }",
            "accumulateArgs": [], "merge": "function(a) { return a; }", "lang": "js"}}}}]}),
            ),
        ),
        (
            "find",
            coll(json!({"query": {}, "project": {"x": function.clone()}})),
        ),
        (
            "updateOne",
            coll(json!({"query": {}, "update": [{"$set": {"x": function}}]})),
        ),
    ] {
        assert_refused(&api.service(&token, op, arg.clone()).await, &arg.to_string());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_transaction_left_open_is_aborted_when_its_call_ends() {
    abandoned_transaction(None).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_transaction_left_open_on_mongodb_is_aborted_when_its_call_ends() {
    abandoned_transaction(Some(testkit::mongodb_uri())).await;
}

async fn abandoned_transaction(mongodb_uri: Option<String>) {
    let app = [("leaveOpen", LEAVE_OPEN)];
    let api = Api::on(&app, None, limits(), mongodb_uri).await;
    let mallory = api.anonymous().await;
    let r = api.call(&mallory, "leaveOpen").await;
    assert_eq!(r.body, json!("left open"), "{:?}", r.body);
    // Another user's write and a login (sessions are writes) go through at once; a minute's
    // wait for the abandoned transaction would trip this bound.
    let write = async {
        let path = format!("{APP}/auth/providers/anon-user/login");
        let login = api.send("POST", &path, None, json!({}), "10.0.0.2").await;
        let (alice, id) = (
            login.body["access_token"].as_str(),
            login.body["user_id"].as_str(),
        );
        let insert = json!({"database": "custom-user-data-database", "collection": "custom-user-data",
            "document": {"userId": id, "favoriteColor": "green"}});
        api.service(alice.expect("token"), "insertOne", insert).await
    };
    let r = tokio::time::timeout(Duration::from_secs(20), write)
        .await
        .expect("a write after an abandoned transaction waited for it");
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    // What the transaction wrote was never committed.
    let find =
        json!({"database": "custom-user-data-database", "collection": "custom-user-data", "query": {}});
    let r = api.service(&mallory, "find", find).await;
    assert_eq!(
        r.body,
        json!([]),
        "mallory's transaction was committed: {:?}",
        r.body
    );
    // Clients have no sessions, so they cannot join a function's transaction either.
    let joined = json!({"database": "custom-user-data-database", "collection": "custom-user-data",
        "query": {}, "session": {"id": {"$oid": "000000000000000000000001"}}});
    let r = api.service(&mallory, "find", joined).await;
    assert_eq!(
        (r.status, r.code()),
        (StatusCode::BAD_REQUEST, "InvalidParameter"),
        "{:?}",
        r.body
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn names_mongodb_refuses_are_refused() {
    let api = Api::new(&[], Some(PERMISSIVE_DEFAULT_RULE), limits()).await;
    let token = api.anonymous().await;
    for (db, coll) in [
        ("a$b", "c"),
        ("a.b", "c"),
        ("", "c"),
        ("a\0b", "c"),
        ("app", "$c"),
        ("app", "a..b"),
        ("app", ""),
    ] {
        let arg = json!({"database": db, "collection": coll, "document": {"a": 1}});
        let r = api.service(&token, "insertOne", arg).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{db:?}.{coll:?}: {:?}", r.body);
        let message = r.body["error"].as_str().unwrap_or_default();
        assert!(
            message.contains("(code 73)") || r.code() == "InvalidParameter",
            "{db:?}.{coll:?}: {message}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn password_guessing_is_throttled_per_account_and_the_right_password_works_after() {
    let api = Api::throttled(|l| l.login_throttle_account = rate("3/3")).await;
    assert_eq!(
        api.register("victim@example.com", "10.0.0.1").await.status,
        StatusCode::CREATED
    );
    // Guesses from several addresses: the account's budget is what runs out.
    for i in 0..3 {
        let r = api
            .login("victim@example.com", "guess", &format!("10.1.0.{i}"))
            .await;
        assert_eq!(r.code(), "InvalidPassword", "{:?}", r.body);
    }
    let r = api.login("victim@example.com", "guess", "10.1.0.9").await;
    assert_eq!(
        (r.status, r.code()),
        (StatusCode::TOO_MANY_REQUESTS, "TooManyRequests")
    );
    let wait = r.retry_after.expect("Retry-After");
    // While throttled, even the right password is not checked.
    let r = api
        .login("victim@example.com", "right-password", "10.0.0.1")
        .await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS);
    // Another account is not affected.
    assert_eq!(
        api.register("other@example.com", "10.0.0.1").await.status,
        StatusCode::CREATED
    );
    assert_eq!(
        api.login("other@example.com", "right-password", "10.0.0.1")
            .await
            .status,
        StatusCode::OK
    );
    tokio::time::sleep(Duration::from_secs(wait)).await;
    let r = api
        .login("victim@example.com", "right-password", "10.0.0.1")
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_address_can_neither_guess_across_accounts_nor_mass_create_users() {
    let api = Api::throttled(|l| {
        l.login_throttle_address = rate("4/600");
        l.signup_throttle_address = rate("5/600");
    })
    .await;
    // Unknown and known accounts cost the same and count the same.
    assert_eq!(
        api.register("known@example.com", "10.2.0.1").await.status,
        StatusCode::CREATED
    );
    for email in [
        "known@example.com",
        "nobody1@example.com",
        "nobody2@example.com",
        "nobody3@example.com",
    ] {
        let r = api.login(email, "guess", "10.9.9.9").await;
        assert_eq!(r.code(), "InvalidPassword", "{email}: {:?}", r.body);
    }
    let r = api.login("nobody4@example.com", "guess", "10.9.9.9").await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(r.retry_after.is_some());
    assert_eq!(
        api.login("known@example.com", "right-password", "10.2.0.2")
            .await
            .status,
        StatusCode::OK
    );
    // New users: anonymous logins and registrations share one budget per address.
    let anon = |from: &'static str| {
        let api = &api;
        async move {
            let path = format!("{APP}/auth/providers/anon-user/login");
            api.send("POST", &path, None, json!({}), from).await
        }
    };
    for _ in 0..3 {
        assert_eq!(anon("10.3.0.1").await.status, StatusCode::OK);
    }
    assert_eq!(
        api.register("a@example.com", "10.3.0.1").await.status,
        StatusCode::CREATED
    );
    assert_eq!(
        api.register("b@example.com", "10.3.0.1").await.status,
        StatusCode::CREATED
    );
    let r = anon("10.3.0.1").await;
    assert_eq!(
        (r.status, r.code()),
        (StatusCode::TOO_MANY_REQUESTS, "TooManyRequests")
    );
    assert_eq!(
        api.register("c@example.com", "10.3.0.1").await.status,
        StatusCode::TOO_MANY_REQUESTS
    );
    assert_eq!(
        anon("10.3.0.2").await.status,
        StatusCode::OK,
        "another address is not affected"
    );
}

/// The status and `Retry-After` of one HTTP/1.1 POST to `base` (`http://host:port`).
fn post(base: &str, path: &str, body: &str) -> (u16, bool) {
    let response = common::raw_post(base, path, None, body);
    (
        common::status_of(&response),
        response.to_ascii_lowercase().contains("\r\nretry-after: "),
    )
}

/// A process's resident memory now and at its peak, in KiB.
fn memory_kib(pid: u32) -> (u64, u64) {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("/proc status");
    let field = |name: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            .unwrap_or(0)
    };
    (field("VmRSS:"), field("VmHWM:"))
}

/// Two hundred wrong-password logins at once, from one address: the first hundred (the
/// address's default budget) are checked, at most two at a time, the rest get 429 at once; the
/// process's peak memory stays within the documented bound (password hashes at once x ~19 MiB,
/// plus headroom), where unbounded hashing held ~19 MiB for every one in flight.
#[test]
fn a_flood_of_wrong_passwords_is_throttled_within_bounded_memory() {
    let server = common::serve_sample(false, &[], &["--password-hash-concurrency", "2"]);
    let base = server.process.base.clone();
    let register = format!("{APP}/auth/providers/local-userpass/register");
    let (status, _) = post(
        &base,
        &register,
        r#"{"email":"flood@example.com","password":"right-password"}"#,
    );
    assert_eq!(status, 201);
    let pid = server.process.child.id();
    let (baseline, _) = memory_kib(pid);
    let login = format!("{APP}/auth/providers/local-userpass/login");
    let replies: Vec<(u16, bool)> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..200)
            .map(|i| {
                let (base, login) = (&base, &login);
                scope.spawn(move || {
                    let body = format!(r#"{{"username":"user{i}@example.com","password":"guess"}}"#);
                    post(base, login, &body)
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().expect("client")).collect()
    });
    let refused = replies.iter().filter(|(s, _)| *s == 401).count();
    let throttled = replies.iter().filter(|(s, retry)| *s == 429 && *retry).count();
    assert_eq!((refused, throttled), (100, 100), "{replies:?}");
    let (_, peak) = memory_kib(pid);
    let grew_mib = peak.saturating_sub(baseline) / 1024;
    assert!(
        grew_mib < 100,
        "peak memory grew by {grew_mib} MiB over {} MiB",
        baseline / 1024
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_call_cannot_replace_the_database_methods_later_calls_use() {
    let functions = [("tamper", TAMPER), ("useBridge", USE_BRIDGE)];
    let api = Api::new(&functions, Some(PERMISSIVE_DEFAULT_RULE), limits()).await;
    let (mallory, alice) = (api.anonymous().await, api.anonymous().await);
    // Several rounds, so calls land on every worker after the tampering.
    for _ in 0..4 {
        assert_eq!(api.call(&mallory, "tamper").await.body, json!("tried"));
    }
    for round in 0..4 {
        let r = api.call(&alice, "useBridge").await;
        assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
        let found = json!({"$numberInt": (round + 1).to_string()});
        assert_eq!(r.body, json!({"found": found, "one": "object"}));
    }
}

/// Keeps its worker busy for a second and a half (a runaway, as far as the pool can tell).
const BUSY: &str =
    "exports = () => { const end = Date.now() + 1500; while (Date.now() < end) {} return 'done'; };";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_user_cannot_hold_every_worker() {
    // Two workers: each user and each address may hold one.
    let api = Api::new(&[("busy", BUSY)], None, limits()).await;
    let (mallory, alice) = (api.anonymous().await, api.anonymous().await);
    let (first, (second, other_address, probe)) =
        tokio::join!(api.call_from(&mallory, "busy", "10.6.0.1"), async {
            tokio::time::sleep(Duration::from_millis(300)).await;
            let second = api.call_from(&mallory, "busy", "10.6.0.1").await;
            let other_address = api.call_from(&mallory, "busy", "10.6.0.2").await;
            let probe = api.call_from(&alice, "hello", "10.7.0.1").await;
            (second, other_address, probe)
        });
    assert_eq!(first.body, json!("done"));
    for (r, what) in [
        (&second, "a second call of the same user"),
        (&other_address, "the same user from another address"),
    ] {
        assert_eq!(
            (r.status, r.code()),
            (StatusCode::TOO_MANY_REQUESTS, "TooManyRequests"),
            "{what}: {:?}",
            r.body
        );
        assert!(r.retry_after.is_some());
    }
    assert_eq!(
        probe.status,
        StatusCode::OK,
        "another user is answered meanwhile: {:?}",
        probe.body
    );
}

/// A client cannot hold unbounded change streams (each is a connection and a feed reader):
/// past the per-user cap it gets 429, and a closed stream gives its place back. Writ's own
/// database is not watchable.
#[test]
fn change_streams_are_capped_per_user() {
    const DB: &str = "custom-user-data-database";
    const COLL: &str = "custom-user-data";
    let server = common::serve_sample(false, &[], &[]);
    let base = &server.process.base;
    let token = common::anonymous(base);
    let mut open = Vec::new();
    for _ in 0..10 {
        let (stream, status) = common::open_stream(base, &token, DB, COLL);
        assert_eq!(status, 200);
        open.push(stream);
    }
    let (_, status) = common::open_stream(base, &token, DB, COLL);
    assert_eq!(status, 429, "the 11th stream of one user");
    let other = common::anonymous(base);
    assert_eq!(
        common::open_stream(base, &other, DB, COLL).1,
        200,
        "another user is not affected"
    );
    drop(open.pop());
    let mut reopened = 0;
    for _ in 0..50 {
        let (stream, status) = common::open_stream(base, &token, DB, COLL);
        if status == 200 {
            reopened += 1;
            open.push(stream);
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    assert_eq!(reopened, 1, "a closed stream gives its place back");
    assert_eq!(
        common::open_stream(base, &other, "__writ_writ-sample", "users").1,
        403
    );
}

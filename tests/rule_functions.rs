//! Rules that call functions (`%function`) and read the request (`%%request`), as App
//! Services' documented templates write them, through the server: a client's operations, a
//! function's operations as its user, and functions' `can_evaluate`. Played as the users the
//! rules keep out, and as a flood that would leave every worker waiting if rule functions ran
//! on the calls' own workers.

mod common;

use std::{path::Path, time::Duration};

use axum::http::StatusCode;
use common::api::{APP, Api, Reply, limits, write};
use serde_json::{Value, json};

/// The client addresses the tests call from.
const OFFICE: &str = "10.0.0.1";
const ELSEWHERE: &str = "10.9.9.9";

fn member_rule(function: &str) -> String {
    json!({"roles": [{
        "name": "member",
        "apply_when": {"%%true": {"%function": {"name": function, "arguments": ["%%user.id"]}}},
        "read": true, "write": true, "insert": true, "delete": true
    }]})
    .to_string()
}

fn prepare(app: &Path) {
    let functions = [
        // Membership, as a system function reads it (private: clients cannot call it).
        (
            "isMember",
            "exports = async (id) => !!(await context.services.get('mongodb-atlas').db('db').collection('members').findOne({_id: id}));",
            json!({"private": true, "run_as_system": true}),
        ),
        (
            "join",
            "exports = async () => { await context.services.get('mongodb-atlas').db('db').collection('members').insertOne({_id: context.user.id}); return 'joined'; };",
            json!({"run_as_system": true}),
        ),
        // Slow for members marked slow: what a user whose data makes a rule function slow costs.
        (
            "slowVerdict",
            "exports = async (id) => { const m = await context.services.get('mongodb-atlas').db('db').collection('members').findOne({_id: id}); \
             if (m && m.slow) { const end = Date.now() + 3000; while (Date.now() < end) {} } return !!m; };",
            json!({"private": true, "run_as_system": true}),
        ),
        (
            "joinSlow",
            "exports = async () => { await context.services.get('mongodb-atlas').db('db').collection('members').insertOne({_id: context.user.id, slow: true}); return 'joined'; };",
            json!({"run_as_system": true}),
        ),
        (
            "alwaysThrows",
            "exports = () => { throw new Error('no verdict'); };",
            json!({"private": true}),
        ),
        // A rule function that runs as the user, whose own read meets a rule that calls a
        // function again.
        (
            "viaNotes",
            "exports = async () => (await context.services.get('mongodb-atlas').db('db').collection('notes').count({})) >= 0;",
            json!({"private": true}),
        ),
        (
            "addNote",
            "exports = async (text) => { const notes = context.services.get('mongodb-atlas').db('db').collection('notes'); await notes.insertOne({owner: context.user.id, text}); return notes.count({owner: context.user.id}); };",
            json!({}),
        ),
        (
            "officeMemos",
            "exports = async () => (await context.services.get('mongodb-atlas').db('db').collection('office').find({}).toArray()).map((m) => m.text);",
            json!({}),
        ),
        (
            "internalOnly",
            "exports = () => 'inside';",
            json!({"can_evaluate": {"%%request.remoteIPAddress": {"$in": [OFFICE]}}}),
        ),
        (
            "membersOnly",
            "exports = () => 'welcome';",
            json!({"can_evaluate": {"%%true": {"%function": {"name": "isMember", "arguments": ["%%user.id"]}}}}),
        ),
    ];
    let config_path = app.join("functions/config.json");
    let mut config: Vec<Value> =
        serde_json::from_str(&std::fs::read_to_string(&config_path).expect("config")).expect("json");
    for (name, source, entry) in functions {
        std::fs::write(app.join(format!("functions/{name}.js")), source).expect("write");
        let mut entry = entry;
        entry["name"] = json!(name);
        config.push(entry);
    }
    std::fs::write(&config_path, serde_json::to_string(&config).expect("json")).expect("write");
    let rules = app.join("data_sources/mongodb-atlas/db");
    write(&rules.join("notes/rules.json"), &member_rule("isMember"));
    write(&rules.join("nested/rules.json"), &member_rule("viaNotes"));
    write(&rules.join("shaky/rules.json"), &member_rule("alwaysThrows"));
    write(&rules.join("slow/rules.json"), &member_rule("slowVerdict"));
    let office = json!({"roles": [{
        "name": "office", "apply_when": {"%%request.remoteIPAddress": OFFICE},
        "read": true, "write": true, "insert": true
    }]});
    write(&rules.join("office/rules.json"), &office.to_string());
}

async fn server(mongodb_uri: Option<String>) -> Api {
    let mut limits = limits();
    // The flood below comes from few users and one address.
    limits.max_calls_per_user = 64;
    limits.max_calls_per_address = 64;
    Api::prepared(limits, mongodb_uri, prepare).await
}

async fn login(api: &Api) -> String {
    api.anonymous().await
}

async fn op(api: &Api, token: &str, name: &str, collection: &str, mut arg: Value, from: &str) -> Reply {
    arg["database"] = json!("db");
    arg["collection"] = json!(collection);
    let body = json!({"name": name, "service": "mongodb-atlas", "arguments": [arg]});
    api.send("POST", &format!("{APP}/functions/call"), Some(token), body, from)
        .await
}

async fn call(api: &Api, token: &str, name: &str, args: Value, from: &str) -> Reply {
    let body = json!({"name": name, "arguments": args});
    api.send("POST", &format!("{APP}/functions/call"), Some(token), body, from)
        .await
}

fn texts(r: &Reply) -> Vec<String> {
    let docs = r.body.as_array().cloned().unwrap_or_default();
    docs.iter()
        .filter_map(|d| d["text"].as_str().map(str::to_string))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rules_call_functions_and_read_the_request_on_the_embedded_store() {
    rules_call_functions_and_read_the_request(None).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rules_call_functions_and_read_the_request_on_mongodb() {
    rules_call_functions_and_read_the_request(Some(testkit::mongodb_uri())).await;
}

async fn rules_call_functions_and_read_the_request(mongodb_uri: Option<String>) {
    let api = server(mongodb_uri).await;
    let (alice, bob) = (login(&api).await, login(&api).await);
    let r = call(&api, &alice, "join", json!([]), OFFICE).await;
    assert_eq!(r.body, json!("joined"), "{:?}", r.body);

    // A role whose apply_when calls a function: the member reads and writes, the other user
    // neither reads nor writes.
    let r = op(
        &api,
        &alice,
        "insertOne",
        "notes",
        json!({"document": {"text": "alice's"}}),
        OFFICE,
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    let r = op(
        &api,
        &bob,
        "insertOne",
        "notes",
        json!({"document": {"text": "bob's"}}),
        OFFICE,
    )
    .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{:?}", r.body);
    let r = op(&api, &alice, "find", "notes", json!({"query": {}}), OFFICE).await;
    assert_eq!(texts(&r), ["alice's"], "{:?}", r.body);
    let r = op(&api, &bob, "find", "notes", json!({"query": {}}), OFFICE).await;
    assert!(texts(&r).is_empty(), "bob read a member's notes: {:?}", r.body);
    let update = json!({"query": {}, "update": {"$set": {"text": "bob was here"}}});
    let r = op(&api, &bob, "updateMany", "notes", update, OFFICE).await;
    assert_eq!(
        (r.status, r.code()),
        (StatusCode::FORBIDDEN, "PermissionDenied"),
        "{:?}",
        r.body
    );
    // The same rules bind a function running as the user.
    let r = call(&api, &alice, "addNote", json!(["from a function"]), OFFICE).await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    let r = call(
        &api,
        &bob,
        "addNote",
        json!(["bob's, through a function"]),
        OFFICE,
    )
    .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{:?}", r.body);
    let r = op(&api, &alice, "find", "notes", json!({"query": {}}), OFFICE).await;
    assert_eq!(texts(&r), ["alice's", "from a function"], "{:?}", r.body);

    // A function that throws makes its expression false: no access, no leaked message.
    let r = op(
        &api,
        &alice,
        "insertOne",
        "shaky",
        json!({"document": {"text": "x"}}),
        OFFICE,
    )
    .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{:?}", r.body);
    assert!(!r.body.to_string().contains("no verdict"), "{:?}", r.body);
    let r = op(&api, &alice, "find", "shaky", json!({"query": {}}), OFFICE).await;
    assert!(texts(&r).is_empty(), "{:?}", r.body);

    // A rule function whose own operation meets a rule that calls a function fails closed at
    // once instead of waiting for a worker.
    let nested = op(
        &api,
        &alice,
        "insertOne",
        "nested",
        json!({"document": {"text": "x"}}),
        OFFICE,
    );
    let r = tokio::time::timeout(Duration::from_secs(30), nested)
        .await
        .expect("a rule function's nested rule function waited");
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{:?}", r.body);

    // `%%request` in a role: only requests from the office address get it.
    let r = op(
        &api,
        &alice,
        "insertOne",
        "office",
        json!({"document": {"text": "memo"}}),
        OFFICE,
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    let r = op(&api, &alice, "find", "office", json!({"query": {}}), OFFICE).await;
    assert_eq!(texts(&r), ["memo"], "{:?}", r.body);
    let r = op(&api, &alice, "find", "office", json!({"query": {}}), ELSEWHERE).await;
    assert!(texts(&r).is_empty(), "read from outside the office: {:?}", r.body);
    let r = op(
        &api,
        &alice,
        "insertOne",
        "office",
        json!({"document": {"text": "x"}}),
        ELSEWHERE,
    )
    .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{:?}", r.body);

    // A function running as the user sees the request that called it.
    let r = call(&api, &alice, "officeMemos", json!([]), OFFICE).await;
    assert_eq!(r.body, json!(["memo"]), "{:?}", r.body);
    let r = call(&api, &alice, "officeMemos", json!([]), ELSEWHERE).await;
    assert_eq!(r.body, json!([]), "{:?}", r.body);

    // `can_evaluate` reading the request, and calling a function.
    let r = call(&api, &alice, "internalOnly", json!([]), OFFICE).await;
    assert_eq!(r.body, json!("inside"), "{:?}", r.body);
    let r = call(&api, &alice, "internalOnly", json!([]), ELSEWHERE).await;
    assert_eq!(
        (r.status, r.code()),
        (StatusCode::FORBIDDEN, "PermissionDenied"),
        "{:?}",
        r.body
    );
    let r = call(&api, &alice, "membersOnly", json!([]), OFFICE).await;
    assert_eq!(r.body, json!("welcome"), "{:?}", r.body);
    let r = call(&api, &bob, "membersOnly", json!([]), OFFICE).await;
    assert_eq!(
        (r.status, r.code()),
        (StatusCode::FORBIDDEN, "PermissionDenied"),
        "{:?}",
        r.body
    );
    // Private rule functions stay private to clients.
    let r = call(&api, &bob, "isMember", json!([]), OFFICE).await;
    assert_eq!(
        (r.status, r.code()),
        (StatusCode::FORBIDDEN, "NotCallable"),
        "{:?}",
        r.body
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flood_of_calls_whose_writes_need_rule_functions_never_stalls_the_workers() {
    // Two workers for calls; 24 calls at once, each of whose writes waits for a rule function.
    let api = server(None).await;
    let mut users = Vec::new();
    for _ in 0..4 {
        let token = login(&api).await;
        let r = call(&api, &token, "join", json!([]), OFFICE).await;
        assert_eq!(r.body, json!("joined"), "{:?}", r.body);
        users.push(token);
    }
    let calls = (0..24).map(|i| {
        let token = users[i % users.len()].clone();
        let api = &api;
        async move { call(api, &token, "addNote", json!([format!("note {i}")]), OFFICE).await }
    });
    let replies = tokio::time::timeout(Duration::from_secs(120), futures_util::future::join_all(calls))
        .await
        .expect("calls waiting on rule functions stalled");
    for r in &replies {
        assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    }
    let r = op(&api, &users[0], "find", "notes", json!({"query": {}}), OFFICE).await;
    assert_eq!(texts(&r).len(), 24, "{:?}", r.body);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_user_whose_rule_functions_are_slow_cannot_hold_every_rule_worker() {
    let api = server(None).await;
    let (mallory, bob) = (login(&api).await, login(&api).await);
    let r = call(&api, &mallory, "joinSlow", json!([]), "10.6.6.6").await;
    assert_eq!(r.body, json!("joined"), "{:?}", r.body);
    let r = call(&api, &bob, "join", json!([]), OFFICE).await;
    assert_eq!(r.body, json!("joined"), "{:?}", r.body);
    // Mallory's reads each wait for a 3-second rule function; eight of them would hold all
    // four rule workers for six seconds if nothing stopped them.
    let flood = (0..8).map(|_| op(&api, &mallory, "find", "slow", json!({"query": {}}), "10.6.6.6"));
    let flood = futures_util::future::join_all(flood);
    let probe = async {
        tokio::time::sleep(Duration::from_millis(500)).await;
        let started = std::time::Instant::now();
        let r = op(&api, &bob, "find", "slow", json!({"query": {}}), OFFICE).await;
        (r, started.elapsed())
    };
    let (replies, (r, waited)) = tokio::join!(flood, probe);
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert!(
        waited < Duration::from_millis(2500),
        "bob's read waited {waited:?} behind mallory's rule functions"
    );
    for r in replies {
        assert_eq!(
            r.status,
            StatusCode::OK,
            "mallory's reads still run, in turn: {:?}",
            r.body
        );
    }
}

//! Log forwarders (`log_forwarders/*.json`), through the server's real router: the logs of
//! logins, auth triggers, function and service calls, endpoints and GraphQL requests reach a
//! collection one at a time and an app
//! function in batches, in App Services' log format, filtered by type and status; a
//! forwarder that names a missing function or writ's own database does not load.

mod common;

use std::{path::Path, time::Duration};

use axum::http::StatusCode;
use common::api::{APP, Api, limits, write};
use serde_json::{Value, json};

const FROM: &str = "10.9.0.1";

fn prepare(app: &Path) {
    let functions = [
        (
            "boom",
            "exports = (n) => { console.log('about to fail', n); throw new Error('boom ' + n); };",
        ),
        (
            "collectLogs",
            "exports = async (logs) => { await context.services.get('mongodb-atlas').db('logs').collection('batches') \
             .insertOne({n: logs.length, types: logs.map((l) => l.type), errors: logs.map((l) => l.error)}); };",
        ),
        (
            "readLogs",
            "exports = async (coll) => context.services.get('mongodb-atlas').db('logs').collection(coll) \
             .find({}, {_id: 0}).sort({started: 1}).toArray();",
        ),
        ("secretArgs", "exports = (password) => 'ok';"),
        (
            "onAnonymous",
            "exports = (event) => { console.log('created', event.operationType); };",
        ),
        (
            "ping",
            "exports = (request, response) => { response.setStatusCode(204); };",
        ),
    ];
    for (name, source) in functions {
        write(&app.join(format!("functions/{name}.js")), source);
    }
    let config: Value =
        serde_json::from_str(&std::fs::read_to_string(app.join("functions/config.json")).expect("config"))
            .expect("json");
    let mut entries = config.as_array().expect("entries").clone();
    entries.push(json!({"name": "readLogs", "run_as_system": true}));
    entries.push(json!({"name": "secretArgs", "disable_arg_logs": true}));
    entries.push(json!({"name": "ping", "run_as_system": true}));
    write(
        &app.join("functions/config.json"),
        &Value::Array(entries).to_string(),
    );
    write(
        &app.join("triggers/onAnonymous.json"),
        &json!({"name": "onAnonymous", "type": "AUTHENTICATION", "function_name": "onAnonymous",
            "config": {"operation_type": "CREATE", "providers": ["anon-user"]}})
        .to_string(),
    );
    write(
        &app.join("https_endpoints/config.json"),
        &json!([{"route": "/ping", "http_method": "POST", "function_name": "ping",
            "validation_method": "NO_VALIDATION"}])
        .to_string(),
    );
    let notes = app.join("data_sources/mongodb-atlas/logs/notes");
    write(
        &notes.join("schema.json"),
        &json!({"title": "Note", "properties": {"_id": {"bsonType": "objectId"}, "text": {"bsonType": "string"}}})
            .to_string(),
    );
    write(
        &notes.join("rules.json"),
        &json!({"roles": [{"name": "all", "apply_when": {}, "read": true, "write": false}]}).to_string(),
    );
    let forwarders = app.join("log_forwarders");
    write(
        &forwarders.join("everything.json"),
        &json!({"name": "everything", "log_types": ["auth", "function", "service", "trigger", "endpoint", "graphql"],
            "log_statuses": ["success", "error"], "policy": {"type": "single"},
            "action": {"type": "collection", "data_source": "mongodb-atlas", "database": "logs", "collection": "all"}})
        .to_string(),
    );
    write(
        &forwarders.join("failures.json"),
        &json!({"name": "failures", "log_types": ["function"], "log_statuses": ["error"],
            "policy": {"type": "batch"}, "action": {"type": "function", "name": "collectLogs"}})
        .to_string(),
    );
    write(
        &forwarders.join("off.json"),
        &json!({"name": "off", "disabled": true, "log_types": ["function"], "log_statuses": ["success"],
            "action": {"type": "function", "name": "noSuchFunction"}})
        .to_string(),
    );
}

async fn call(api: &Api, token: &str, name: &str, args: Value) -> common::api::Reply {
    let body = json!({"name": name, "arguments": args});
    api.send("POST", &format!("{APP}/functions/call"), Some(token), body, FROM)
        .await
}

/// The documents of `logs.<coll>`, read by a system function.
async fn read(api: &Api, token: &str, coll: &str) -> Vec<Value> {
    let r = call(api, token, "readLogs", json!([coll])).await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    r.body.as_array().expect("logs").clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn logs_reach_collections_and_functions_as_app_services_forwarded_them() {
    let api = Api::prepared(limits(), None, prepare).await;
    let login = api
        .send(
            "POST",
            &format!("{APP}/auth/providers/anon-user/login"),
            None,
            json!({}),
            FROM,
        )
        .await;
    assert_eq!(login.status, StatusCode::OK);
    let token = login.body["access_token"].as_str().expect("token").to_string();
    let user = login.body["user_id"].as_str().expect("id").to_string();
    assert_eq!(
        call(&api, &token, "hello", json!(["Ada"])).await.status,
        StatusCode::OK
    );
    for n in 1..=3 {
        let r = call(&api, &token, "boom", json!([n])).await;
        assert_eq!(r.code(), "FunctionExecutionError", "{:?}", r.body);
    }
    assert_eq!(
        call(&api, &token, "secretArgs", json!(["hunter2"])).await.status,
        StatusCode::OK
    );
    let ping = api
        .send("POST", "/app/writ-sample/endpoint/ping", None, json!({}), FROM)
        .await;
    assert_eq!(ping.status, StatusCode::NO_CONTENT, "{:?}", ping.body);
    let find = json!({"name": "findOne", "service": "mongodb-atlas",
        "arguments": [{"database": "custom-user-data-database", "collection": "custom-user-data", "query": {}}]});
    let r = api
        .send("POST", &format!("{APP}/functions/call"), Some(&token), find, FROM)
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    for query in ["{ notes { text } }", "{ notes { nope } }"] {
        let body = json!({"query": query});
        let r = api
            .send("POST", &format!("{APP}/graphql"), Some(&token), body, FROM)
            .await;
        assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    }
    // Single logs arrive at once; the batch of failures within its second.
    let mut logs = Vec::new();
    let mut batches = Vec::new();
    for _ in 0..50 {
        tokio::time::sleep(Duration::from_millis(100)).await;
        logs = read(&api, &token, "all").await;
        batches = read(&api, &token, "batches").await;
        if logs.len() >= 11 && !batches.is_empty() {
            break;
        }
    }
    let kinds: Vec<(&str, &str)> = logs
        .iter()
        .map(|l| {
            let name = l["function_name"]
                .as_str()
                .or(l["auth_event"]["provider"].as_str());
            let name = name.or(l["endpoint_route"].as_str());
            (l["type"].as_str().unwrap_or_default(), name.unwrap_or_default())
        })
        .collect();
    assert_eq!(
        &kinds[..11],
        [
            ("AUTH", "anon-user"),
            ("AUTH_TRIGGER", "onAnonymous"),
            ("FUNCTION", "hello"),
            ("FUNCTION", "boom"),
            ("FUNCTION", "boom"),
            ("FUNCTION", "boom"),
            ("FUNCTION", "secretArgs"),
            ("ENDPOINT", "/ping"),
            ("SERVICE_FUNCTION", "findOne"),
            ("GRAPHQL", ""),
            ("GRAPHQL", ""),
        ],
        "{logs:#?}"
    );
    let hello = &logs[2];
    assert_eq!(hello["user_id"], json!(user));
    assert_eq!(hello["remote_ip_address"], json!(FROM));
    assert_eq!(hello["status"], json!({"$numberInt": "200"}));
    assert_eq!(hello["function_call"]["arguments"], json!(["Ada"]));
    assert_eq!(hello["messages"], json!([format!("hello called by {user}")]));
    assert!(
        hello["co_id"].is_string() && hello["started"].get("$date").is_some(),
        "{hello}"
    );
    let boom = &logs[3];
    assert_eq!(boom["status"], json!({"$numberInt": "400"}));
    assert_eq!(boom["error_code"], json!("FunctionExecutionError"));
    assert!(
        boom["error"].as_str().unwrap_or_default().contains("boom 1"),
        "{boom}"
    );
    assert_eq!(boom["messages"], json!(["about to fail 1"]));
    assert_eq!(
        logs[6]["function_call"]["arguments"],
        json!([]),
        "disable_arg_logs hides them"
    );
    assert_eq!(logs[0]["user_id"], json!(user));
    assert_eq!(logs[1]["messages"], json!(["created CREATE"]));
    assert_eq!(logs[7]["status"], json!({"$numberInt": "204"}));
    // A GraphQL request is its user's; one that answers with `errors` is logged as failed.
    assert_eq!((&logs[9]["user_id"], logs[9].get("error")), (&json!(user), None));
    let unknown = logs[10]["error"].as_str().unwrap_or_default();
    assert!(unknown.contains("nope"), "{}", logs[10]);
    // The function forwarder took only the failures, in one batch.
    assert_eq!(batches.len(), 1, "{batches:?}");
    assert_eq!(batches[0]["n"], json!({"$numberInt": "3"}));
    assert_eq!(batches[0]["types"], json!(["FUNCTION", "FUNCTION", "FUNCTION"]));
    let errors = batches[0]["errors"].as_array().expect("errors");
    assert!(
        errors
            .iter()
            .all(|e| e.as_str().unwrap_or_default().contains("boom")),
        "{errors:?}"
    );
}

#[test]
fn forwarders_that_cannot_run_do_not_load() {
    for (action, expected) in [
        (
            json!({"type": "function", "name": "missing"}),
            "the function 'missing' does not exist",
        ),
        (
            json!({"type": "collection", "data_source": "mongodb-atlas", "database": "__writ_app", "collection": "x"}),
            "writ's own database",
        ),
        (
            json!({"type": "collection", "data_source": "mongodb-atlas", "database": "local", "collection": "oplog.rs"}),
            "MongoDB's own database",
        ),
        (
            json!({"type": "collection", "data_source": "mongodb-atlas", "database": "logs", "collection": "system.js"}),
            "MongoDB's own collections",
        ),
        (
            json!({"type": "collection", "data_source": "elsewhere", "database": "logs", "collection": "x"}),
            "the data source 'elsewhere' does not exist",
        ),
    ] {
        let dir = tempfile::tempdir().expect("tempdir");
        testkit::copy_sample_app(dir.path()).expect("copy");
        write(
            &dir.path().join("log_forwarders/bad.json"),
            &json!({"name": "bad", "log_types": ["function"], "log_statuses": ["error"], "action": action})
                .to_string(),
        );
        let error = loader::load(dir.path()).expect_err("refused").to_string();
        assert!(error.contains(expected), "{error}");
    }
}

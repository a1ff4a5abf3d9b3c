//! HTTPS endpoints and legacy webhooks of `tests/endpoints_app` (all three export layouts)
//! against a real `writ serve`, with a plain HTTP client as webhook senders and scripts use:
//! methods, query and body, each validation method, each authentication mode, the response
//! object, `respond_result`, return types, and the errors.

mod common;

use std::path::Path;

use common::{http, repo, serve_endpoints_app};
use hmac::{Hmac, Mac};
use serde_json::{Value, json};

const APP: &str = "endpoints-app-xyz";

fn endpoint(route: &str) -> String {
    format!("/app/{APP}/endpoint/{route}")
}

fn json_of(body: &str) -> Value {
    serde_json::from_str(body).unwrap_or_else(|e| panic!("not JSON ({e}): {body}"))
}

fn sign(body: &[u8]) -> String {
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(b"s3cr3t-hook").expect("key");
    mac.update(body);
    let bytes = mac.finalize().into_bytes();
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    format!("sha256={hex}")
}

/// Logs in through `provider` with `body`; returns the login's JSON answer.
fn login(base: &str, provider: &str, body: &Value) -> Value {
    let path = format!("/api/client/v2.0/app/{APP}/auth/providers/{provider}/login");
    let (status, answer) = common::request(base, &path, None, body);
    assert_eq!(status, 200, "{answer}");
    answer
}

#[test]
fn endpoints_in_every_layout_answer_as_app_services_did() {
    let dir = tempfile::tempdir().expect("tempdir");
    let server = serve_endpoints_app(&repo().join("tests/endpoints_app"), dir.path());
    let base = &server.base;

    // GET with a query: strings, decoded; no body; run as system (the function's config).
    let (status, head, body) = http(base, "GET", &endpoint("echo?a=1&b=two%20words&c=x+y"), &[], b"");
    assert_eq!(status, 200, "{body}");
    assert!(head.contains("content-type: application/json"), "{head}");
    let echo = json_of(&body);
    assert_eq!(echo["query"], json!({"a": "1", "b": "two words", "c": "x y"}));
    assert_eq!(echo["body"], Value::Null);
    assert_eq!(echo["system"], true);
    assert_eq!(echo["hasResponse"], true);
    // `context.request` of an endpoint's call names its method and URL.
    assert_eq!(echo["httpMethod"], "GET");
    assert!(
        echo["webhookUrl"]
            .as_str()
            .is_some_and(|u| u.starts_with("http://") && u.ends_with(&format!("/app/{APP}/endpoint/echo"))),
        "{echo}"
    );

    // POST: the raw body as a BSON.Binary, headers as arrays of strings.
    let raw = br#"{"hello": "world"}"#;
    let headers = [("Content-Type", "application/json")];
    let (status, _, body) = http(base, "POST", &endpoint("echo"), &headers, raw);
    assert_eq!(status, 200, "{body}");
    let echo = json_of(&body);
    assert_eq!(echo["body"], r#"{"hello": "world"}"#);
    assert_eq!(echo["bodyIsBinary"], true);
    assert_eq!(echo["contentType"], json!(["application/json"]));
    let (status, _, body) = http(
        base,
        "POST",
        &endpoint("echo"),
        &[("Content-Type", "text/plain")],
        b"not json \xff",
    );
    assert_eq!(status, 200, "{body}");
    assert_eq!(json_of(&body)["body"], "not json \u{fffd}");

    // `*` answers every method.
    for method in ["GET", "POST", "PUT", "PATCH", "DELETE"] {
        let (status, _, body) = http(base, method, &endpoint("any"), &[], b"");
        assert_eq!(status, 200, "{method}: {body}");
    }

    // SECRET_AS_QUERY_PARAM: right, wrong, missing; the function never sees the secret.
    let (status, _, body) = http(
        base,
        "POST",
        &endpoint("secret?secret=s3cr3t-hook&x=1"),
        &[],
        b"{}",
    );
    assert_eq!(status, 200, "{body}");
    assert_eq!(json_of(&body)["query"], json!({"x": "1"}));
    for path in ["secret?secret=wrong", "secret"] {
        let (status, _, body) = http(base, "POST", &endpoint(path), &[], b"{}");
        assert_eq!(status, 401, "{path}: {body}");
        assert_eq!(json_of(&body)["error_code"], "InvalidSecret");
    }

    // VERIFY_PAYLOAD: the HMAC of the raw body in `Endpoint-Signature`, as App Services
    // documented it (a legacy webhook's `X-Hook-Signature` is taken too).
    let payload = br#"{"event": "paid"}"#;
    let signature = sign(payload);
    for header in ["Endpoint-Signature", "X-Hook-Signature"] {
        let (status, _, body) = http(
            base,
            "POST",
            &endpoint("signed"),
            &[(header, &signature)],
            payload,
        );
        assert_eq!(status, 200, "{header}: {body}");
    }
    let tampered = br#"{"event": "refunded"}"#;
    let (status, _, _) = http(
        base,
        "POST",
        &endpoint("signed"),
        &[("Endpoint-Signature", &signature)],
        tampered,
    );
    assert_eq!(status, 401);
    let (status, _, _) = http(
        base,
        "POST",
        &endpoint("signed"),
        &[("Endpoint-Signature", "sha256=zz")],
        payload,
    );
    assert_eq!(status, 401);
    let (status, _, _) = http(base, "POST", &endpoint("signed"), &[], payload);
    assert_eq!(status, 401);

    // respond_result: false -> 204 without a body.
    let (status, _, body) = http(base, "POST", &endpoint("quiet"), &[], b"{}");
    assert_eq!((status, body.as_str()), (204, ""));

    // The response object: status, headers (repeated), body; the return value is ignored.
    let (status, head, body) = http(base, "GET", &endpoint("custom"), &[], b"");
    assert_eq!(status, 201);
    assert_eq!(body, "created by writ");
    assert!(head.contains("content-type: text/plain"), "{head}");
    assert!(
        head.contains("x-multi: a") && head.contains("x-multi: b"),
        "{head}"
    );

    // EJSON return type: exact types.
    let (status, _, body) = http(base, "GET", &endpoint("ejson"), &[], b"");
    assert_eq!(status, 200);
    assert_eq!(
        json_of(&body),
        json!({
            "int": {"$numberInt": "1"},
            "long": {"$numberLong": "5"},
            "double": {"$numberDouble": "1.5"},
            "date": {"$date": {"$numberLong": "0"}},
            "oid": {"$oid": "5f1a2b3c4d5e6f7a8b9c0d1e"},
        })
    );
    // The request's Accept chooses the other format: JSON, the types App Services' "Data
    // Formats" page gives (an ObjectId's hex, a date's RFC 3339 text, numbers as numbers).
    let (status, head, body) = http(
        base,
        "GET",
        &endpoint("ejson"),
        &[("Accept", "application/json")],
        b"",
    );
    assert_eq!(status, 200);
    assert!(head.contains("content-type: application/json"), "{head}");
    assert_eq!(
        json_of(&body),
        json!({
            "int": 1,
            "long": 5,
            "double": 1.5,
            "date": "1970-01-01T00:00:00Z",
            "oid": "5f1a2b3c4d5e6f7a8b9c0d1e",
        })
    );

    // Unknown and disabled routes, a method the route lacks, another app.
    for (method, path) in [
        ("GET", endpoint("nope")),
        ("GET", endpoint("off")),
        ("POST", endpoint("custom")),
    ] {
        let (status, _, body) = http(base, method, &path, &[], b"");
        assert_eq!(status, 404, "{method} {path}: {body}");
        assert_eq!(json_of(&body)["error_code"], "EndpointNotFound", "{body}");
    }
    let (status, _, body) = http(base, "GET", "/app/other-app/endpoint/echo", &[], b"");
    assert_eq!(
        (status, json_of(&body)["error_code"].clone()),
        (404, json!("AppNotFound"))
    );

    // The legacy incoming webhook: its own URL, its inline secret, run as system.
    let hook = format!("/api/client/v2.0/app/{APP}/service/legacy/incoming_webhook/ping");
    let (status, head, body) = http(
        base,
        "POST",
        &format!("{hook}?secret=legacy-secret"),
        &[],
        br#"{"ping": "x"}"#,
    );
    assert_eq!(status, 202, "{body}");
    assert!(head.contains("x-ping: pong"), "{head}");
    assert_eq!(json_of(&body), json!({"pong": "x", "query": {}, "system": true}));
    let (status, _, _) = http(
        base,
        "POST",
        &format!("{hook}?secret=nope"),
        &[],
        br#"{"ping": "x"}"#,
    );
    assert_eq!(status, 401);
    let (status, _, _) = http(base, "GET", &format!("{hook}?secret=legacy-secret"), &[], b"");
    assert_eq!(status, 404, "the webhook takes POST only");

    // A body over App Services' 18 MiB request limit is refused before any function runs: with
    // 413, or, when the server has answered and closed before the client finished sending,
    // by the closed connection; either way the server goes on serving.
    let huge = vec![b'x'; 19 * 1024 * 1024];
    let status = post_unread(base, &endpoint("echo"), &huge);
    assert!(matches!(status, None | Some(413)), "{status:?}");
    let (status, _, _) = http(base, "POST", &endpoint("echo"), &[], br#"{"after": 1}"#);
    assert_eq!(status, 200);
}

/// POSTs `body` to `path` on a fresh connection: the answer's status, or `None` when the server
/// closed the connection before reading the whole body (a send or read cut short).
fn post_unread(base: &str, path: &str, body: &[u8]) -> Option<u16> {
    use std::io::{Read, Write};
    let host = base.trim_start_matches("http://");
    let mut stream = std::net::TcpStream::connect(host).expect("connect");
    stream
        .set_read_timeout(Some(std::time::Duration::from_secs(60)))
        .expect("timeout");
    let head = format!(
        "POST {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    let sent = stream
        .write_all(head.as_bytes())
        .and_then(|()| stream.write_all(body));
    let mut response = Vec::new();
    let read = stream.read_to_end(&mut response);
    let text = String::from_utf8_lossy(&response);
    match (sent, read) {
        _ if text.starts_with("HTTP/1.1 ") => Some(common::status_of(&text)),
        (Err(e), _) | (Ok(()), Err(e))
            if matches!(
                e.kind(),
                std::io::ErrorKind::BrokenPipe | std::io::ErrorKind::ConnectionReset
            ) =>
        {
            None
        }
        (sent, read) => panic!("no answer: {sent:?} {read:?}"),
    }
}

#[test]
fn endpoints_run_as_the_user_the_request_names() {
    let dir = tempfile::tempdir().expect("tempdir");
    let app = repo().join("tests/endpoints_app");
    let server = serve_endpoints_app(&app, dir.path());
    let base = &server.base;

    // No credentials: App Services' MissingAuthReq.
    let (status, _, body) = http(base, "GET", &endpoint("me"), &[], b"");
    assert_eq!(status, 401, "{body}");
    assert_eq!(json_of(&body)["error_code"], "MissingAuthReq");

    // Authorization: Bearer <access token>.
    let anon = login(base, "anon-user", &json!({}));
    let bearer = format!("Bearer {}", anon["access_token"].as_str().expect("token"));
    let (status, _, body) = http(base, "GET", &endpoint("me"), &[("Authorization", &bearer)], b"");
    assert_eq!(status, 200, "{body}");
    assert_eq!(json_of(&body)["id"], anon["user_id"]);
    let (status, _, _) = http(
        base,
        "GET",
        &endpoint("me"),
        &[("Authorization", "Bearer forged")],
        b"",
    );
    assert_eq!(status, 401);

    // email + password headers.
    let register = format!("/api/client/v2.0/app/{APP}/auth/providers/local-userpass/register");
    let (status, _) = common::request(
        base,
        &register,
        None,
        &json!({"email": "ep@example.com", "password": "s3cret-pw"}),
    );
    assert_eq!(status, 201);
    let user = login(
        base,
        "local-userpass",
        &json!({"username": "ep@example.com", "password": "s3cret-pw"}),
    );
    let headers = [("email", "ep@example.com"), ("password", "s3cret-pw")];
    let (status, _, body) = http(base, "GET", &endpoint("me"), &headers, b"");
    assert_eq!(status, 200, "{body}");
    assert_eq!(json_of(&body)["id"], user["user_id"]);
    let wrong = [("email", "ep@example.com"), ("password", "wrong-pw")];
    let (status, _, _) = http(base, "GET", &endpoint("me"), &wrong, b"");
    assert_eq!(status, 401);

    // apiKey: a user API key made with the refresh token.
    let refresh = user["refresh_token"].as_str().expect("refresh token");
    let (status, key) = common::request(
        base,
        "/api/client/v2.0/auth/api_keys",
        Some(refresh),
        &json!({"name": "ep"}),
    );
    assert_eq!(status, 201, "{key}");
    let key = key["key"].as_str().expect("key").to_string();
    let (status, _, body) = http(base, "GET", &endpoint("me"), &[("apiKey", &key)], b"");
    assert_eq!(status, 200, "{body}");
    assert_eq!(json_of(&body)["id"], user["user_id"]);

    // jwtTokenString: refused for a user who does not exist yet (create_user_on_auth: false),
    // accepted once the custom-token login created them.
    let claims = json!({"sub": "jwt-user-1", "exp": 4_000_000_000u64, "name": "J"});
    let key = jsonwebtoken::EncodingKey::from_secret(b"endpoint-test-key");
    let jwt = jsonwebtoken::encode(&jsonwebtoken::Header::default(), &claims, &key).expect("jwt");
    let (status, _, body) = http(base, "GET", &endpoint("me"), &[("jwtTokenString", &jwt)], b"");
    assert_eq!(status, 401, "{body}");
    assert_eq!(json_of(&body)["error_code"], "UserNotFound");
    let jwt_user = login(base, "custom-token", &json!({"token": jwt}));
    let (status, _, body) = http(base, "GET", &endpoint("me"), &[("jwtTokenString", &jwt)], b"");
    assert_eq!(status, 200, "{body}");
    assert_eq!(json_of(&body)["id"], jwt_user["user_id"]);

    // A script chooses the user (run_as_user_id_script_source).
    let token = anon["access_token"].as_str().expect("token");
    let call = json!({"name": "setScriptUser", "arguments": [anon["user_id"]]});
    let (status, _) = common::request(
        base,
        &format!("/api/client/v2.0/app/{APP}/functions/call"),
        Some(token),
        &call,
    );
    assert_eq!(status, 200);
    let (status, _, body) = http(base, "GET", &endpoint("scripted"), &[], b"");
    assert_eq!(status, 200, "{body}");
    assert_eq!(json_of(&body)["id"], anon["user_id"]);
    // ... or the system user, with App Services' `{ runAsSystem: true }`.
    let call = json!({"name": "setScriptUser", "arguments": ["system"]});
    let path = format!("/api/client/v2.0/app/{APP}/functions/call");
    assert_eq!(common::request(base, &path, Some(token), &call).0, 200);
    let (status, _, body) = http(base, "GET", &endpoint("scripted"), &[], b"");
    assert_eq!(status, 200, "{body}");
    assert_eq!(json_of(&body)["type"], "system", "{body}");
    drop(server);

    // A fixed user (run_as_user_id), in a copy of the app configured with that user's id.
    let copy = tempfile::tempdir().expect("tempdir");
    copy_dir(&app, copy.path());
    let config_path = copy.path().join("functions/config.json");
    let mut config: Value = json_of(&std::fs::read_to_string(&config_path).expect("config"));
    for entry in config.as_array_mut().expect("array") {
        if entry["name"] == "scriptedWhoAmI" {
            *entry = json!({"name": "scriptedWhoAmI", "private": true, "run_as_user_id": user["user_id"]});
        }
    }
    std::fs::write(&config_path, config.to_string()).expect("write");
    let server = serve_endpoints_app(copy.path(), dir.path());
    let (status, _, body) = http(&server.base, "GET", &endpoint("scripted"), &[], b"");
    assert_eq!(status, 200, "{body}");
    assert_eq!(json_of(&body)["id"], user["user_id"]);
}

fn copy_dir(from: &std::path::Path, to: &std::path::Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for entry in std::fs::read_dir(from).expect("read dir") {
        let entry = entry.expect("entry");
        let target = to.join(entry.file_name());
        if entry.path().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).expect("copy");
        }
    }
}

/// One Data API action by the request's credentials; status and JSON answer.
fn data(base: &str, action: &str, credentials: &[(&str, &str)], body: &Value) -> (u16, Value) {
    let mut headers = vec![("Content-Type", "application/json")];
    headers.extend_from_slice(credentials);
    let path = endpoint(&format!("data/v1/action/{action}"));
    let (status, _, text) = http(base, "POST", &path, &headers, body.to_string().as_bytes());
    (status, json_of(&text))
}

/// A Data API body for collection `db.coll`, with `extra`'s fields.
fn on(db: &str, coll: &str, extra: Value) -> Value {
    let mut body = json!({"dataSource": "Cluster0", "database": db, "collection": coll});
    for (k, v) in extra.as_object().expect("object") {
        body[k] = v.clone();
    }
    body
}

fn on_notes(extra: Value) -> Value {
    on("endpoints", "notes", extra)
}

#[test]
fn the_data_api_runs_every_action_under_the_rules() {
    let dir = tempfile::tempdir().expect("tempdir");
    let server = serve_endpoints_app(&repo().join("tests/endpoints_app"), dir.path());
    let base = &server.base;
    let alice = login(base, "anon-user", &json!({}));
    let bob = login(base, "anon-user", &json!({}));
    let a = alice["user_id"].as_str().expect("id").to_string();
    let a_bearer = format!("Bearer {}", alice["access_token"].as_str().expect("token"));
    let b_bearer = format!("Bearer {}", bob["access_token"].as_str().expect("token"));
    let as_a = [("Authorization", a_bearer.as_str())];
    let as_b = [("Authorization", b_bearer.as_str())];

    let (status, answer) = data(
        base,
        "insertOne",
        &as_a,
        &on_notes(json!({"document": {"owner": a, "n": 1, "text": "one"}})),
    );
    assert_eq!(status, 201, "{answer}");
    // JSON answers (the default): the ObjectId is its hex string, as App Services wrote it.
    let hex = |v: &Value| {
        v.as_str()
            .is_some_and(|s| s.len() == 24 && s.bytes().all(|b| b.is_ascii_hexdigit()))
    };
    assert!(hex(&answer["insertedId"]), "{answer}");
    let docs = json!([{"owner": a, "n": 2, "text": "two"}, {"owner": a, "n": 3, "text": "three"}]);
    let (status, answer) = data(base, "insertMany", &as_a, &on_notes(json!({"documents": docs})));
    assert_eq!(status, 201, "{answer}");
    assert_eq!(answer["insertedIds"].as_array().map(Vec::len), Some(2));

    // Another user inserting for alice is refused; reading sees only their own (none).
    let (status, answer) = data(
        base,
        "insertOne",
        &as_b,
        &on_notes(json!({"document": {"owner": a, "n": 9}})),
    );
    assert_eq!(status, 403, "{answer}");
    let (status, answer) = data(base, "find", &as_b, &on_notes(json!({"filter": {}})));
    assert_eq!((status, answer), (200, json!({"documents": []})));

    // Reads, in relaxed JSON.
    let (status, answer) = data(
        base,
        "findOne",
        &as_a,
        &on_notes(json!({"filter": {"n": 1}, "projection": {"_id": 0, "text": 1}})),
    );
    assert_eq!((status, answer), (200, json!({"document": {"text": "one"}})));
    let find = json!({"filter": {"n": {"$gte": 2}}, "projection": {"_id": 0, "n": 1}, "sort": {"n": -1}, "limit": 5, "skip": 0});
    let (status, answer) = data(base, "find", &as_a, &on_notes(find));
    assert_eq!(
        (status, answer),
        (200, json!({"documents": [{"n": 3}, {"n": 2}]}))
    );
    let pipeline = json!([{"$group": {"_id": null, "total": {"$sum": "$n"}}}]);
    let (status, answer) = data(base, "aggregate", &as_a, &on_notes(json!({"pipeline": pipeline})));
    assert_eq!(
        (status, answer),
        (200, json!({"documents": [{"_id": null, "total": 6}]}))
    );

    // Writes.
    let (status, answer) = data(
        base,
        "updateOne",
        &as_a,
        &on_notes(json!({"filter": {"n": 1}, "update": {"$set": {"text": "uno"}}})),
    );
    assert_eq!(
        (status, answer),
        (200, json!({"matchedCount": 1, "modifiedCount": 1}))
    );
    let upsert =
        json!({"filter": {"n": 4, "owner": a}, "update": {"$set": {"text": "four"}}, "upsert": true});
    let (status, answer) = data(base, "updateMany", &as_a, &on_notes(upsert));
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["matchedCount"], 0);
    assert!(hex(&answer["upsertedId"]), "{answer}");
    let replace = json!({"filter": {"n": 4}, "replacement": {"owner": a, "n": 4, "text": "IV"}});
    let (status, answer) = data(base, "replaceOne", &as_a, &on_notes(replace));
    assert_eq!(
        (status, answer),
        (200, json!({"matchedCount": 1, "modifiedCount": 1}))
    );
    let (status, answer) = data(
        base,
        "updateMany",
        &as_b,
        &on_notes(json!({"filter": {}, "update": {"$set": {"text": "bob was here"}}})),
    );
    assert_eq!(
        (status, answer),
        (200, json!({"matchedCount": 0, "modifiedCount": 0})),
        "bob reaches none of alice's"
    );
    // The collection's schema binds the Data API's writes too: nothing of a refused one lands.
    let (status, answer) = data(
        base,
        "updateMany",
        &as_a,
        &on_notes(json!({"filter": {}, "update": {"$set": {"text": 4}}})),
    );
    assert_eq!(status, 400, "{answer}");
    assert_eq!(answer["error_code"], "SchemaValidationFailedWrite", "{answer}");
    assert!(
        answer["error"]
            .as_str()
            .is_some_and(|e| e.contains("text: expected type string, found int")),
        "{answer}"
    );
    let (_, answer) = data(base, "findOne", &as_a, &on_notes(json!({"filter": {"n": 1}})));
    assert_eq!(answer["document"]["text"], "uno", "{answer}");
    let (status, answer) = data(base, "deleteOne", &as_a, &on_notes(json!({"filter": {"n": 4}})));
    assert_eq!((status, answer), (200, json!({"deletedCount": 1})));
    let (status, answer) = data(base, "deleteMany", &as_b, &on_notes(json!({"filter": {}})));
    assert_eq!((status, answer), (200, json!({"deletedCount": 0})));
    let (status, answer) = data(
        base,
        "deleteMany",
        &as_a,
        &on_notes(json!({"filter": {"n": {"$gt": 1}}})),
    );
    assert_eq!((status, answer), (200, json!({"deletedCount": 2})));

    // EJSON in (Content-Type) and out (Accept): exact types.
    let body = on_notes(
        json!({"document": {"owner": a, "n": {"$numberLong": "5"}, "at": {"$date": {"$numberLong": "0"}}}}),
    );
    let headers = [
        ("Content-Type", "application/ejson"),
        ("Accept", "application/ejson"),
        ("Authorization", a_bearer.as_str()),
    ];
    let (status, _, text) = http(
        base,
        "POST",
        &endpoint("data/v1/action/insertOne"),
        &headers,
        body.to_string().as_bytes(),
    );
    assert_eq!(status, 201, "{text}");
    let find =
        on_notes(json!({"filter": {"n": {"$numberLong": "5"}}, "projection": {"_id": 0, "n": 1, "at": 1}}));
    let (status, head, text) = http(
        base,
        "POST",
        &endpoint("data/beta/action/findOne"),
        &headers,
        find.to_string().as_bytes(),
    );
    assert_eq!(status, 200, "{text}");
    assert!(head.contains("content-type: application/ejson"), "{head}");
    assert_eq!(
        json_of(&text),
        json!({"document": {"n": {"$numberLong": "5"}, "at": {"$date": {"$numberLong": "0"}}}})
    );
    // The same document in the JSON format: the long a number, the date its text.
    let (status, head, text) = http(
        base,
        "POST",
        &endpoint("data/v1/action/findOne"),
        &[("Authorization", a_bearer.as_str())],
        find.to_string().as_bytes(),
    );
    assert_eq!(status, 200, "{text}");
    assert!(head.contains("content-type: application/json"), "{head}");
    assert_eq!(
        json_of(&text),
        json!({"document": {"n": 5, "at": "1970-01-01T00:00:00Z"}})
    );

    // Every action again with EJSON bodies and answers: counts and numbers keep their types.
    let ejson = |action: &str, body: Value| -> (u16, Value) {
        let headers = [
            ("Content-Type", "application/ejson"),
            ("Accept", "application/ejson"),
            ("Authorization", a_bearer.as_str()),
        ];
        let path = endpoint(&format!("data/v1/action/{action}"));
        let (status, _, text) = http(
            base,
            "POST",
            &path,
            &headers,
            on_notes(body).to_string().as_bytes(),
        );
        (status, json_of(&text))
    };
    let int = |n: i32| json!({"$numberInt": n.to_string()});
    let (status, answer) = ejson(
        "insertMany",
        json!({"documents": [{"owner": a, "e": int(1)}, {"owner": a, "e": int(2)}]}),
    );
    assert_eq!(status, 201, "{answer}");
    assert!(answer["insertedIds"][1]["$oid"].is_string(), "{answer}");
    let (_, answer) = ejson(
        "find",
        json!({"filter": {"e": {"$exists": true}}, "projection": {"_id": 0, "e": 1}, "sort": {"e": int(1)}}),
    );
    assert_eq!(answer, json!({"documents": [{"e": int(1)}, {"e": int(2)}]}));
    let (_, answer) = ejson(
        "findOne",
        json!({"filter": {"e": int(2)}, "projection": {"_id": 0, "e": 1}}),
    );
    assert_eq!(answer, json!({"document": {"e": int(2)}}));
    let (_, answer) = ejson(
        "updateOne",
        json!({"filter": {"e": int(1)}, "update": {"$inc": {"e": int(10)}}}),
    );
    assert_eq!(answer, json!({"matchedCount": int(1), "modifiedCount": int(1)}));
    let (_, answer) = ejson(
        "updateMany",
        json!({"filter": {"e": {"$exists": true}}, "update": {"$set": {"f": true}}}),
    );
    assert_eq!(answer, json!({"matchedCount": int(2), "modifiedCount": int(2)}));
    let (_, answer) = ejson(
        "replaceOne",
        json!({"filter": {"e": int(2)}, "replacement": {"owner": a, "e": int(3)}}),
    );
    assert_eq!(answer, json!({"matchedCount": int(1), "modifiedCount": int(1)}));
    let pipeline =
        json!([{"$match": {"e": {"$exists": true}}}, {"$group": {"_id": null, "sum": {"$sum": "$e"}}}]);
    let (_, answer) = ejson("aggregate", json!({"pipeline": pipeline}));
    assert_eq!(answer, json!({"documents": [{"_id": null, "sum": int(14)}]}));
    let (_, answer) = ejson("deleteOne", json!({"filter": {"e": int(3)}}));
    assert_eq!(answer, json!({"deletedCount": int(1)}));
    let (_, answer) = ejson("deleteMany", json!({"filter": {"e": {"$exists": true}}}));
    assert_eq!(answer, json!({"deletedCount": int(1)}));

    // Other credentials: email + password headers.
    let register = format!("/api/client/v2.0/app/{APP}/auth/providers/local-userpass/register");
    let (status, _) = common::request(
        base,
        &register,
        None,
        &json!({"email": "data@example.com", "password": "s3cret-pw"}),
    );
    assert_eq!(status, 201);
    let carol = [("email", "data@example.com"), ("password", "s3cret-pw")];
    let (status, answer) = data(base, "find", &carol, &on_notes(json!({})));
    assert_eq!((status, answer), (200, json!({"documents": []})));
    // apiKey, and jwtTokenString (its user must exist: create_user_on_auth is false).
    let carol_login = login(
        base,
        "local-userpass",
        &json!({"username": "data@example.com", "password": "s3cret-pw"}),
    );
    let refresh = carol_login["refresh_token"].as_str().expect("refresh token");
    let (status, key) = common::request(
        base,
        "/api/client/v2.0/auth/api_keys",
        Some(refresh),
        &json!({"name": "data"}),
    );
    assert_eq!(status, 201, "{key}");
    let insert = on_notes(json!({"document": {"owner": carol_login["user_id"], "by": "key"}}));
    let (status, answer) = data(
        base,
        "insertOne",
        &[("apiKey", key["key"].as_str().expect("key"))],
        &insert,
    );
    assert_eq!(status, 201, "{answer}");
    let claims = json!({"sub": "data-jwt-user", "exp": 4_000_000_000u64});
    let secret = jsonwebtoken::EncodingKey::from_secret(b"endpoint-test-key");
    let jwt = jsonwebtoken::encode(&jsonwebtoken::Header::default(), &claims, &secret).expect("jwt");
    let (status, answer) = data(
        base,
        "find",
        &[("jwtTokenString", jwt.as_str())],
        &on_notes(json!({})),
    );
    assert_eq!(
        (status, answer["error_code"].clone()),
        (401, json!("UserNotFound"))
    );
    login(base, "custom-token", &json!({"token": jwt}));
    let (status, answer) = data(
        base,
        "find",
        &[("jwtTokenString", jwt.as_str())],
        &on_notes(json!({})),
    );
    assert_eq!((status, answer), (200, json!({"documents": []})));

    // Bad requests get the error shape, never a 500.
    type Case<'a> = (&'a str, &'a [(&'a str, &'a str)], Value, u16, &'a str);
    let bad: [Case; 7] = [
        ("find", &[], on_notes(json!({})), 401, "MissingAuthReq"),
        (
            "find",
            &as_a,
            json!({"database": "endpoints", "collection": "notes"}),
            400,
            "InvalidParameter",
        ),
        (
            "find",
            &as_a,
            json!({"dataSource": "Nope", "database": "endpoints", "collection": "notes"}),
            400,
            "InvalidParameter",
        ),
        (
            "dropDatabase",
            &as_a,
            on_notes(json!({})),
            400,
            "InvalidParameter",
        ),
        (
            "find",
            &as_a,
            on_notes(json!({"filter": 5})),
            400,
            "InvalidParameter",
        ),
        (
            "find",
            &as_a,
            on_notes(json!({"bogus": 1})),
            400,
            "InvalidParameter",
        ),
        (
            "find",
            &as_a,
            json!({"dataSource": "mongodb-atlas", "database": format!("__writ_{APP}"), "collection": "users"}),
            403,
            "PermissionDenied",
        ),
    ];
    for (action, credentials, body, want_status, want_code) in bad {
        let (status, answer) = data(base, action, credentials, &body);
        assert_eq!(status, want_status, "{action} {body}: {answer}");
        assert_eq!(answer["error_code"], want_code, "{action} {body}: {answer}");
    }
    let headers = [
        ("Content-Type", "application/json"),
        ("Authorization", a_bearer.as_str()),
    ];
    let (status, _, text) = http(
        base,
        "POST",
        &endpoint("data/v1/action/find"),
        &headers,
        b"{not json",
    );
    assert_eq!(status, 400, "{text}");
    assert_eq!(json_of(&text)["error_code"], "InvalidParameter");
    let (status, _, _) = http(base, "POST", &endpoint("data/v2/action/find"), &headers, b"{}");
    assert_eq!(status, 404);
    // Hostile input: a filter nested 100,000 levels deep is refused, and the server goes on.
    let deep = format!(
        r#"{{"dataSource": "Cluster0", "database": "endpoints", "collection": "notes", "filter": {}1{}}}"#,
        r#"{"a":"#.repeat(100_000),
        "}".repeat(100_000)
    );
    let (status, _, text) = http(
        base,
        "POST",
        &endpoint("data/v1/action/find"),
        &headers,
        deep.as_bytes(),
    );
    assert_eq!(status, 400, "{}", &text[..text.len().min(200)]);
    let (status, _) = data(base, "find", &as_a, &on_notes(json!({})));
    assert_eq!(status, 200);
}

/// Every custom-function login runs app code: failed attempts from one address are throttled
/// like failed password logins (429 before the function runs again).
/// The Data API in App Services' "System" mode needs no credentials and skips the rules: a
/// stranger reaches all the app's data that way, by the app's choice, but never writ's own
/// (users, sessions, the signing key) or MongoDB's, directly or through a pipeline.
#[test]
fn the_data_api_as_system_never_reaches_writs_own_data() {
    let dir = tempfile::tempdir().expect("tempdir");
    let app = dir.path().join("app");
    copy_dir(&repo().join("tests/endpoints_app"), &app);
    let config = app.join("http_endpoints/data_api_config.json");
    let mut c: Value = json_of(&std::fs::read_to_string(&config).expect("config"));
    c["run_as_system"] = json!(true);
    std::fs::write(&config, c.to_string()).expect("write");
    let server = serve_endpoints_app(&app, &dir.path().join("data"));
    let base = &server.base;
    login(base, "anon-user", &json!({}));
    let internal = format!("__writ_{APP}");
    let (status, answer) = data(base, "insertOne", &[], &on_notes(json!({"document": {"n": 1}})));
    assert_eq!(status, 201, "{answer}");
    for (action, body) in [
        ("find", on(&internal, "keys", json!({}))),
        ("find", on("local", "oplog.rs", json!({}))),
        (
            "aggregate",
            on_notes(json!({"pipeline": [{"$merge": {"into": {"db": internal, "coll": "keys"}}}]})),
        ),
        (
            "aggregate",
            on_notes(json!({"pipeline": [{"$out": {"db": internal, "coll": "users"}}]})),
        ),
        (
            "aggregate",
            on_notes(
                json!({"pipeline": [{"$lookup": {"from": {"db": internal, "coll": "keys"}, "pipeline": [], "as": "k"}}]}),
            ),
        ),
    ] {
        let (status, answer) = data(base, action, &[], &body);
        assert_eq!(status, 403, "{action} {body}: {answer}");
        assert_eq!(
            answer["error_code"], "PermissionDenied",
            "{action} {body}: {answer}"
        );
    }
    let (status, answer) = data(base, "find", &[], &on_notes(json!({})));
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["documents"].as_array().map(Vec::len), Some(1), "{answer}");
}

#[test]
fn custom_function_logins_are_throttled_per_address() {
    let dir = tempfile::tempdir().expect("tempdir");
    let app = repo().join("tests/endpoints_app");
    let server = common::serve_endpoints_app_with(&app, dir.path(), &["--login-throttle-address", "3/300"]);
    let path = format!("/api/client/v2.0/app/{APP}/auth/providers/custom-function/login");
    let wrong = json!({"username": "mallory", "pin": 1});
    for _ in 0..3 {
        let (status, answer) = common::request(&server.base, &path, None, &wrong);
        assert_eq!(status, 401, "{answer}");
    }
    let (status, answer) = common::request(&server.base, &path, None, &wrong);
    assert_eq!(
        (status, answer["error_code"].clone()),
        (429, json!("TooManyRequests"))
    );
    let right = json!({"username": "alice", "pin": 1234});
    let (status, _) = common::request(&server.base, &path, None, &right);
    assert_eq!(status, 429, "the address is throttled whatever it sends");
}

#[test]
fn static_hosting_serves_the_apps_files_at_the_root() {
    let server = common::serve_prepared(false, &["--no-watch"], |app| {
        let files = [
            (
                "hosting/config.json",
                r#"{"enabled": true, "app_default_domain": "app-abcde.mongodbstitch.com", "default_response_code": 200, "default_error_path": "/index.html"}"#,
            ),
            (
                "hosting/metadata.json",
                r#"[{"path": "/assets/app.js", "attrs": [{"name": "Cache-Control", "value": "public, max-age=31536000"}]},
                    {"path": "/data.bin", "attrs": [{"name": "Content-Type", "value": "application/x-custom"}]}]"#,
            ),
            ("hosting/files/index.html", "<html>the app</html>"),
            ("hosting/files/assets/app.js", "console.log('hi')"),
            ("hosting/files/data.bin", "1234"),
            ("hosting/files/docs/index.html", "<html>docs</html>"),
            ("functions/secret.txt", "not hosted"),
        ];
        for (file, text) in files {
            let path = app.join(file);
            std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
            std::fs::write(path, text).expect("write");
        }
        // Links: one that stays inside hosting/files, and ones that lead out of it.
        let files = app.join("hosting/files");
        let link = |to: &Path, at: &str| std::os::unix::fs::symlink(to, files.join(at)).expect("symlink");
        link(Path::new("assets/app.js"), "alias.js");
        link(Path::new("../../functions/secret.txt"), "leak.txt");
        link(&app.join("functions"), "out");
        std::fs::create_dir(files.join("trap")).expect("mkdir");
        link(Path::new("../../../functions/secret.txt"), "trap/index.html");
    });
    let base = &server.process.base;
    let get = |path: &str| http(base, "GET", path, &[], b"");

    let (status, head, body) = get("/");
    assert_eq!((status, body.as_str()), (200, "<html>the app</html>"));
    assert!(head.contains("content-type: text/html"), "{head}");
    let (status, head, body) = get("/assets/app.js");
    assert_eq!((status, body.as_str()), (200, "console.log('hi')"));
    assert!(head.contains("cache-control: public, max-age=31536000"), "{head}");
    assert!(head.contains("javascript"), "{head}");
    let (_, head, _) = get("/data.bin");
    assert!(
        head.contains("content-type: application/x-custom"),
        "metadata replaces the guess: {head}"
    );
    assert_eq!(get("/docs/").2, "<html>docs</html>");
    let (status, head, body) = http(base, "HEAD", "/assets/app.js", &[], b"");
    assert_eq!((status, body.as_str()), (200, ""));
    assert!(head.contains("content-length: 17"), "{head}");

    // A single-page app's routes get its index.html with 200 (default_error_path).
    let (status, _, body) = get("/settings/profile");
    assert_eq!((status, body.as_str()), (200, "<html>the app</html>"));

    // Nothing outside hosting/files is reachable, however the path is spelled.
    for path in [
        "/../functions/secret.txt",
        "/%2e%2e/functions/secret.txt",
        "/assets/%2e%2e/%2e%2e/functions/secret.txt",
        "/..%2ffunctions%2fsecret.txt",
        "/assets/..%5c..%5cfunctions%5csecret.txt",
        "//etc/passwd",
        "/leak.txt",
        "/out/secret.txt",
        "/%6Fut/secret.txt",
        "/trap/",
        "/trap/index.html",
    ] {
        let (_, _, body) = get(path);
        assert!(
            !body.contains("not hosted") && !body.contains("root:"),
            "{path}: {body}"
        );
    }

    assert_eq!(
        get("/leak.txt").0,
        404,
        "a link out of hosting/files is not followed"
    );
    assert_eq!(get("/alias.js").2, "console.log('hi')", "a link inside it is");

    // The API keeps its routes; other methods on a hosted path are not served.
    let (status, _, body) = get("/api/client/v2.0/app/no-such-app/location");
    assert_ne!(status, 200, "{body}");
    let (status, _, body) = get("/api/client/v2.0/no-such-route");
    assert_eq!(
        status, 404,
        "an API path without a route is the API's 404, not the app's page"
    );
    assert!(body.contains("NotFound"), "{body}");
    let (status, _, body) = http(base, "POST", "/index.html", &[], b"x");
    assert_eq!(status, 404, "{body}");
    assert!(body.contains("NotFound"), "{body}");

    // The GraphQL API answers, and needs an access token.
    let (status, _, body) = http(
        base,
        "POST",
        "/api/client/v2.0/app/writ-sample/graphql",
        &[],
        b"{}",
    );
    assert_eq!(status, 401, "{body}");
    // What writ does not run says so, in App Services' error format.
    let (status, _, body) = get("/api/client/v2.0/app/x/realm-sync");
    assert_eq!(status, 501, "{body}");
    assert!(body.contains("Device Sync is not run by writ"), "{body}");

    // writ check lists the hosting as loaded, its files as one entry.
    let check = std::process::Command::new(env!("CARGO_BIN_EXE_writ"))
        .args(["check", "--app"])
        .arg(&server.app_dir)
        .output()
        .expect("writ check");
    let out = String::from_utf8_lossy(&check.stdout);
    assert!(check.status.success(), "{out}");
    for line in [
        "loaded        hosting/config.json",
        "loaded        hosting/files/",
    ] {
        assert!(out.contains(line), "{line}: {out}");
    }
    assert!(!out.contains("hosting/files/index.html"), "{out}");
}

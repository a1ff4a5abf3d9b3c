//! The `writ` binary from the shell: `writ call` and `writ check` as a user runs them.

mod common;

use std::{path::Path, process::Command};

fn writ(args: &[&str], dir: &Path) -> (i32, String, String) {
    writ_env(args, dir, &[])
}

fn writ_env(args: &[&str], dir: &Path, env: &[(&str, &str)]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_writ"))
        .args(args)
        .current_dir(dir)
        .env_remove("WRIT_ENVIRONMENT")
        .envs(env.iter().copied())
        .output()
        .expect("run writ");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn call_prints_the_result_as_ejson_and_the_logs() {
    let (code, out, err) = writ(
        &[
            "call",
            "hello",
            "--args",
            r#"["world"]"#,
            "--user-json",
            r#"{"id": "u-42"}"#,
        ],
        repo(),
    );
    assert_eq!(code, 0, "{err}");
    assert_eq!(out.trim(), r#""Hello, world!""#);
    assert!(err.contains("[log] hello called by u-42"), "{err}");
}

#[test]
fn call_keeps_bson_types_in_arguments_and_results() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::create_dir(dir.path().join("functions")).expect("mkdir");
    std::fs::write(dir.path().join("functions/echo.js"), "exports = (x) => x;").expect("write");
    let args = r#"[{"id": {"$oid": "5f1f216e82df4a7979f9da93"}, "n": {"$numberLong": "9007199254740993"}, "d": {"$numberDecimal": "1.10"}}]"#;
    let (code, out, err) = writ(&["call", "echo", "--args", args, "--app", "."], dir.path());
    assert_eq!(code, 0, "{err}");
    assert_eq!(
        out.trim(),
        r#"{"id":{"$oid":"5f1f216e82df4a7979f9da93"},"n":9007199254740993,"d":{"$numberDecimal":"1.10"}}"#
    );
}

#[test]
fn process_env_holds_only_what_the_operator_gives_functions() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::create_dir(dir.path().join("functions")).expect("mkdir");
    let source = "exports = () => { const before = JSON.stringify(process.env); process.env.N = 1; \
                  return [before, process.env.N, typeof process.env.PATH]; };";
    std::fs::write(dir.path().join("functions/env.js"), source).expect("write");
    // By default functions see no environment, not even the server's PATH.
    let (code, out, err) = writ(&["call", "env", "--app", "."], dir.path());
    assert_eq!(code, 0, "{err}");
    assert_eq!(out.trim(), r#"["{}","1","undefined"]"#);
    // NAME=VALUE as given; NAME passes the server's own value.
    let args = [
        "call",
        "env",
        "--app",
        ".",
        "--function-env",
        "REGION=eu-west-1,API_TOKEN",
    ];
    let (code, out, err) = writ_env(&args, dir.path(), &[("API_TOKEN", "t0k3n")]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(
        out.trim(),
        r#"["{\"API_TOKEN\":\"t0k3n\",\"REGION\":\"eu-west-1\"}","1","undefined"]"#
    );
    // A name the server does not have is an error, not an empty variable.
    let (code, _, err) = writ(
        &[
            "call",
            "env",
            "--app",
            ".",
            "--function-env",
            "NO_SUCH_VARIABLE_X",
        ],
        dir.path(),
    );
    assert_ne!(code, 0);
    assert!(
        err.contains("no environment variable NO_SUCH_VARIABLE_X"),
        "{err}"
    );
}

#[test]
fn call_failures_exit_non_zero_with_the_error() {
    let (code, _, err) = writ(&["call", "nope"], repo());
    assert_ne!(code, 0);
    assert!(
        err.contains("function not found: 'nope' (FunctionNotFound)"),
        "{err}"
    );
    let (code, _, err) = writ(&["call", "hello", "--args", "{not json"], repo());
    assert_ne!(code, 0);
    assert!(err.contains("--args is not valid JSON"), "{err}");
    let (code, _, err) = writ(&["call", "hello", "--args", r#"{"a": 1}"#], repo());
    assert_ne!(code, 0);
    assert!(err.contains("--args must be an EJSON array"), "{err}");
}

#[test]
fn call_reports_a_thrown_error() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::create_dir(dir.path().join("functions")).expect("mkdir");
    std::fs::write(
        dir.path().join("functions/boom.js"),
        "exports = () => { throw new TypeError('boom'); };",
    )
    .expect("write");
    let (code, _, err) = writ(&["call", "boom", "--app", "."], dir.path());
    assert_ne!(code, 0);
    assert!(err.contains("TypeError: boom"), "{err}");
}

#[test]
fn check_lists_every_problem_with_file_and_line() {
    let dir = tempfile::tempdir().expect("tempdir");
    let f = dir.path().join("functions");
    std::fs::create_dir_all(f.join("utils")).expect("mkdir");
    // `broken` is listed too: its syntax error is its one problem, not also "has no file".
    std::fs::write(
        f.join("config.json"),
        r#"[{"name": "good"}, {"name": "ghost"}, {"name": "broken"}]"#,
    )
    .expect("write");
    std::fs::write(f.join("good.js"), "exports = () => 1;").expect("write");
    std::fs::write(
        f.join("broken.js"),
        "exports = function () {\n  return 1 +;\n};\n",
    )
    .expect("write");
    std::fs::write(f.join("utils/also.js"), "exports = function (\n").expect("write");
    let (code, _, err) = writ(&["check", "--app", "."], dir.path());
    assert_ne!(code, 0);
    assert!(err.contains("3 problem(s)"), "{err}");
    assert!(err.contains("functions/broken.js:2:"), "{err}");
    assert!(err.contains("functions/utils/also.js:"), "{err}");
    assert!(
        err.contains("function 'ghost' has no file functions/ghost.js"),
        "{err}"
    );
    assert!(!err.contains("'broken' has no file"), "{err}");
}

/// An app cannot make writ's own users, sessions and keys its custom user data (which would
/// put them into every access token and index writ's own collections), nor MongoDB's own
/// databases and collections.
#[test]
fn custom_user_data_in_writs_own_database_is_refused() {
    for (db, coll, why) in [
        ("__writ_writ-sample", "users", "writ's own database"),
        ("admin", "system.users", "MongoDB's own database"),
        ("app", "system.js", "MongoDB's own collections"),
    ] {
        let dir = tempfile::tempdir().expect("tempdir");
        testkit::copy_sample_app(dir.path()).expect("copy");
        std::fs::write(
            dir.path().join("auth/custom_user_data.json"),
            format!(
                r#"{{"enabled": true, "database_name": "{db}", "collection_name": "{coll}", "user_id_field": "_id"}}"#
            ),
        )
        .expect("write");
        let (code, _, err) = writ(&["check", "--app", "."], dir.path());
        assert_ne!(code, 0);
        assert!(
            err.contains("auth/custom_user_data.json") && err.contains(why),
            "{db}.{coll}: {err}"
        );
    }
}

#[test]
fn check_passes_on_the_sample_app() {
    let (code, out, err) = writ(&["check"], repo());
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("writeCustomUserData"), "{out}");
    assert!(out.contains("utils/greeting (private)"), "{out}");
}

#[test]
fn write_custom_user_data_inserts_once_then_updates_with_exact_types() {
    let uri = testkit::mongodb_uri();
    let user = format!("user-{}", std::process::id());
    let call = |food: &str| {
        let args = format!(
            r#"[{{"favoriteFood": "{food}", "lastUpdated": {{"$date": {{"$numberLong": "1700000000000"}}}}, "visits": {{"$numberLong": "9007199254740993"}}}}]"#
        );
        let out = Command::new(env!("CARGO_BIN_EXE_writ"))
            .args([
                "call",
                "writeCustomUserData",
                "--user-json",
                &format!(r#"{{"id": "{user}"}}"#),
            ])
            .args(["--args", &args])
            .current_dir(repo())
            .env("MONGODB_URI", &uri)
            .output()
            .expect("run writ");
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("EJSON on stdout");
        v
    };
    let first = call("pizza");
    assert_eq!(first["matchedCount"], 0);
    assert_eq!(first["modifiedCount"], 0);
    assert!(first["upsertedId"]["$oid"].is_string(), "{first}");
    let second = call("pasta");
    assert_eq!(
        second,
        serde_json::json!({"matchedCount": 1, "modifiedCount": 1}),
        "no upsertedId the second time"
    );

    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("rt");
    let doc = rt.block_on(async {
        let client = mongodb::Client::with_uri_str(&uri).await.expect("client");
        let coll = client
            .database("custom-user-data-database")
            .collection::<bson::Document>("custom-user-data");
        coll.find_one(bson::doc! { "userId": &user }).await.expect("find")
    });
    let doc = doc.expect("the document exists");
    assert_eq!(doc.get("favoriteFood"), Some(&bson::Bson::String("pasta".into())));
    assert_eq!(
        doc.get("lastUpdated"),
        Some(&bson::Bson::DateTime(bson::DateTime::from_millis(
            1_700_000_000_000
        )))
    );
    assert_eq!(doc.get("visits"), Some(&bson::Bson::Int64(9_007_199_254_740_993)));
    assert!(matches!(doc.get("_id"), Some(bson::Bson::ObjectId(_))));
}

#[test]
fn without_mongodb_the_sample_function_runs_on_the_embedded_store_and_survives_a_restart() {
    let data = tempfile::tempdir().expect("tempdir");
    let call = |food: &str| {
        let args = format!(
            r#"[{{"favoriteFood": "{food}", "lastUpdated": {{"$date": {{"$numberLong": "1700000000000"}}}}}}]"#
        );
        let out = Command::new(env!("CARGO_BIN_EXE_writ"))
            .args([
                "call",
                "writeCustomUserData",
                "--user-json",
                r#"{"id": "u-1"}"#,
                "--args",
                &args,
            ])
            .arg("--data")
            .arg(data.path())
            .current_dir(repo())
            .env_remove("MONGODB_URI")
            .output()
            .expect("run writ");
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        serde_json::from_slice::<serde_json::Value>(&out.stdout).expect("EJSON on stdout")
    };
    let first = call("pizza");
    assert!(first["upsertedId"]["$oid"].is_string(), "{first}");
    // A new process: the document written by the first one is there.
    let second = call("pasta");
    assert_eq!(second, serde_json::json!({"matchedCount": 1, "modifiedCount": 1}));
    let third = call("pasta");
    assert_eq!(
        third,
        serde_json::json!({"matchedCount": 1, "modifiedCount": 0}),
        "same value: matched, not modified"
    );
}

/// The line `writ check` prints for `file`.
fn line_for<'a>(out: &'a str, file: &str) -> &'a str {
    out.lines()
        .find(|l| l.split_whitespace().any(|w| w == file))
        .unwrap_or_else(|| panic!("no line for {file} in:\n{out}"))
}

#[test]
fn check_lists_what_it_does_with_each_file_of_the_exported_example() {
    let app = repo().join("examples/exported-app");
    let app = app.to_str().expect("utf-8 path");
    let secret = [("WRIT_SECRET_exampleApiKey", "s")];
    let (code, out, err) = writ_env(&["check", "--app", app], repo(), &secret);
    assert_eq!(code, 0, "{out}{err}");
    for (file, status) in [
        ("functions/onUserCreation.js", "loaded"),
        ("triggers/onLogin.json", "loaded"),
        ("values/apiKey.json", "loaded"),
        ("environments/development.json", "loaded"),
        ("environments/production.json", "ignored"),
        ("auth/providers.json", "loaded"),
        ("sync/config.json", "unsupported"),
        ("triggers/onColorChange.json", "loaded"),
    ] {
        assert!(line_for(&out, file).starts_with(status), "{file}: {out}");
    }
    assert!(
        line_for(&out, "data_sources/mongodb-atlas/exported-app/users/schema.json").starts_with("loaded")
    );
    assert!(
        line_for(&out, "data_sources/mongodb-atlas/exported-app/notes/rules.json").starts_with("loaded"),
        "{out}"
    );
    assert!(
        line_for(
            &out,
            "data_sources/mongodb-atlas/exported-app/users/relationships.json"
        )
        .starts_with("loaded"),
        "{out}"
    );
    assert!(
        out.contains("24 loaded, 0 validated but not enforced, 1 unsupported"),
        "{out}"
    );

    // Another environment is selected by WRIT_ENVIRONMENT.
    let env = [secret[0], ("WRIT_ENVIRONMENT", "production")];
    let (code, out, _) = writ_env(&["check", "--app", app], repo(), &env);
    assert_eq!(code, 0);
    assert!(
        line_for(&out, "environments/production.json").starts_with("loaded"),
        "{out}"
    );

    // A secret-backed value without its secret is a broken configuration.
    let (code, _, err) = writ_env(&["check", "--app", app], repo(), &[]);
    assert_ne!(code, 0);
    assert!(
        err.contains(
            "values/apiKey.json: value 'apiKey' reads secret 'exampleApiKey': set WRIT_SECRET_exampleApiKey"
        ),
        "{err}"
    );
}

#[test]
fn check_passes_with_every_unsupported_part_and_fails_on_a_broken_trigger() {
    let dir = tempfile::tempdir().expect("tempdir");
    let files = [
        ("functions/hello.js", "exports = () => 1;"),
        ("sync/config.json", "{}"),
        ("http_endpoints/config.json", "[]"),
        ("hosting/config.json", "{}"),
        ("services/twilio/config.json", "{}"),
        (
            "triggers/toEventBridge.json",
            r#"{"name": "toEventBridge", "type": "DATABASE", "config": {"operation_types": ["INSERT"]}, "event_processors": {"AWS_EVENTBRIDGE": {"config": {"account_id": "1", "region": "us-east-1"}}}}"#,
        ),
        (
            "triggers/nightly.json",
            r#"{"name": "nightly", "type": "SCHEDULED", "config": {"schedule": "0 3 * * *"}, "function_name": "hello"}"#,
        ),
        ("data_sources/mongodb-atlas/db/coll/schema.json", "{}"),
        ("graphql/config.json", "{}"),
        (
            "graphql/custom_resolvers/total.json",
            r#"{"on_type": "Query", "field_name": "total", "function_name": "hello"}"#,
        ),
        (
            "data_sources/mongodb-atlas/db/strict/schema.json",
            r#"{"bsonType": "object", "if": {"required": ["a"]}}"#,
        ),
        (
            "data_sources/mongodb-atlas/db/guarded/rules.json",
            r#"{"roles": [{"name": "r", "apply_when": {"%%user.id": {"$in": "%%root.shared_with"}}, "read": true}]}"#,
        ),
        (
            "triggers/onSchema.json",
            r#"{"name": "onSchema", "type": "DATABASE", "config": {"database": "db", "collection": "c", "operation_types": ["INSERT"], "match": {"$jsonSchema": {"required": ["a"]}}}, "function_name": "hello"}"#,
        ),
        (
            "triggers/onDrop.json",
            r#"{"name": "onDrop", "type": "DATABASE", "config": {"database": "db", "operation_types": ["DELETE", "DROP_COLLECTION"]}, "function_name": "hello"}"#,
        ),
        (
            "log_forwarders/errors.json",
            r#"{"name": "errors", "log_types": ["function"], "log_statuses": ["error"], "action": {"type": "function", "name": "hello"}}"#,
        ),
    ];
    for (file, text) in files {
        let path = dir.path().join(file);
        std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        std::fs::write(path, text).expect("write");
    }
    let (code, out, err) = writ(&["check", "--app", "."], dir.path());
    assert_eq!(code, 0, "{out}{err}");
    // What every export carries, empty, is "nothing configured", not "unsupported".
    for (file, _) in &files[1..4] {
        assert!(line_for(&out, file).starts_with("ignored"), "{file}: {out}");
    }
    for (file, _) in &files[4..6] {
        assert!(line_for(&out, file).starts_with("unsupported"), "{file}: {out}");
    }
    assert!(
        line_for(&out, "log_forwarders/errors.json").starts_with("loaded"),
        "{out}"
    );
    // The GraphQL API is generated, with its custom resolvers.
    assert!(
        line_for(&out, "graphql/config.json").starts_with("loaded"),
        "{out}"
    );
    assert!(
        line_for(&out, "graphql/custom_resolvers/total.json").starts_with("loaded"),
        "{out}"
    );
    assert!(
        line_for(&out, "triggers/nightly.json").starts_with("loaded"),
        "{out}"
    );
    // Collection and database events are not delivered, but the trigger loads for the rest.
    assert!(
        line_for(&out, "triggers/onDrop.json").contains(
            "database trigger onDrop: loaded, but writ does not deliver collection and database events (DROP_COLLECTION)"
        ),
        "{out}"
    );
    // A trigger whose match writ cannot evaluate is left out, not the app.
    let line = line_for(&out, "triggers/onSchema.json");
    assert!(line.starts_with("unsupported"), "{out}");
    assert!(
        line.contains("database trigger onSchema: not run, its match uses the query operator $jsonSchema"),
        "{out}"
    );
    // Rules writ cannot evaluate fail closed for their collection; the app loads.
    let line = line_for(&out, "data_sources/mongodb-atlas/db/guarded/rules.json");
    assert!(line.starts_with("unsupported"), "{out}");
    assert!(
        line.contains("'%%root.shared_with'") && line.contains("users get no access here"),
        "{out}"
    );
    // So do schemas: users may not write to the collection.
    let line = line_for(&out, "data_sources/mongodb-atlas/db/strict/schema.json");
    assert!(line.starts_with("unsupported"), "{out}");
    assert!(
        line.contains("the schema keyword 'if' is not supported by writ yet")
            && line.contains("users may not write here"),
        "{out}"
    );
    assert!(
        out.contains("6 loaded, 1 validated but not enforced, 5 unsupported, 3 ignored"),
        "{out}"
    );

    let trigger = r#"{"name": "onLogin", "type": "AUTHENTICATION", "config": {"operation_type": "LOGIN"}, "function_name": "missing"}"#;
    std::fs::write(dir.path().join("triggers/onLogin.json"), trigger).expect("write");
    let (code, _, err) = writ(&["check", "--app", "."], dir.path());
    assert_ne!(code, 0);
    assert!(
        err.contains("triggers/onLogin.json: the trigger's function 'missing' does not exist"),
        "{err}"
    );
}

#[test]
fn check_reads_null_as_the_empty_list_an_export_means() {
    // App Services' exports are written by Go, which writes an empty list as `null`.
    let dir = tempfile::tempdir().expect("tempdir");
    for (file, text) in [
        ("functions/hello.js", "exports = () => 1;"),
        ("functions/config.json", "null"),
        ("https_endpoints/config.json", "null\n"),
    ] {
        let path = dir.path().join(file);
        std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        std::fs::write(path, text).expect("write");
    }
    let (code, out, err) = writ(&["check", "--app", "."], dir.path());
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        line_for(&out, "https_endpoints/config.json").contains("no endpoints configured"),
        "{out}"
    );
    // A file that is not JSON at all is still a problem.
    std::fs::write(dir.path().join("https_endpoints/config.json"), "nul").expect("write");
    let (code, _, err) = writ(&["check", "--app", "."], dir.path());
    assert_ne!(code, 0);
    assert!(err.contains("https_endpoints/config.json:1:"), "{err}");
}

#[test]
fn check_names_npm_dependencies_that_are_not_installed() {
    let dir = tempfile::tempdir().expect("tempdir");
    let functions = dir.path().join("functions");
    std::fs::create_dir_all(functions.join("node_modules/present")).expect("mkdir");
    std::fs::write(functions.join("node_modules/present/package.json"), "{}").expect("write");
    std::fs::write(functions.join("hello.js"), "exports = () => require('present');").expect("write");
    // Required by name (a file of the package, an opening import): a problem.
    std::fs::write(
        functions.join("fp.js"),
        "import { map } from '@scope/pkg';\nexports = () => require(\"lodash/fp\").map;",
    )
    .expect("write");
    // Named only in a comment, or not at all: a warning, as App Services installed them all.
    std::fs::write(
        functions.join("old.js"),
        "// const f = require('firebase-admin');\nexports = () => 1;",
    )
    .expect("write");
    let manifest = r#"{"dependencies": {"present": "1.0.0", "lodash": "^4", "@scope/pkg": "1", "firebase-admin": "9", "mongoose": "8"}}"#;
    std::fs::write(functions.join("package.json"), manifest).expect("write");
    let (code, _, err) = writ(&["check", "--app", "."], dir.path());
    assert_ne!(code, 0);
    assert!(
        err.contains(
            "functions/package.json: dependencies not installed: @scope/pkg, lodash; run `npm install` in functions/"
        ),
        "{err}"
    );
    assert!(!err.contains("mongoose"), "{err}");
    std::fs::write(
        functions.join("package.json"),
        r#"{"dependencies": {"present": "1", "firebase-admin": "9", "mongoose": "8"}}"#,
    )
    .expect("write");
    std::fs::remove_file(functions.join("fp.js")).expect("rm");
    let (code, out, err) = writ(&["check", "--app", "."], dir.path());
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        out.contains(
            "warning: functions/package.json:1: dependencies not installed: firebase-admin, mongoose; no function requires them by name"
        ),
        "{out}"
    );
    assert!(
        line_for(&out, "functions/node_modules/").starts_with("loaded"),
        "{out}"
    );
    // A call that requires one anyway fails with the module's name.
    std::fs::write(
        functions.join("late.js"),
        "exports = () => { const name = 'mongoose'; return require(name); };",
    )
    .expect("write");
    std::fs::write(
        functions.join("config.json"),
        r#"[{"name": "late"}, {"name": "hello"}, {"name": "old"}]"#,
    )
    .expect("write");
    let (code, out, err) = writ(&["call", "late", "--app", "."], dir.path());
    assert_ne!(code, 0, "{out}");
    assert!(err.contains("mongoose"), "{err}");
}

#[test]
fn check_warns_about_apis_writ_does_not_offer_by_file_and_line() {
    let dir = tempfile::tempdir().expect("tempdir");
    let functions = dir.path().join("functions");
    std::fs::create_dir_all(&functions).expect("mkdir");
    let source = "exports = async function () {\n  const hooks = require('async_hooks');\n  const path = require('path');\n  \
                  return crypto.publicEncrypt(k, b);\n};\n";
    std::fs::write(functions.join("legacy.js"), source).expect("write");
    // A third-party HTTP service with a rule: run by writ, so loaded and not warned about.
    let http = dir.path().join("services/mail");
    std::fs::create_dir_all(http.join("rules")).expect("mkdir");
    std::fs::write(http.join("config.json"), r#"{"name": "mail", "type": "http"}"#).expect("write");
    std::fs::write(
        http.join("rules/post.json"),
        r#"{"name": "post", "actions": ["post"], "when": {}}"#,
    )
    .expect("write");
    // A third-party Twilio service of an older export, and a function that gets it.
    let service = dir.path().join("services/sms");
    std::fs::create_dir_all(&service).expect("mkdir");
    std::fs::write(
        service.join("config.json"),
        r#"{"name": "sms", "type": "twilio", "config": {}}"#,
    )
    .expect("write");
    std::fs::write(
        functions.join("mail.js"),
        "exports = async function (m) {\n  return context.services.get(\"sms\").send({ to: '+1555', body: m });\n};\n",
    )
    .expect("write");
    let (code, out, err) = writ(&["check", "--app", "."], dir.path());
    assert!(
        out.contains("warning: functions/mail.js:2: context.services.get('sms'): the third-party twilio service 'sms' is not run by writ"),
        "{out}"
    );
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        out.contains(
            "warning: functions/legacy.js:2: require('async_hooks'): writ does not support Node's 'async_hooks' module yet"
        ),
        "{out}"
    );
    assert!(
        out.contains("warning: functions/legacy.js:4: crypto.publicEncrypt is not supported by writ yet"),
        "{out}"
    );
    assert!(!out.contains("legacy.js:3"), "{out}");
    assert!(
        line_for(&out, "services/mail/rules/post.json").starts_with("loaded"),
        "{out}"
    );
    assert!(
        line_for(&out, "services/mail/config.json").starts_with("loaded"),
        "{out}"
    );
}

/// Writes a package `tiny` (and a file outside it, for the escape check) as `node_modules`
/// into `dir/pack/`, ready to be archived.
fn tiny_package(dir: &Path) -> std::path::PathBuf {
    let pack = dir.join("pack");
    let tiny = pack.join("node_modules/tiny");
    std::fs::create_dir_all(&tiny).expect("mkdir");
    std::fs::write(
        tiny.join("package.json"),
        r#"{"name": "tiny", "main": "lib/main.js"}"#,
    )
    .expect("write");
    std::fs::create_dir_all(tiny.join("lib")).expect("mkdir");
    std::fs::write(tiny.join("lib/main.js"), "module.exports = (s) => `tiny:${s}`;").expect("write");
    pack
}

#[test]
fn packed_node_modules_archives_are_unpacked_and_required() {
    for (name, args) in [
        ("node_modules.tar.gz", vec!["-czf"]),
        ("node_modules.tar", vec!["-cf"]),
    ] {
        let dir = tempfile::tempdir().expect("tempdir");
        let pack = tiny_package(dir.path());
        let app = dir.path().join("app");
        std::fs::create_dir_all(app.join("functions")).expect("mkdir");
        std::fs::write(
            app.join("functions/useTiny.js"),
            "exports = () => require('tiny')('ok');",
        )
        .expect("write");
        std::fs::write(
            app.join("functions/package.json"),
            r#"{"dependencies": {"tiny": "1.0.0"}}"#,
        )
        .expect("write");
        let status = Command::new("tar")
            .args(&args)
            .arg(app.join("functions").join(name))
            .arg("-C")
            .arg(&pack)
            .arg("node_modules")
            .status()
            .expect("tar");
        assert!(status.success());
        let cache = dir.path().join("cache");
        let env = [("WRIT_MODULES_CACHE", cache.to_str().expect("utf-8"))];
        let (code, out, err) = writ_env(&["call", "useTiny", "--app", "app"], dir.path(), &env);
        assert_eq!(code, 0, "{name}: {out}{err}");
        assert_eq!(out.trim(), "\"tiny:ok\"", "{name}");
        // The second load reuses what the first unpacked.
        let (code, out, _) = writ_env(&["call", "useTiny", "--app", "app"], dir.path(), &env);
        assert_eq!((code, out.trim()), (0, "\"tiny:ok\""));
        let (code, out, err) = writ_env(&["check", "--app", "app"], dir.path(), &env);
        assert_eq!(code, 0, "{out}{err}");
        assert!(
            line_for(&out, &format!("functions/{name}")).starts_with("loaded"),
            "{out}"
        );
    }
}

#[test]
fn a_zip_entry_that_leaves_node_modules_is_refused() {
    let dir = tempfile::tempdir().expect("tempdir");
    let functions = dir.path().join("functions");
    std::fs::create_dir_all(&functions).expect("mkdir");
    std::fs::write(functions.join("hello.js"), "exports = () => 1;").expect("write");
    // A zip whose one entry is named ../../escaped.js (stored, no compression).
    let name = b"../../escaped.js";
    let data = b"module.exports = 1;";
    let crc = {
        let mut c: u32 = !0;
        for &b in data {
            c ^= u32::from(b);
            for _ in 0..8 {
                c = if c & 1 == 1 {
                    0xedb8_8320 ^ (c >> 1)
                } else {
                    c >> 1
                };
            }
        }
        !c
    };
    let mut zip = Vec::new();
    let local = |z: &mut Vec<u8>| {
        z.extend_from_slice(&[0x50, 0x4b, 0x03, 0x04, 20, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
        z.extend_from_slice(&crc.to_le_bytes());
        z.extend_from_slice(&(data.len() as u32).to_le_bytes());
        z.extend_from_slice(&(data.len() as u32).to_le_bytes());
        z.extend_from_slice(&(name.len() as u16).to_le_bytes());
        z.extend_from_slice(&[0, 0]);
        z.extend_from_slice(name);
        z.extend_from_slice(data);
    };
    local(&mut zip);
    let central_at = zip.len() as u32;
    zip.extend_from_slice(&[0x50, 0x4b, 0x01, 0x02, 20, 0, 20, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    zip.extend_from_slice(&crc.to_le_bytes());
    zip.extend_from_slice(&(data.len() as u32).to_le_bytes());
    zip.extend_from_slice(&(data.len() as u32).to_le_bytes());
    zip.extend_from_slice(&(name.len() as u16).to_le_bytes());
    zip.extend_from_slice(&[0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    zip.extend_from_slice(name);
    let central_len = zip.len() as u32 - central_at;
    zip.extend_from_slice(&[0x50, 0x4b, 0x05, 0x06, 0, 0, 0, 0, 1, 0, 1, 0]);
    zip.extend_from_slice(&central_len.to_le_bytes());
    zip.extend_from_slice(&central_at.to_le_bytes());
    zip.extend_from_slice(&[0, 0]);
    std::fs::write(functions.join("node_modules.zip"), zip).expect("write");
    let cache = dir.path().join("cache");
    let env = [("WRIT_MODULES_CACHE", cache.to_str().expect("utf-8"))];
    let (code, _, err) = writ_env(&["check", "--app", "."], dir.path(), &env);
    assert_ne!(code, 0);
    assert!(
        err.contains("functions/node_modules.zip: cannot unpack node_modules"),
        "{err}"
    );
    assert!(err.contains("would land outside node_modules"), "{err}");
    assert!(!dir.path().join("escaped.js").exists() && !cache.join("escaped.js").exists());
}

#[test]
fn call_as_a_stored_user_loads_them_as_serve_would() {
    let dir = tempfile::tempdir().expect("tempdir");
    let app = dir.path().join("app");
    testkit::copy_sample_app(&app).expect("copy");
    std::fs::write(
        app.join("functions/whoami.js"),
        "exports = () => ({ id: context.user.id, type: context.user.type, providers: context.user.identities.map((i) => i.provider_type), favorite: context.user.custom_data.favorite });",
    )
    .expect("write");
    let data = dir.path().join("data");
    let run = |extra: &[&str]| {
        let out = Command::new(env!("CARGO_BIN_EXE_writ"))
            .args(["call", "whoami", "--app"])
            .arg(&app)
            .arg("--data")
            .arg(&data)
            .args(extra)
            .env_remove("MONGODB_URI")
            .output()
            .expect("writ call");
        (
            out.status.success(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    // A user made the way clients make them: an anonymous login on `writ serve`, whose custom
    // data document a function then writes.
    let user_id = {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_writ"));
        cmd.args(["serve", "--listen", "127.0.0.1:0", "--no-watch", "--app"])
            .arg(&app)
            .arg("--data")
            .arg(&data)
            .env("WRIT_LOG", "warn")
            .env_remove("MONGODB_URI");
        let server = testkit::Listening::start(&mut cmd).expect("serve");
        let login = std::process::Command::new("curl")
            .args([
                "-s",
                "-X",
                "POST",
                "-H",
                "Content-Type: application/json",
                "-d",
                "{}",
            ])
            .arg(format!(
                "{}/api/client/v2.0/app/writ-sample/auth/providers/anon-user/login",
                server.base
            ))
            .output()
            .expect("curl");
        let body: serde_json::Value = serde_json::from_slice(&login.stdout).expect("login json");
        let token = body["access_token"].as_str().expect("token").to_string();
        let id = body["user_id"].as_str().expect("user id").to_string();
        let call = format!(
            r#"{{"name": "writeCustomUserData", "arguments": [{{"favorite": "tea", "userId": "{id}"}}]}}"#
        );
        let out = std::process::Command::new("curl")
            .args(["-s", "-X", "POST", "-H", "Content-Type: application/json"])
            .args(["-H", &format!("Authorization: Bearer {token}"), "-d", &call])
            .arg(format!(
                "{}/api/client/v2.0/app/writ-sample/functions/call",
                server.base
            ))
            .output()
            .expect("curl");
        assert!(
            String::from_utf8_lossy(&out.stdout).contains("upsertedId"),
            "{}",
            String::from_utf8_lossy(&out.stdout)
        );
        // While the server holds the store, `writ call` runs the function in it, through the
        // data directory's control socket (owner-only), as the same stored user.
        let (ok, out, err) = run(&["--user-id", &id]);
        assert!(ok, "{err}");
        assert!(out.contains("\"favorite\":\"tea\""), "{out}");
        let socket = data.join("writ.sock");
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(&socket).expect("socket").permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "only the data directory's owner may connect");
        another_user_cannot_call(dir.path(), &data, &socket);
        let other = dir.path().join("other-app");
        testkit::copy_sample_app(&other).expect("copy");
        let out = Command::new(env!("CARGO_BIN_EXE_writ"))
            .args(["call", "hello", "--app"])
            .arg(&other)
            .arg("--data")
            .arg(&data)
            .env_remove("MONGODB_URI")
            .output()
            .expect("writ call");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            !out.status.success() && err.contains("serves"),
            "another app is refused: {err}"
        );
        // Options the server would not apply are refused, not silently dropped.
        let (ok, _, err) = run(&["--user-id", &id, "--function-env", "X=1"]);
        assert!(!ok && err.contains("that server's --function-env"), "{err}");
        id
    };
    let (ok, out, err) = run(&["--user-id", &user_id]);
    assert!(ok, "{err}");
    let got: serde_json::Value = serde_json::from_str(out.trim()).expect("json");
    assert_eq!(
        got,
        serde_json::json!({"id": user_id, "type": "normal", "providers": ["anon-user"], "favorite": "tea"})
    );
    let (ok, _, err) = run(&["--user-id", "0123456789abcdef01234567"]);
    assert!(!ok && err.contains("no user with id"), "{err}");
    let (ok, out, err) = run(&[
        "--user-json",
        r#"{"id": "new-user", "custom_data": {"favorite": "coffee"}}"#,
    ]);
    assert!(ok, "{err}");
    assert!(out.contains(r#""favorite":"coffee""#), "{out}");
    // The server indexed the custom user data collection by its user id field: logins and the
    // function's upsert find the caller's document without reading every other user's.
    let store = store::Store::open(&data).expect("open the store");
    let ns = store::Ns::new("custom-user-data-database", "custom-user-data").expect("ns");
    let fields: Vec<String> = store
        .indexes(&ns)
        .expect("indexes")
        .into_iter()
        .map(|i| i.field)
        .collect();
    assert_eq!(fields, ["userId"]);
}

/// Issue 17, item 11: a call's `console` output is in `writ serve`'s log at the default level,
/// at its own level, tagged with the function and the user (as App Services' logs showed it).
#[test]
fn serve_logs_console_output_at_the_default_level_tagged_with_the_function() {
    let dir = tempfile::tempdir().expect("tempdir");
    let app = dir.path().join("app");
    testkit::copy_sample_app(&app).expect("copy");
    std::fs::write(
        app.join("functions/shout.js"),
        "exports = () => { console.log('marker-1234'); console.warn('careful-5678'); return 1; };",
    )
    .expect("write");
    let config = app.join("functions/config.json");
    let mut functions: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&config).expect("config")).expect("json");
    functions
        .as_array_mut()
        .expect("array")
        .push(serde_json::json!({"name": "shout", "private": false}));
    std::fs::write(&config, functions.to_string()).expect("write config");
    let log = dir.path().join("serve.log");
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_writ"));
    cmd.args(["serve", "--listen", "127.0.0.1:0", "--no-watch", "--app"])
        .arg(&app)
        .arg("--data")
        .arg(dir.path().join("data"))
        .env_remove("WRIT_LOG")
        .env_remove("MONGODB_URI")
        .stderr(std::fs::File::create(&log).expect("log file"));
    let server = testkit::Listening::start(&mut cmd).expect("serve");
    let token = common::anonymous(&server.base);
    let body = serde_json::json!({"name": "shout", "arguments": []});
    let (status, answer) = common::request(
        &server.base,
        &format!("{}/functions/call", common::APP),
        Some(&token),
        &body,
    );
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer, serde_json::json!({"$numberInt": "1"}));
    drop(server);
    let text = std::fs::read_to_string(&log).expect("log");
    let line = |marker: &str| {
        text.lines()
            .find(|l| l.contains(marker))
            .unwrap_or_default()
            .to_string()
    };
    let info = line("console: marker-1234");
    assert!(info.contains("INFO") && info.contains("shout"), "{text}");
    let warn = line("console: careful-5678");
    assert!(warn.contains("WARN") && warn.contains("shout"), "{text}");
}

#[test]
fn a_local_call_as_a_user_meets_rules_that_call_functions() {
    // The exported example's notes collection: its role calls `canTakeNotes` (`%function`),
    // which a local `writ call` runs as `writ serve` does.
    let dir = tempfile::tempdir().expect("tempdir");
    let app = dir.path().join("app");
    testkit::copy_dir(&repo().join("examples/exported-app"), &app).expect("copy the example");
    std::fs::write(
        app.join("functions/addNote.js"),
        "exports = async (text) => { const notes = context.services.get('mongodb-atlas').db('exported-app').collection('notes'); \
         await notes.insertOne({owner_id: context.user.id, text}); return notes.count({}); };",
    )
    .expect("write");
    let (app, data) = (app.to_str().expect("utf-8"), dir.path().join("data"));
    let data = data.to_str().expect("utf-8");
    let as_user = |provider: &str| {
        let user = format!(
            r#"{{"id": "u-{provider}", "identities": [{{"id": "i", "provider_type": "{provider}"}}]}}"#
        );
        let args = [
            "call",
            "addNote",
            "--args",
            r#"["hello"]"#,
            "--user-json",
            &user,
            "--app",
            app,
            "--data",
            data,
        ];
        writ_env(&args, repo(), &[("WRIT_SECRET_exampleApiKey", "s")])
    };
    let (code, out, err) = as_user("local-userpass");
    assert_eq!((code, out.trim()), (0, "1"), "{out}{err}");
    // An anonymous user gets no role: the insert is refused and the function throws.
    let (code, out, err) = as_user("anon-user");
    assert_ne!(code, 0, "{out}{err}");
    assert!(
        err.contains("insert not permitted") || err.contains("not permitted"),
        "{out}{err}"
    );
}

#[test]
fn check_names_can_evaluate_rules_writ_cannot_evaluate() {
    let dir = tempfile::tempdir().expect("tempdir");
    testkit::copy_sample_app(dir.path()).expect("copy the sample app");
    let config = |rule: serde_json::Value| {
        let functions = serde_json::json!([
            {"name": "writeCustomUserData"},
            {"name": "hello", "can_evaluate": rule},
            {"name": "utils/greeting", "private": true}
        ]);
        std::fs::write(dir.path().join("functions/config.json"), functions.to_string()).expect("write");
        let (code, out, err) = writ(&["check", "--app", "."], dir.path());
        assert_eq!(code, 0, "{out}{err}");
        line_for(&out, "functions/config.json").to_string()
    };
    // What writ evaluates: the request, functions, the `%` operator forms.
    let fine = serde_json::json!({"%%request.remoteIPAddress": {"%in": ["10.0.0.1"]},
        "%%true": {"%function": {"name": "utils/greeting"}}});
    assert!(config(fine).starts_with("loaded"));
    for (rule, named) in [
        (serde_json::json!({"%%partition": "p"}), "'%%partition'"),
        (serde_json::json!({"%%root.owner": "%%user.id"}), "'%%root.owner'"),
    ] {
        let line = config(rule);
        assert!(line.starts_with("unsupported"), "{line}");
        assert!(
            line.contains("can_evaluate of 'hello'") && line.contains(named),
            "{line}"
        );
    }
}

/// Plays another local user against the control socket of a running server, with the path to
/// it and the socket opened to everyone (an operator's loose directory, or the moment between
/// `bind` and the socket's `chmod`): the server closes the connection unanswered. Needs root
/// (to act as `nobody`) and `setpriv`; says so and checks nothing otherwise.
fn another_user_cannot_call(top: &Path, data: &Path, socket: &Path) {
    use std::os::unix::fs::PermissionsExt as _;
    // SAFETY: geteuid has no preconditions.
    let root = unsafe { libc::geteuid() } == 0;
    let setpriv = Command::new("setpriv")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !root || !setpriv {
        eprintln!("another_user_cannot_call: needs root and setpriv; not checked here");
        return;
    }
    let open =
        |p: &Path, mode| std::fs::set_permissions(p, std::fs::Permissions::from_mode(mode)).expect("chmod");
    open(top, 0o711);
    open(data, 0o711);
    open(socket, 0o777);
    let body = r#"{"app": "/nonexistent", "function": "hello", "args": [], "user_id": null, "user": null}"#;
    let curl = |as_nobody: bool| {
        let mut cmd = if as_nobody {
            let mut c = Command::new("setpriv");
            c.args(["--reuid=65534", "--regid=65534", "--clear-groups", "curl"]);
            c
        } else {
            Command::new("curl")
        };
        cmd.args(["-s", "--max-time", "10", "--unix-socket"])
            .arg(socket)
            .args(["-X", "POST", "-H", "Content-Type: application/json", "-d", body])
            .arg("http://writ/call")
            .output()
            .expect("curl")
    };
    // The server's own user is answered (the app path is refused, by the handler).
    let mine = curl(false);
    assert!(
        String::from_utf8_lossy(&mine.stdout).contains("serves"),
        "{mine:?}"
    );
    let theirs = curl(true);
    assert!(
        !theirs.status.success() && theirs.stdout.is_empty(),
        "another user got an answer: {theirs:?}"
    );
    open(socket, 0o600);
    open(data, 0o700);
    open(top, 0o700);
}

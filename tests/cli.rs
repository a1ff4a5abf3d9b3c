//! The `writ` binary from the shell: `writ call` and `writ check` as a user runs them.

use std::{path::Path, process::Command};

fn writ(args: &[&str], dir: &Path) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_writ"))
        .args(args)
        .current_dir(dir)
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
        &["call", "hello", "--args", r#"["world"]"#, "--user-id", "u-42"],
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
    std::fs::write(f.join("config.json"), r#"[{"name": "good"}, {"name": "ghost"}]"#).expect("write");
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
            .args(["call", "writeCustomUserData", "--user-id", &user, "--args", &args])
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
            .args(["call", "writeCustomUserData", "--user-id", "u-1", "--args", &args])
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

//! The unmodified `realm-web` 2.0.1 client from npm against a real `writ serve` process, on the
//! embedded store and on the MongoDB wire-protocol test server: the two seed flows and the
//! client-visible contracts (token refresh, private functions, rules, errors, EJSON types,
//! hot reload). The scenarios themselves are in `tests/client/flows.mjs`.

mod common;

use std::{
    process::{Command, Stdio},
    time::{Duration, Instant},
};

use common::{Server, repo, run_script, serve_sample};

const ECHO: &str = r#"exports = function (arg) {
  const t = (v) => v instanceof BSON.ObjectId ? "ObjectId" : v instanceof Date ? "Date"
    : v instanceof BSON.Long ? "Long" : v instanceof BSON.Decimal128 ? "Decimal128" : typeof v;
  return { value: arg, longString: arg.long.toString(),
    types: { oid: t(arg.oid), date: t(arg.date), long: t(arg.long), dec: t(arg.dec) } };
};
"#;

/// A settings merge as real functions write it: client input reaches `Object.prototype` through
/// `{"constructor": {"prototype": ...}}` unless the built-ins are frozen.
const MERGE_SETTINGS: &str = r#"exports = function (input) {
  const merge = (a, b) => {
    for (const k in b) {
      if (b[k] && typeof b[k] === "object") { a[k] = a[k] || {}; merge(a[k], b[k]); } else { a[k] = b[k]; }
    }
    return a;
  };
  const settings = merge({ theme: "light" }, input);
  return { theme: settings.theme, isAdmin: ({}).isAdmin === true, customDataIsAdmin: context.user.custom_data.isAdmin === true };
};
"#;

fn start(mongodb: bool) -> Server {
    let functions = [
        ("echo", ECHO),
        ("version", "exports = () => 1;\n"),
        ("mergeSettings", MERGE_SETTINGS),
    ];
    let args = [
        "--access-token-ttl",
        "2",
        "--custom-token-key",
        "test-custom-token-key",
    ];
    serve_sample(mongodb, &functions, &args)
}

/// Runs scenarios of `flows.mjs` against `server`; returns stdout, panics with the failure.
fn client(server: &Server, scenarios: &[&str]) -> String {
    run_script("flows.mjs", &server.process.base, "writ-sample", scenarios)
}

const ALL: [&str; 14] = [
    "prototypePollution",
    "customToken",
    "forgedAndOtherApp",
    "seedWeb",
    "seedFlutter",
    "expiredToken",
    "privateRefused",
    "otherUsersDocument",
    "unknownFunction",
    "ejsonRoundTrip",
    "logoutEndsSession",
    "apiKeys",
    "emailPasswordErrors",
    "deleteUser",
];

#[test]
fn realm_web_on_the_embedded_store() {
    let server = start(false);
    let out = client(&server, &ALL);
    assert_eq!(out.lines().filter(|l| l.starts_with("ok ")).count(), ALL.len());
}

#[test]
fn realm_web_on_mongodb() {
    let server = start(true);
    let out = client(&server, &ALL);
    assert_eq!(out.lines().filter(|l| l.starts_with("ok ")).count(), ALL.len());
}

fn wait_for_version(server: &Server, want: &str) {
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let out = client(server, &["version"]);
        if out.contains(&format!("version {want}")) {
            return;
        }
        assert!(Instant::now() < deadline, "still {out:?}, wanted version {want}");
        std::thread::sleep(Duration::from_millis(200));
    }
}

#[test]
fn editing_a_function_file_reloads_it_and_a_broken_edit_does_not() {
    let server = start(false);
    wait_for_version(&server, "1");
    let file = server.app_dir.join("functions/version.js");
    std::fs::write(&file, "exports = () => 2;\n").expect("write");
    wait_for_version(&server, "2");
    std::fs::write(&file, "exports = () => {\n  return (3;\n};\n").expect("write");
    std::thread::sleep(Duration::from_millis(800));
    wait_for_version(&server, "2");
    let check = Command::new(env!("CARGO_BIN_EXE_writ"))
        .arg("check")
        .arg("--app")
        .arg(&server.app_dir)
        .output()
        .expect("writ check");
    assert!(!check.status.success());
    let err = String::from_utf8_lossy(&check.stderr);
    assert!(err.contains("functions/version.js:2:"), "{err}");
}

#[test]
fn the_exported_app_example_runs_as_exported() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_writ"));
    cmd.args(["serve", "--listen", "127.0.0.1:0", "--no-watch"])
        .arg("--app")
        .arg(repo().join("examples/exported-app"))
        .arg("--data")
        .arg(dir.path())
        .env("WRIT_LOG", "warn")
        .env("WRIT_SECRET_exampleApiKey", "secret-for-tests")
        .env_remove("WRIT_ENVIRONMENT")
        .env_remove("MONGODB_URI")
        .stderr(Stdio::inherit());
    let server = testkit::Listening::start(&mut cmd).expect("start writ serve");
    let scenarios = [
        "creationHookAndLoginTrigger",
        "creationRefused",
        "anonymousUser",
        "valuesAndEnvironment",
        "schemaEnforced",
        "ruleFunctions",
        "graphql",
        "graphqlRelationship",
        "disabledProvider",
    ];
    let out = run_script("exported.mjs", &server.base, "exported-app-abcde", &scenarios);
    assert_eq!(
        out.lines().filter(|l| l.starts_with("ok ")).count(),
        scenarios.len(),
        "{out}"
    );
}

#[test]
fn auth_providers_that_run_functions() {
    let dir = tempfile::tempdir().expect("tempdir");
    let server = common::serve_endpoints_app(&repo().join("tests/endpoints_app"), dir.path());
    let scenarios = [
        "customFunction",
        "confirmationSuccess",
        "confirmationPending",
        "confirmationFail",
        "resetFunction",
        "linkIdentities",
    ];
    let out = run_script(
        "auth_functions.mjs",
        &server.base,
        "endpoints-app-xyz",
        &scenarios,
    );
    assert_eq!(
        out.lines().filter(|l| l.starts_with("ok ")).count(),
        scenarios.len(),
        "{out}"
    );
}

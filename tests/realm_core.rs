//! realm-core's own App client (`realm::app::App`, the C++ core of the Flutter/Dart, Swift,
//! Kotlin, .NET and Node Realm SDKs, v14.14.0), built in `../shared/clients/realm-core/`,
//! against a real `writ serve` process on both stores: register, log in, profile, the Flutter
//! seed flow (`writeCustomUserData`, `refresh_custom_data()`), typed EJSON both ways, logout;
//! with `--extras` against a second server whose access tokens live 2 s (error codes, expiry
//! and automatic refresh, anonymous login), and with the user metadata persisted in a file.

mod common;

use std::{path::PathBuf, process::Command};

use common::{Server, repo, serve_sample};

/// The client's folder: `WRIT_REALM_CORE_CLIENT_DIR`, else the one in `../shared/clients/realm-core/`.
fn client_dir() -> PathBuf {
    match std::env::var_os("WRIT_REALM_CORE_CLIENT_DIR") {
        Some(dir) => PathBuf::from(dir),
        None => repo().join("../shared/clients/realm-core"),
    }
}

/// The sample app plus the client's `echoTypes` function.
fn start(mongodb: bool, args: &[&str]) -> Server {
    let echo = std::fs::read_to_string(client_dir().join("echoTypes.js"))
        .expect("../shared/clients/realm-core/echoTypes.js (realm-core's client) must exist");
    serve_sample(mongodb, &[("echoTypes", &echo)], args)
}

/// Runs the client against `server` with `args`; panics with its whole output unless it
/// exits 0 having reported at least one passing step and none failing.
fn run_client(server: &Server, args: &[&str]) {
    let work = tempfile::tempdir().expect("tempdir");
    let out = Command::new(client_dir().join("realm-core-client"))
        .arg(&server.process.base)
        .arg("writ-sample")
        .args(args)
        .current_dir(work.path())
        .output()
        .expect("run ../shared/clients/realm-core/realm-core-client");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let results: Vec<&str> = stdout.lines().filter(|l| l.starts_with("RESULT ")).collect();
    assert!(
        out.status.success() && !results.is_empty() && results.iter().all(|l| l.contains(": PASS")),
        "realm-core-client {args:?} failed ({}):\n{stdout}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
}

fn the_native_sdk_core_runs_the_flutter_seed(mongodb: bool) {
    let server = start(mongodb, &[]);
    let short_tokens = start(mongodb, &["--access-token-ttl", "2"]);
    run_client(&server, &["--extras", &short_tokens.process.base, "2"]);
    run_client(&server, &["--persisted-metadata"]);
}

#[test]
fn realm_core_on_the_embedded_store() {
    the_native_sdk_core_runs_the_flutter_seed(false);
}

#[test]
fn realm_core_on_mongodb() {
    the_native_sdk_core_runs_the_flutter_seed(true);
}

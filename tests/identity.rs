//! Logins with tokens other parties sign, through the unmodified realm-web client against a
//! real `writ serve`: a custom JWT provider as App Services configures it (a JWK set URI; RS256
//! signing keys from secrets; audiences; metadata fields) and Sign in with Apple and Google,
//! with the providers' key sets served over real HTTP by this test. The scenarios, attacks
//! included (forged, expired, re-targeted and algorithm-confused tokens, made-up key ids),
//! are in `tests/client/identity.mjs`.

mod common;

use std::{
    io::{Read, Write},
    net::TcpListener,
    path::Path,
    process::{Command, Stdio},
    sync::{
        Arc,
        atomic::{AtomicUsize, Ordering},
    },
};

use common::{repo, run_script_with};

/// An HTTP server answering `GET /keys` with the test key set; counts those reads.
struct KeyServer {
    base: String,
    reads: Arc<AtomicUsize>,
}

fn key_server() -> KeyServer {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let base = format!("http://{}", listener.local_addr().expect("address"));
    let reads = Arc::new(AtomicUsize::new(0));
    let counted = reads.clone();
    let set = std::fs::read(repo().join("tests/fixtures/identity/jwks.json")).expect("key set");
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let mut head = Vec::new();
            let mut byte = [0u8; 1];
            while !head.ends_with(b"\r\n\r\n") && stream.read(&mut byte).map(|n| n == 1).unwrap_or(false) {
                head.push(byte[0]);
            }
            let found = head.starts_with(b"GET /keys ");
            if found {
                counted.fetch_add(1, Ordering::SeqCst);
            }
            let (status, body): (&str, &[u8]) = if found {
                ("200 OK", &set)
            } else {
                ("404 Not Found", b"{}")
            };
            let response = format!(
                "HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                body.len()
            );
            let _ = stream.write_all(response.as_bytes());
            let _ = stream.write_all(body);
        }
    });
    KeyServer { base, reads }
}

/// `writ serve` on the sample app with `providers` as its `auth/providers.json` and `env`.
fn serve(providers: serde_json::Value, env: &[(&str, &str)]) -> (testkit::Listening, tempfile::TempDir) {
    let dir = tempfile::tempdir().expect("tempdir");
    let app = dir.path().join("app");
    testkit::copy_sample_app(&app).expect("copy the sample app");
    write_providers(&app, &providers);
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_writ"));
    cmd.args(["serve", "--listen", "127.0.0.1:0", "--no-watch"])
        .arg("--app")
        .arg(&app)
        .arg("--data")
        .arg(dir.path().join("data"))
        .envs(env.iter().copied())
        .env("WRIT_LOG", "warn")
        .env_remove("MONGODB_URI")
        .stderr(Stdio::inherit());
    (
        testkit::Listening::start(&mut cmd).expect("start writ serve"),
        dir,
    )
}

fn write_providers(app: &Path, providers: &serde_json::Value) {
    let text = serde_json::to_string_pretty(providers).expect("json");
    std::fs::write(app.join("auth/providers.json"), text).expect("write providers");
}

fn scenarios(base: &str, names: &[&str]) {
    let out = run_script_with("identity.mjs", base, "writ-sample", names, &[]);
    assert_eq!(
        out.lines().filter(|l| l.starts_with("ok ")).count(),
        names.len(),
        "{out}"
    );
}

#[test]
fn custom_jwt_apple_and_google_sign_in_with_published_keys() {
    let keys = key_server();
    let url = format!("{}/keys", keys.base);
    let providers = serde_json::json!({
        "anon-user": {"name": "anon-user", "type": "anon-user"},
        "custom-token": {
            "name": "custom-token", "type": "custom-token",
            "config": {"audience": ["writ-tests"], "useJWKURI": true, "jwkURI": url},
            "secret_config": {"signingKeys": []},
            "metadata_fields": [
                {"required": true, "name": "user_data.name", "field_name": "name"},
                {"required": false, "name": "email", "field_name": "email"}
            ]
        },
        "oauth2-apple": {
            "name": "oauth2-apple", "type": "oauth2-apple",
            "config": {"clientId": "com.example.writ", "jwkURI": url},
            "metadata_fields": [{"required": false, "name": "email"}]
        },
        "oauth2-google": {
            "name": "oauth2-google", "type": "oauth2-google",
            "config": {"clientId": "writ.apps.googleusercontent.com", "openId": true, "jwkURI": url},
            "metadata_fields": [
                {"required": true, "name": "email"},
                {"required": false, "name": "first_name"},
                {"required": false, "name": "name"}
            ]
        }
    });
    let (server, _dir) = serve(providers, &[]);
    scenarios(
        &server.base,
        &[
            "customJwk",
            "customJwkRefused",
            "apple",
            "google",
            "linking",
            "madeUpKeyIds",
        ],
    );
    // One read of the key set served every login; 40 tokens naming made-up keys asked for no
    // other read (at most one a minute per set).
    assert_eq!(keys.reads.load(Ordering::SeqCst), 1);
}

#[test]
fn custom_jwt_with_signing_keys_from_secrets() {
    let public = std::fs::read_to_string(repo().join("tests/fixtures/identity/test-signing-key.pub.pem"))
        .expect("public key");
    let providers = serde_json::json!({
        "custom-token": {
            "name": "custom-token", "type": "custom-token",
            "config": {"audience": ["writ-a", "writ-b"], "requireAnyAudience": true, "signingAlgorithm": "RS256"},
            "secret_config": {"signingKeys": ["jwtPublicKey"]},
            "metadata_fields": [{"name": "email"}]
        },
        // Apple's keys at an address nothing listens on: its logins fail, nothing else does.
        "oauth2-apple": {
            "name": "oauth2-apple", "type": "oauth2-apple",
            "config": {"clientId": "com.example.writ", "jwkURI": "http://127.0.0.1:1/keys"}
        }
    });
    let (server, _dir) = serve(providers, &[("WRIT_SECRET_jwtPublicKey", &public)]);
    scenarios(&server.base, &["customSigningKeys", "providerUnreachable"]);
}

#[test]
fn writ_check_names_what_a_token_provider_is_missing() {
    let dir = tempfile::tempdir().expect("tempdir");
    testkit::copy_sample_app(dir.path()).expect("copy the sample app");
    write_providers(
        dir.path(),
        &serde_json::json!({
            "custom-token": {
                "name": "custom-token", "type": "custom-token",
                "config": {"signingAlgorithm": "RS256", "useJWKURI": true, "jwkURI": "http://keys.example.com/keys"},
                "secret_config": {"signingKeys": ["notSet"]}
            },
            "oauth2-google": {"name": "oauth2-google", "type": "oauth2-google", "config": {}}
        }),
    );
    let out = Command::new(env!("CARGO_BIN_EXE_writ"))
        .arg("check")
        .arg("--app")
        .arg(dir.path())
        .env_remove("WRIT_SECRET_notSet")
        .output()
        .expect("writ check");
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    for expected in [
        "jwkURI 'http://keys.example.com/keys' must be https",
        "reads signing key secret 'notSet': set WRIT_SECRET_notSet",
        "provider 'oauth2-google': needs config.clientId",
    ] {
        assert!(err.contains(expected), "{expected:?} not in {err}");
    }
}

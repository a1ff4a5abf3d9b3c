//! Logins with tokens other parties sign, through the unmodified realm-web client against a
//! real `writ serve`: a custom JWT provider as App Services configures it (a JWK set URI; RS256
//! signing keys from secrets; audiences; metadata fields), Sign in with Apple and Google, and
//! Facebook Login, with the providers' key sets and Facebook's Graph API served over real HTTP
//! by this test (the real ones cannot vouch for test users). The scenarios, attacks
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

/// An HTTP server on this machine standing in for an identity provider: `answer` maps a
/// request's path and query to a status and a JSON body (for 302, the `Location`); `requests`
/// counts them.
struct FakeProvider {
    base: String,
    requests: Arc<AtomicUsize>,
}

fn fake_provider(answer: impl Fn(&str) -> (u16, String) + Send + 'static) -> FakeProvider {
    fake_provider_with_body(move |target, _| answer(target))
}

/// [`fake_provider`] whose `answer` also gets the request's body.
fn fake_provider_with_body(answer: impl Fn(&str, &str) -> (u16, String) + Send + 'static) -> FakeProvider {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let base = format!("http://{}", listener.local_addr().expect("address"));
    let requests = Arc::new(AtomicUsize::new(0));
    let counted = requests.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let mut head = Vec::new();
            let mut byte = [0u8; 1];
            while !head.ends_with(b"\r\n\r\n") && stream.read(&mut byte).map(|n| n == 1).unwrap_or(false) {
                head.push(byte[0]);
            }
            counted.fetch_add(1, Ordering::SeqCst);
            let head = String::from_utf8_lossy(&head).to_string();
            let length = head
                .lines()
                .find_map(|l| {
                    l.to_lowercase()
                        .strip_prefix("content-length:")
                        .map(|n| n.trim().to_string())
                })
                .and_then(|n| n.parse::<usize>().ok())
                .unwrap_or(0);
            let mut request_body = vec![0u8; length.min(1 << 20)];
            let _ = stream.read_exact(&mut request_body);
            let target = head.split(' ').nth(1).unwrap_or_default();
            let (status, body) = answer(target, &String::from_utf8_lossy(&request_body));
            // A 302's body is where it sends the browser (a provider's consent page approving).
            let response = if status == 302 {
                format!(
                    "HTTP/1.1 302 Found\r\nLocation: {body}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
                )
            } else {
                format!(
                    "HTTP/1.1 {status} X\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                    body.len()
                )
            };
            let _ = stream.write_all(response.as_bytes());
        }
    });
    FakeProvider { base, requests }
}

/// Publishes the test key set at `/keys`, as Apple, Google and JWK set URIs do.
fn key_server() -> FakeProvider {
    let set = std::fs::read_to_string(repo().join("tests/fixtures/identity/jwks.json")).expect("key set");
    fake_provider(move |target| match target {
        "/keys" => (200, set.clone()),
        _ => (404, "{}".into()),
    })
}

/// Google's token endpoint for the client `writ.apps.googleusercontent.com` (secret
/// `google-secret`): the authorization code `good-code-N` is user `google-code-N`'s, as an ID
/// token signed with the test key; other codes are refused as Google refuses them.
fn google_tokens() -> FakeProvider {
    let pem = std::fs::read(repo().join("tests/fixtures/identity/test-signing-key.pem")).expect("key");
    let key = jsonwebtoken::EncodingKey::from_rsa_pem(&pem).expect("test key");
    fake_provider_with_body(move |target, body| {
        let form: std::collections::HashMap<String, String> =
            form_urlencoded::parse(body.as_bytes()).into_owned().collect();
        let get = |k: &str| form.get(k).map(String::as_str);
        let client_ok = get("client_id") == Some("writ.apps.googleusercontent.com")
            && get("client_secret") == Some("google-secret")
            && get("redirect_uri")
                .is_some_and(|r| r.is_empty() || r.ends_with("/api/client/v2.0/auth/callback"))
            && get("grant_type") == Some("authorization_code");
        if let Some(query) = target.strip_prefix("/auth?") {
            return consent(query, "good-code-web");
        }
        match (target, get("code").and_then(|c| c.strip_prefix("good-code-"))) {
            ("/token", _) if !client_ok => (401, r#"{"error": "invalid_client"}"#.into()),
            ("/token", Some(n)) => {
                let now = std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .expect("clock")
                    .as_secs();
                let claims = serde_json::json!({"iss": "https://accounts.google.com",
                    "aud": "writ.apps.googleusercontent.com", "sub": format!("google-code-{n}"),
                    "exp": now + 600, "iat": now, "email": "code@example.com"});
                let mut header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::RS256);
                header.kid = Some("writ-test-1".into());
                let token = jsonwebtoken::encode(&header, &claims, &key).expect("sign");
                (
                    200,
                    serde_json::json!({"id_token": token, "access_token": "ya29.x"}).to_string(),
                )
            }
            ("/token", None) => (
                400,
                r#"{"error": "invalid_grant", "error_description": "Malformed auth code."}"#.into(),
            ),
            _ => (404, "{}".into()),
        }
    })
}

/// A consent page that approves at once: back to `redirect_uri` with `code` and `state`.
fn consent(query: &str, code: &str) -> (u16, String) {
    let q: std::collections::HashMap<String, String> =
        form_urlencoded::parse(query.as_bytes()).into_owned().collect();
    let back = form_urlencoded::Serializer::new(String::new())
        .append_pair("code", code)
        .append_pair("state", &q["state"])
        .finish();
    (302, format!("{}?{back}", q["redirect_uri"]))
}

/// Facebook's Graph API for the app `writ-fb-app` (secret `fb-secret`): the access token
/// `good-N` is user N's for this app, `other-app-N` user N's for another app; others are invalid.
fn graph_api() -> FakeProvider {
    fake_provider(|target| {
        let (path, query) = target.split_once('?').unwrap_or((target, ""));
        let q: std::collections::HashMap<String, String> =
            form_urlencoded::parse(query.as_bytes()).into_owned().collect();
        let get = |k: &str| q.get(k).map(String::as_str).unwrap_or_default();
        let refused = (
            400,
            r#"{"error": {"message": "Invalid OAuth access token.", "code": 190}}"#.to_string(),
        );
        match path {
            "/dialog" => consent(query, "fb-code-77"),
            "/oauth/access_token" => match get("code").strip_prefix("fb-code-") {
                Some(n)
                    if get("client_secret") == "fb-secret"
                        && get("redirect_uri").ends_with("/auth/callback") =>
                {
                    (
                        200,
                        serde_json::json!({"access_token": format!("good-{n}"), "token_type": "bearer"})
                            .to_string(),
                    )
                }
                _ => refused,
            },
            "/debug_token" if get("access_token") != "writ-fb-app|fb-secret" => refused,
            "/debug_token" => {
                let token = get("input_token");
                let data = if let Some(id) = token.strip_prefix("good-") {
                    serde_json::json!({"app_id": "writ-fb-app", "is_valid": true, "user_id": id})
                } else if let Some(id) = token.strip_prefix("other-app-") {
                    serde_json::json!({"app_id": "another-app", "is_valid": true, "user_id": id})
                } else {
                    serde_json::json!({"is_valid": false})
                };
                (200, serde_json::json!({ "data": data }).to_string())
            }
            "/me" => match get("access_token").strip_prefix("good-") {
                Some(id) => {
                    assert!(get("fields").split(',').any(|f| f == "id"), "{target}");
                    // HMAC-SHA256 of the token with the app secret, as Facebook checks it.
                    let proof = {
                        use hmac::Mac;
                        let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(b"fb-secret").expect("key");
                        mac.update(get("access_token").as_bytes());
                        hex::encode(mac.finalize().into_bytes())
                    };
                    assert_eq!(get("appsecret_proof"), proof);
                    let me = serde_json::json!({"id": id, "name": "Ada Lovelace", "email": "ada@example.com",
                        "picture": {"data": {"url": "https://example.com/ada.png"}}});
                    (200, me.to_string())
                }
                None => refused,
            },
            _ => (404, "{}".into()),
        }
    })
}

/// `writ serve` on the sample app with `providers` as its `auth/providers.json` and `env`.
fn serve(
    providers: serde_json::Value,
    env: &[(&str, &str)],
    args: &[&str],
) -> (testkit::Listening, tempfile::TempDir) {
    let dir = tempfile::tempdir().expect("tempdir");
    let app = dir.path().join("app");
    testkit::copy_sample_app(&app).expect("copy the sample app");
    write_providers(&app, &providers);
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_writ"));
    cmd.args(["serve", "--listen", "127.0.0.1:0", "--no-watch"])
        .args(args)
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
    let google = google_tokens();
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
            "config": {"clientId": "writ.apps.googleusercontent.com", "openId": true, "jwkURI": url,
                "tokenURL": format!("{}/token", google.base), "authURL": format!("{}/auth", google.base)},
            "secret_config": {"clientSecret": "googleSecret"},
            "redirect_uris": ["http://localhost:3000/auth-callback"],
            "metadata_fields": [
                {"required": true, "name": "email"},
                {"required": false, "name": "first_name"},
                {"required": false, "name": "name"}
            ]
        }
    });
    let (server, _dir) = serve(providers, &[("WRIT_SECRET_googleSecret", "google-secret")], &[]);
    scenarios(
        &server.base,
        &[
            "customJwk",
            "customJwkRefused",
            "apple",
            "google",
            "googleAuthCode",
            "googleRedirect",
            "redirectAttacks",
            "linking",
            "madeUpKeyIds",
        ],
    );
    // Google was asked once per authorization code (three native, two browser), and its consent
    // page was shown once.
    assert_eq!(google.requests.load(Ordering::SeqCst), 3 + 2 + 1);
    // One read of the key set served every login; 40 tokens naming made-up keys asked for no
    // other read (at most one a minute per set).
    assert_eq!(keys.requests.load(Ordering::SeqCst), 1);
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
        // A secret the operator did not set: this provider's logins fail, nothing else does.
        "oauth2-facebook": {
            "name": "oauth2-facebook", "type": "oauth2-facebook",
            "config": {"clientId": "1"}, "secret_config": {"clientSecret": "notSet"}
        },
        // Apple's keys at an address nothing listens on: its logins fail, nothing else does.
        "oauth2-apple": {
            "name": "oauth2-apple", "type": "oauth2-apple",
            "config": {"clientId": "com.example.writ", "jwkURI": "http://127.0.0.1:1/keys"}
        }
    });
    let (server, _dir) = serve(providers, &[("WRIT_SECRET_jwtPublicKey", &public)], &[]);
    scenarios(
        &server.base,
        &["customSigningKeys", "providerUnreachable", "unusableProvider"],
    );
}

#[test]
fn facebook_access_tokens_are_checked_with_the_graph_api() {
    let graph = graph_api();
    let providers = serde_json::json!({
        "oauth2-facebook": {
            "name": "oauth2-facebook", "type": "oauth2-facebook",
            "config": {"clientId": "writ-fb-app", "graphURL": graph.base,
                "authURL": format!("{}/dialog", graph.base)},
            "secret_config": {"clientSecret": "fbSecret"},
            "redirect_uris": ["http://localhost:3000/auth-callback"],
            "metadata_fields": [{"required": true, "name": "email"}, {"name": "name"}, {"name": "picture"}]
        }
    });
    let (server, _dir) = serve(
        providers,
        &[("WRIT_SECRET_fbSecret", "fb-secret")],
        &["--login-throttle-address", "6/300"],
    );
    scenarios(
        &server.base,
        &[
            "facebook",
            "facebookRedirect",
            "facebookFlood",
            "redirectStartsThrottled",
        ],
    );
    // Two Graph API requests per valid login (two, and the browser flow's), one per refused
    // token Facebook was asked about (two, then three of the flood), none for the malformed one;
    // the browser flow's consent page and code exchange; then the address's six failures were
    // used up and the rest of the flood cost Facebook nothing.
    assert_eq!(graph.requests.load(Ordering::SeqCst), 2 * 3 + 2 + 3 + 2);
}

#[test]
fn writ_check_names_what_a_token_provider_is_missing() {
    let dir = tempfile::tempdir().expect("tempdir");
    testkit::copy_sample_app(dir.path()).expect("copy the sample app");
    let check = || {
        Command::new(env!("CARGO_BIN_EXE_writ"))
            .arg("check")
            .arg("--app")
            .arg(dir.path())
            .env_remove("WRIT_SECRET_notSet")
            .output()
            .expect("writ check")
    };
    // A secret that is not set leaves the provider unusable, with a warning; the app loads.
    write_providers(
        dir.path(),
        &serde_json::json!({
            "anon-user": {"name": "anon-user", "type": "anon-user"},
            "oauth2-facebook": {"name": "oauth2-facebook", "type": "oauth2-facebook",
                "config": {"clientId": "1"}, "secret_config": {"clientSecret": "notSet"}}
        }),
    );
    let out = check();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.contains("warning: auth/providers.json:1: the provider 'oauth2-facebook' cannot log anyone in: it reads the client secret 'notSet': set WRIT_SECRET_notSet"),
        "{stdout}"
    );
    // Settings that cannot be right stop the load, each named.
    write_providers(
        dir.path(),
        &serde_json::json!({
            "custom-token": {
                "name": "custom-token", "type": "custom-token",
                "config": {"signingAlgorithm": "RS512", "useJWKURI": true, "jwkURI": "http://keys.example.com/keys"}
            },
            "oauth2-google": {"name": "oauth2-google", "type": "oauth2-google", "config": {}},
            "oauth2-facebook": {"name": "oauth2-facebook", "type": "oauth2-facebook", "config": {"clientId": "1"}}
        }),
    );
    let out = check();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    for expected in [
        "signingAlgorithm 'RS512' is not HS256 or RS256",
        "jwkURI 'http://keys.example.com/keys' must be https",
        "provider 'oauth2-google': needs config.clientId",
        "provider 'oauth2-facebook': needs secret_config.clientSecret",
    ] {
        assert!(err.contains(expected), "{expected:?} not in {err}");
    }
}

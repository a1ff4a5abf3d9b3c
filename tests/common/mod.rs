//! Shared by the client suites: a real `writ serve` process on a free port serving a copy of
//! the sample app, on the embedded store or on MongoDB (the wire test server, or `MONGODB_URI`).
// Each test crate uses a part of this module.
#![allow(dead_code)]

pub mod api;
pub mod upstream;

use std::{
    path::{Path, PathBuf},
    process::{Command, Stdio},
    sync::Mutex,
};

use serde_json::{Value, json};

/// The client API path of the sample app.
pub const APP: &str = "/api/client/v2.0/app/writ-sample";

/// The repository root.
pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A `writ serve` process serving a copy of the sample app; stopped when dropped.
pub struct Server {
    /// The process and its base URL.
    pub process: testkit::Listening,
    /// The app directory it serves (tests may edit it).
    pub app_dir: PathBuf,
    /// The temporary directory holding the app and its data (`data/`).
    pub dir: tempfile::TempDir,
}

/// Starts `writ serve` on the sample app plus `functions` (name, source), with `args` added to
/// the command line, on MongoDB when `mongodb` is true and on the embedded store otherwise.
pub fn serve_sample(mongodb: bool, functions: &[(&str, &str)], args: &[&str]) -> Server {
    serve_prepared(mongodb, args, |app_dir| {
        for (name, source) in functions {
            std::fs::write(app_dir.join(format!("functions/{name}.js")), source).expect("write");
        }
    })
}

/// Starts `writ serve` (as [`serve_sample`]) on a copy of the sample app that `prepare` has
/// changed first.
pub fn serve_prepared(mongodb: bool, args: &[&str], prepare: impl FnOnce(&Path)) -> Server {
    let dir = tempfile::tempdir().expect("tempdir");
    let app_dir = dir.path().join("app");
    testkit::copy_sample_app(&app_dir).expect("copy the sample app");
    prepare(&app_dir);
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_writ"));
    cmd.args(["serve", "--listen", "127.0.0.1:0"])
        .args(args)
        .arg("--app")
        .arg(&app_dir)
        .arg("--data")
        .arg(dir.path().join("data"))
        .env("WRIT_LOG", "warn")
        .stderr(Stdio::inherit());
    if mongodb {
        cmd.env("MONGODB_URI", testkit::mongodb_uri());
    } else {
        cmd.env_remove("MONGODB_URI");
    }
    let process = testkit::Listening::start(&mut cmd).expect("start writ serve");
    Server {
        process,
        app_dir,
        dir,
    }
}

/// `writ serve` on the app in `app` (e.g. `tests/endpoints_app`: the auth providers that run
/// functions, endpoints, the Data API) with its data in `data`, on the embedded store, with
/// the endpoint secret and a custom-token key set.
pub fn serve_endpoints_app(app: &Path, data: &Path) -> testkit::Listening {
    serve_endpoints_app_with(app, data, &[])
}

/// [`serve_endpoints_app`] with `args` added to the command line.
pub fn serve_endpoints_app_with(app: &Path, data: &Path, args: &[&str]) -> testkit::Listening {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_writ"));
    cmd.args(["serve", "--listen", "127.0.0.1:0", "--no-watch"])
        .args(args)
        .args(["--custom-token-key", "endpoint-test-key"])
        .arg("--app")
        .arg(app)
        .arg("--data")
        .arg(data)
        .env("WRIT_LOG", "warn")
        .env("WRIT_SECRET_hookSecret", "s3cr3t-hook")
        .env_remove("WRIT_ENVIRONMENT")
        .env_remove("MONGODB_URI")
        .stderr(Stdio::inherit());
    testkit::Listening::start(&mut cmd).expect("start writ serve")
}

/// One HTTP/1.1 request on a fresh connection: `method path` with `headers` and `body`;
/// returns the status, the response head (lower-cased) and the body.
pub fn http(
    base: &str,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> (u16, String, String) {
    use std::io::{Read, Write};
    let host = base.trim_start_matches("http://");
    let mut stream = std::net::TcpStream::connect(host).expect("connect");
    stream
        .set_read_timeout(Some(std::time::Duration::from_secs(60)))
        .expect("timeout");
    let mut request = format!("{method} {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n");
    for (k, v) in headers {
        request.push_str(&format!("{k}: {v}\r\n"));
    }
    request.push_str(&format!("Content-Length: {}\r\n\r\n", body.len()));
    let mut bytes = request.into_bytes();
    bytes.extend_from_slice(body);
    stream.write_all(&bytes).expect("send");
    let mut response = Vec::new();
    stream.read_to_end(&mut response).expect("read");
    let response = String::from_utf8_lossy(&response).into_owned();
    let (head, body) = response.split_once("\r\n\r\n").unwrap_or((&response, ""));
    (status_of(head), head.to_lowercase(), body.to_string())
}

/// One HTTP/1.1 POST of a JSON `body` to `base` (`http://host:port`), with a bearer `token` if
/// given, on a fresh connection; returns the whole response as text (status line, headers,
/// body). Plain sockets, so a test controls exactly what is sent.
pub fn raw_post(base: &str, path: &str, token: Option<&str>, body: &str) -> String {
    use std::io::{Read, Write};
    let host = base.trim_start_matches("http://");
    let mut stream = std::net::TcpStream::connect(host).expect("connect");
    stream
        .set_read_timeout(Some(std::time::Duration::from_secs(60)))
        .expect("timeout");
    let auth = token
        .map(|t| format!("Authorization: Bearer {t}\r\n"))
        .unwrap_or_default();
    let request = format!(
        "POST {path} HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\n{auth}\
         Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(request.as_bytes()).expect("send");
    let mut response = String::new();
    stream.read_to_string(&mut response).expect("read");
    response
}

/// The status code of a response [`raw_post`] returned.
pub fn status_of(response: &str) -> u16 {
    response.get(9..12).and_then(|s| s.parse().ok()).unwrap_or(0)
}

/// A JSON POST with [`raw_post`]: the status and the body parsed as JSON (null if it is not).
pub fn request(base: &str, path: &str, token: Option<&str>, body: &Value) -> (u16, Value) {
    let response = raw_post(base, path, token, &body.to_string());
    let json = response
        .split_once("\r\n\r\n")
        .and_then(|(_, b)| serde_json::from_str(b).ok())
        .unwrap_or(Value::Null);
    (status_of(&response), json)
}

/// A new anonymous user's access token on the sample app served at `base`.
pub fn anonymous(base: &str) -> String {
    let (status, body) = request(
        base,
        &format!("{APP}/auth/providers/anon-user/login"),
        None,
        &json!({}),
    );
    assert_eq!(status, 200, "{body}");
    body["access_token"].as_str().expect("token").to_string()
}

/// Calls function `name` without arguments as the user of `token`.
pub fn call(base: &str, token: &str, name: &str) -> (u16, Value) {
    let body = json!({"name": name, "arguments": []});
    request(base, &format!("{APP}/functions/call"), Some(token), &body)
}

/// `tests/client/node_modules`, installed from the lock file on first use.
pub fn client_dir() -> PathBuf {
    static INSTALL: Mutex<()> = Mutex::new(());
    let dir = repo().join("tests/client");
    let _guard = INSTALL.lock().unwrap_or_else(|e| e.into_inner());
    if !dir.join("node_modules/realm-web/package.json").is_file() {
        let status = Command::new("npm")
            .args(["ci", "--no-audit", "--no-fund"])
            .current_dir(&dir)
            .status()
            .expect("npm must be installed (Node 20)");
        assert!(status.success(), "npm ci in tests/client failed");
    }
    dir
}

/// Runs scenarios of `tests/client/<script>` against the app `app_id` at `base`.
pub fn run_script(script: &str, base: &str, app_id: &str, scenarios: &[&str]) -> String {
    run_script_with(script, base, app_id, scenarios, &[])
}

/// [`run_script`] with `env` added to the script's environment.
pub fn run_script_with(
    script: &str,
    base: &str,
    app_id: &str,
    scenarios: &[&str],
    env: &[(&str, &str)],
) -> String {
    let out = Command::new("node")
        .envs(env.iter().copied())
        .arg(script)
        .arg(base)
        .arg(app_id)
        .args(scenarios)
        .current_dir(client_dir())
        .output()
        .expect("node must be installed");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "realm-web scenarios failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

/// Calls function `name` with the one argument `arg`; a string result is parsed as the JSON it
/// holds (functions in the HTTP and socket suites return `JSON.stringify(...)`).
pub fn call_parsed(base: &str, token: &str, name: &str, arg: Value) -> (u16, Value) {
    let body = json!({"name": name, "arguments": [arg]});
    let (status, value) = request(base, &format!("{APP}/functions/call"), Some(token), &body);
    match value.as_str().and_then(|s| serde_json::from_str(s).ok()) {
        Some(parsed) => (status, parsed),
        None => (status, value),
    }
}

/// One GET of a change stream on a connection of its own; returns the stream (kept open) and
/// the status of its answer.
pub fn open_stream(base: &str, token: &str, database: &str, collection: &str) -> (std::net::TcpStream, u16) {
    use base64::Engine as _;
    use std::io::{BufRead, Write};
    let body = json!({"name": "watch", "arguments": [{"database": database, "collection": collection}], "service": "mongodb-atlas"});
    let encoded = base64::engine::general_purpose::STANDARD.encode(body.to_string());
    let encoded: String = encoded
        .chars()
        .map(|c| match c {
            '+' => "%2B".to_string(),
            '/' => "%2F".to_string(),
            '=' => "%3D".to_string(),
            c => c.to_string(),
        })
        .collect();
    let host = base.trim_start_matches("http://");
    let mut stream = std::net::TcpStream::connect(host).expect("connect");
    stream
        .set_read_timeout(Some(std::time::Duration::from_secs(10)))
        .expect("timeout");
    let request = format!(
        "GET {APP}/functions/call?baas_request={encoded} HTTP/1.1\r\nHost: {host}\r\n\
         Authorization: Bearer {token}\r\nAccept: text/event-stream\r\n\r\n"
    );
    stream.write_all(request.as_bytes()).expect("send");
    let mut line = String::new();
    std::io::BufReader::new(stream.try_clone().expect("clone"))
        .read_line(&mut line)
        .expect("status line");
    (stream, status_of(&line))
}

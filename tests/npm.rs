//! npm packages from the app's `functions/node_modules`: a test app whose `package.json`
//! depends on lodash, dayjs, uuid, validator, jsonwebtoken, axios, node-fetch, nodemailer,
//! the AWS SDK's S3 client and OpenAI's SDK,
//! installed from npm with `npm ci`, served by a real `writ serve`; each function's result must
//! equal what Node.js returns for the same file with the same packages
//! (`tests/npm_app/functions/harness.cjs`). axios, node-fetch and openai call a local HTTP server
//! (`common::upstream`), nodemailer a local SMTP server (`smtp_server`, over `net`).

mod common;

use std::{path::Path, process::Command};

use serde_json::Value;

const FUNCTIONS: [&str; 10] = [
    "useLodash",
    "useDayjs",
    "useUuid",
    "useValidator",
    "useJsonwebtoken",
    "useAxios",
    "useNodeFetch",
    "useNodemailer",
    "useAwsS3",
    "useOpenai",
];

/// A minimal SMTP server (EHLO, MAIL, RCPT, DATA, RSET, QUIT) refusing recipients at
/// `refused.example`; returns `host:port`.
fn smtp_server() -> String {
    use std::io::{BufRead, BufReader, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let address = listener.local_addr().expect("addr").to_string();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            std::thread::spawn(move || {
                let mut out = stream.try_clone().expect("clone");
                let mut lines = BufReader::new(stream);
                let _ = out.write_all(b"220 test ESMTP\r\n");
                let mut in_data = false;
                let mut line = String::new();
                while matches!(lines.read_line(&mut line), Ok(n) if n > 0) {
                    let reply: &[u8] = if in_data {
                        if line == ".\r\n" {
                            in_data = false;
                            b"250 2.0.0 queued as 42\r\n"
                        } else {
                            b""
                        }
                    } else {
                        let command = line.trim().to_ascii_uppercase();
                        if command.starts_with("EHLO") {
                            b"250-test greets you\r\n250-8BITMIME\r\n250 SMTPUTF8\r\n"
                        } else if command.starts_with("RCPT") && command.contains("REFUSED.EXAMPLE") {
                            b"550 5.1.1 no such user\r\n"
                        } else if command.starts_with("MAIL")
                            || command.starts_with("RCPT")
                            || command == "RSET"
                        {
                            b"250 ok\r\n"
                        } else if command == "DATA" {
                            in_data = true;
                            b"354 go ahead\r\n"
                        } else if command == "QUIT" {
                            let _ = out.write_all(b"221 bye\r\n");
                            break;
                        } else {
                            b"502 not implemented\r\n"
                        }
                    };
                    if !reply.is_empty() && out.write_all(reply).is_err() {
                        break;
                    }
                    line.clear();
                }
            });
        }
    });
    address
}

fn install(functions: &Path) {
    let source = common::repo().join("tests/npm_app/functions");
    for entry in std::fs::read_dir(&source).expect("npm_app") {
        let path = entry.expect("entry").path();
        std::fs::copy(&path, functions.join(path.file_name().expect("name"))).expect("copy");
    }
    let out = Command::new("npm")
        .args(["ci", "--no-audit", "--no-fund", "--ignore-scripts"])
        .current_dir(functions)
        .output()
        .expect("npm (CI installs Node and npm)");
    assert!(
        out.status.success(),
        "npm ci: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn node_result(functions: &Path, name: &str, arg: Option<&str>) -> String {
    let out = Command::new("node")
        .arg("harness.cjs")
        .arg(format!("{name}.js"))
        .args(arg)
        .current_dir(functions)
        .output()
        .expect("node");
    assert!(
        out.status.success(),
        "node {name}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("utf-8")
}

/// The worker processes of the server `pid`, sorted.
fn workers(pid: u32) -> Vec<u32> {
    let mut found: Vec<u32> = std::fs::read_dir("/proc")
        .expect("/proc")
        .flatten()
        .filter_map(|e| e.file_name().to_string_lossy().parse::<u32>().ok())
        .filter(|child| {
            let stat = std::fs::read_to_string(format!("/proc/{child}/stat")).unwrap_or_default();
            // The parent's pid is the second field after the command's closing parenthesis.
            let ppid = stat
                .rsplit_once(") ")
                .and_then(|(_, rest)| rest.split(' ').nth(1)?.parse().ok());
            let cmdline = std::fs::read(format!("/proc/{child}/cmdline")).unwrap_or_default();
            ppid == Some(pid) && String::from_utf8_lossy(&cmdline).contains("worker")
        })
        .collect();
    found.sort_unstable();
    found
}

#[test]
fn npm_packages_run_as_they_do_on_node() {
    let upstream = common::upstream::upstream();
    let smtp = smtp_server();
    let args = ["--http-allow-private"];
    let server = common::serve_prepared(false, &args, |app| install(&app.join("functions")));
    let base = server.process.base.clone();
    let functions = server.app_dir.join("functions");
    let token = common::anonymous(&base);
    let call = |name: &str, arg: Option<&str>| {
        let arguments: Vec<&str> = arg.into_iter().collect();
        let body = serde_json::json!({"name": name, "arguments": arguments});
        common::request(
            &base,
            &format!("{}/functions/call", common::APP),
            Some(&token),
            &body,
        )
    };
    // Twice: the second round resolves every `require` from what the worker learned in the
    // first (packages are fixed for a deployment), and must agree all the same. It runs on the
    // same worker processes: what the first round compiled stays compiled (no worker is
    // recycled for holding compiled packages, which would make every call compile them again).
    let mut expected = std::collections::HashMap::new();
    let mut first_workers = Vec::new();
    for round in 0..2 {
        if round == 1 {
            first_workers = workers(server.process.child.id());
        }
        for name in FUNCTIONS {
            let arg = match name {
                "useAxios" | "useNodeFetch" | "useAwsS3" | "useOpenai" => Some(upstream.as_str()),
                "useNodemailer" => Some(smtp.as_str()),
                _ => None,
            };
            let (status, body) = call(name, arg);
            assert_eq!(status, 200, "{name}, round {round}: {body}");
            let Value::String(got) = body else {
                panic!("{name}, round {round}: {body}")
            };
            let node = expected
                .entry(name)
                .or_insert_with(|| node_result(&functions, name, arg));
            assert_eq!(&got, node, "{name}, round {round}");
        }
    }
    assert_eq!(
        workers(server.process.child.id()),
        first_workers,
        "worker processes after the second round"
    );
    // A file that opens with ES module imports of the same packages (Node cannot run it as a
    // function file, so its result is written out here).
    let (status, body) = call("useImports", None);
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body,
        Value::String(
            r#"{"chunk":[[1,2],[3]],"same":true,"fp":[2],"fpDefault":"function","day":"2024-02-29"}"#.into()
        )
    );
    // A second call evaluates the packages again (nothing is shared between calls) and agrees.
    let (status, again) = call("useDayjs", None);
    assert_eq!(status, 200, "{again}");
    assert_eq!(again, Value::String(node_result(&functions, "useDayjs", None)));
}

#[test]
fn require_reaches_nothing_outside_node_modules() {
    let probe = r#"exports = function () {
  const attempt = (f) => { try { f(); return "loaded"; } catch (e) { return e.message.split("\n")[0]; } };
  return [
    attempt(() => require("/etc/passwd")),
    attempt(() => require("../../../../../../etc/hostname")),
    attempt(() => require("./hello")),
    attempt(() => require("escape/../../../../../etc/passwd")),
    attempt(() => require("child_process").spawn("sh")),
    attempt(() => require("fs").readFileSync("/etc/passwd")),
    attempt(() => require("no-such-package")),
    attempt(() => require("evil")),
    // `fs` reads a package's own files, and nothing outside node_modules.
    require("fs").readFileSync(require("path").join(require.resolve("data"), "../values.json"), "utf8"),
    attempt(() => require("fs").readFileSync(require("path").join(require.resolve("data"), "../../evil/index.js"))),
    attempt(() => require("fs").readFileSync(require("path").join(require.resolve("data"), "../../../config.json"))),
    attempt(() => require("fs").readdirSync(require("path").join(require.resolve("data"), "../../.."))),
    attempt(() => require("fs").statSync(require("path").join(require.resolve("data"), "../missing.json"))),
    attempt(() => require("fs").writeFileSync(require("path").join(require.resolve("data"), "../new.json"), "{}")),
    // A package Boa misparses (`using` as a plain identifier, as rxjs has it) loads all the same.
    String(require("usingpkg").using(21)),
  ].map((r) => r.replace(/'[^']*\/functions(\/|')/, "'<functions>$1"));
};"#;
    let server = common::serve_prepared(false, &[], |app| {
        let functions = app.join("functions");
        std::fs::write(functions.join("probe.js"), probe).expect("write");
        // A package that links outside node_modules.
        let evil = functions.join("node_modules/evil");
        std::fs::create_dir_all(&evil).expect("mkdir");
        std::os::unix::fs::symlink("/etc/hostname", evil.join("index.js")).expect("symlink");
        // A package with a data file of its own.
        let data = functions.join("node_modules/data");
        std::fs::create_dir_all(&data).expect("mkdir");
        std::fs::write(data.join("index.js"), "module.exports = 1;").expect("write");
        std::fs::write(data.join("values.json"), r#"{"own": true}"#).expect("write");
        let using = functions.join("node_modules/usingpkg");
        std::fs::create_dir_all(&using).expect("mkdir");
        std::fs::write(
            using.join("index.js"),
            "function using(n) { return n * 2; }\nexports.using = using;\n",
        )
        .expect("write");
    });
    let base = server.process.base.clone();
    let token = common::anonymous(&base);
    // Twice: what a refused request resolved to is never kept for the next call.
    let (status, first) = common::call(&base, &token, "probe");
    assert_eq!(status, 200, "{first}");
    let (status, body) = common::call(&base, &token, "probe");
    assert_eq!(status, 200, "{body}");
    assert_eq!(first, body);
    let expected = serde_json::json!([
        "Cannot find module '/etc/passwd'",
        "Cannot find module '../../../../../../etc/hostname'",
        "Cannot find module './hello'",
        "Cannot find module 'escape/../../../../../etc/passwd'",
        "child_process.spawn is not supported by writ: it is not available to functions (App Services did not offer it either)",
        "EACCES: permission denied, open '/etc/passwd'",
        "Cannot find module 'no-such-package'",
        "Cannot find module 'evil'",
        r#"{"own": true}"#,
        "EACCES: permission denied, open '<functions>/node_modules/evil/index.js'",
        "EACCES: permission denied, open '<functions>/config.json'",
        "EACCES: permission denied, scandir '<functions>'",
        "ENOENT: no such file or directory, stat '<functions>/node_modules/data/missing.json'",
        "fs.writeFileSync is not supported by writ: functions cannot write files",
        "42",
    ]);
    assert_eq!(body, expected);
}

//! Test support: a MongoDB for the tests to talk to.
//!
//! [`mongodb_uri`] returns `MONGODB_URI` when it is set (a real MongoDB), and otherwise starts the
//! wire-protocol test server from the PyPI package `mongoeco` on a free loopback port, once per
//! test process. The first use on a machine installs `mongoeco[wire]` into a Python 3.13
//! virtual environment under `target/mongoeco-venv` (about 10 s); later runs reuse it. The
//! server stops when the test process exits (it watches its stdin).

use std::{
    io::{BufRead, BufReader},
    path::{Path, PathBuf},
    process::{Child, ChildStdin, Command, Stdio},
    sync::{Mutex, OnceLock},
};

const LAUNCHER: &str = include_str!("../py/mongoeco_server.py");
const PACKAGE: &str = "mongoeco[wire]==4.11.0";

struct Server {
    uri: String,
    // Held for the life of the process: dropping stdin tells the server to stop.
    _child: Mutex<(Child, ChildStdin)>,
}

static SERVER: OnceLock<Result<Server, String>> = OnceLock::new();

fn target_dir() -> PathBuf {
    match std::env::var_os("CARGO_TARGET_DIR") {
        Some(d) => PathBuf::from(d),
        None => Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target"),
    }
}

fn python313() -> Result<PathBuf, String> {
    if let Some(p) = std::env::var_os("WRIT_PYTHON") {
        return Ok(PathBuf::from(p));
    }
    let on_path = Command::new("python3.13")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if on_path {
        return Ok(PathBuf::from("python3.13"));
    }
    let root = Command::new("pyenv")
        .arg("root")
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| PathBuf::from(String::from_utf8_lossy(&o.stdout).trim()))
        .or_else(|| std::env::var_os("HOME").map(|h| Path::new(&h).join(".pyenv")));
    if let Some(root) = root
        && let Ok(entries) = std::fs::read_dir(root.join("versions"))
    {
        let mut found: Vec<PathBuf> = entries
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| {
                p.file_name()
                    .is_some_and(|n| n.to_string_lossy().starts_with("3.13"))
            })
            .map(|p| p.join("bin/python3"))
            .filter(|p| p.exists())
            .collect();
        found.sort();
        if let Some(p) = found.pop() {
            return Ok(p);
        }
    }
    Err(
        "the MongoDB test server needs Python 3.13 (python3.13 on PATH, a pyenv 3.13.x, or WRIT_PYTHON)"
            .into(),
    )
}

fn run(cmd: &mut Command, what: &str) -> Result<(), String> {
    let out = cmd.output().map_err(|e| format!("{what}: {e}"))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(format!(
            "{what} failed: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ))
    }
}

/// The virtual environment with mongoeco, installed on first use.
fn venv() -> Result<PathBuf, String> {
    let target = target_dir();
    let venv = target.join("mongoeco-venv");
    if venv.join(".ready").exists() {
        return Ok(venv);
    }
    std::fs::create_dir_all(&target).map_err(|e| e.to_string())?;
    // Build in a private directory and rename: concurrent test processes never see half a venv.
    let tmp = target.join(format!("mongoeco-venv.tmp-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&tmp);
    run(
        Command::new(python313()?).arg("-m").arg("venv").arg(&tmp),
        "creating the mongoeco virtualenv",
    )?;
    run(
        Command::new(tmp.join("bin/pip")).args([
            "install",
            "--quiet",
            "--disable-pip-version-check",
            PACKAGE,
        ]),
        "pip install mongoeco[wire]",
    )?;
    std::fs::write(tmp.join(".ready"), PACKAGE).map_err(|e| e.to_string())?;
    if std::fs::rename(&tmp, &venv).is_err() {
        let _ = std::fs::remove_dir_all(&tmp);
        if !venv.join(".ready").exists() {
            return Err(format!(
                "could not install the mongoeco virtualenv at {}",
                venv.display()
            ));
        }
    }
    Ok(venv)
}

fn start() -> Result<Server, String> {
    let venv = venv()?;
    let launcher = venv.join("writ_mongoeco_server.py");
    std::fs::write(&launcher, LAUNCHER).map_err(|e| e.to_string())?;
    let mut child = Command::new(venv.join("bin/python"))
        .arg(&launcher)
        .arg("0")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .map_err(|e| format!("starting the mongoeco server: {e}"))?;
    let stdin = child.stdin.take().ok_or("no stdin")?;
    let stdout = child.stdout.take().ok_or("no stdout")?;
    let mut line = String::new();
    BufReader::new(stdout)
        .read_line(&mut line)
        .map_err(|e| e.to_string())?;
    let port: u16 = line
        .trim()
        .parse()
        .map_err(|_| format!("the mongoeco server did not report a port (got {line:?})"))?;
    Ok(Server {
        uri: format!("mongodb://127.0.0.1:{port}/?directConnection=true"),
        _child: Mutex::new((child, stdin)),
    })
}

/// A MongoDB connection string for tests: `MONGODB_URI`, or the wire test server of this process.
///
/// Panics with the reason when no server can be provided: a test that needs MongoDB must not
/// pass without one.
pub fn mongodb_uri() -> String {
    if let Ok(uri) = std::env::var("MONGODB_URI")
        && !uri.is_empty()
    {
        return uri;
    }
    match SERVER.get_or_init(start) {
        Ok(s) => s.uri.clone(),
        Err(e) => panic!("no MongoDB for the tests: {e}"),
    }
}

/// Whether the tests run against a real MongoDB (`MONGODB_URI`) rather than the wire test server.
pub fn real_mongodb() -> bool {
    std::env::var("MONGODB_URI").is_ok_and(|u| !u.is_empty())
}

/// How many cases a fuzz target runs: `WRIT_FUZZ_CASES` for long local runs, else 300 (CI).
pub fn fuzz_cases() -> u32 {
    std::env::var("WRIT_FUZZ_CASES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(300)
}

/// A deployment of inline functions (`(name, source)`) with default configuration.
pub fn deployment(functions: &[(&str, &str)]) -> engine::Deployment {
    let mut d = engine::Deployment::default();
    for (name, source) in functions {
        d.functions.insert(
            name.to_string(),
            engine::FunctionSpec {
                name: name.to_string(),
                path: format!("{name}.js"),
                source: source.to_string(),
                config: engine::FunctionConfig::default(),
            },
        );
    }
    d
}

/// Renders a call's outcome for golden files: logs, then the result as canonical EJSON (exact
/// types), the exception, or the engine error with its code.
pub fn render(result: Result<engine::Outcome, engine::EngineError>) -> String {
    let mut out = String::new();
    match result {
        Ok(outcome) => {
            for line in outcome.logs {
                let tag = match line.level {
                    engine::LogLevel::Info => "log",
                    engine::LogLevel::Warn => "warn",
                    engine::LogLevel::Error => "error",
                };
                out.push_str(&format!("[{tag}] {}\n", line.message));
            }
            match outcome.result {
                Ok(v) => out.push_str(&format!("result: {}\n", v.into_canonical_extjson())),
                Err(ex) => {
                    out.push_str(&format!("exception: {}: {}\n", ex.name, ex.message));
                    if let Some(code) = ex.code {
                        out.push_str(&format!("exception code: {}\n", code.into_canonical_extjson()));
                    }
                }
            }
        }
        Err(e) => out.push_str(&format!("error {}: {}\n", e.code(), e)),
    }
    out
}

/// Copies the directory tree `from` into `to`, creating `to`.
pub fn copy_dir(from: &Path, to: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(to)?;
    for entry in std::fs::read_dir(from)? {
        let path = entry?.path();
        let target = to.join(path.file_name().unwrap_or_default());
        if path.is_dir() {
            copy_dir(&path, &target)?;
        } else {
            std::fs::copy(&path, &target)?;
        }
    }
    Ok(())
}

/// Copies the sample app at the repository root (functions, auth, rules, root config) into `to`.
pub fn copy_sample_app(to: &Path) -> std::io::Result<()> {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    for part in ["functions", "auth", "data_sources"] {
        copy_dir(&repo.join(part), &to.join(part))?;
    }
    std::fs::copy(repo.join("root_config.json"), to.join("root_config.json"))?;
    Ok(())
}

/// A running server process that announced itself with a `listening on <base URL>` line on its
/// stdout (as `writ serve` does); killed when dropped.
pub struct Listening {
    /// The process.
    pub child: Child,
    /// The base URL from its `listening on` line.
    pub base: String,
}

impl Listening {
    /// Spawns `cmd` with a piped stdout and waits for its `listening on` line.
    pub fn start(cmd: &mut Command) -> std::io::Result<Self> {
        let mut child = cmd.stdout(Stdio::piped()).spawn()?;
        let stdout = child
            .stdout
            .take()
            .ok_or_else(|| std::io::Error::other("no stdout"))?;
        let mut line = String::new();
        BufReader::new(stdout).read_line(&mut line)?;
        match line.trim().strip_prefix("listening on ") {
            Some(base) => Ok(Self {
                base: base.to_string(),
                child,
            }),
            None => {
                let _ = child.kill();
                let _ = child.wait();
                Err(std::io::Error::other(format!(
                    "the server did not start: {line:?}"
                )))
            }
        }
    }
}

impl Drop for Listening {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

//! Shared by the client suites: a real `writ serve` process on a free port serving a copy of
//! the sample app, on the embedded store or on MongoDB (the wire test server, or `MONGODB_URI`).
// Each test crate uses a part of this module.
#![allow(dead_code)]

pub mod api;

use std::{
    path::PathBuf,
    process::{Command, Stdio},
};

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
    _dir: tempfile::TempDir,
}

/// Starts `writ serve` on the sample app plus `functions` (name, source), with `args` added to
/// the command line, on MongoDB when `mongodb` is true and on the embedded store otherwise.
pub fn serve_sample(mongodb: bool, functions: &[(&str, &str)], args: &[&str]) -> Server {
    let dir = tempfile::tempdir().expect("tempdir");
    let app_dir = dir.path().join("app");
    testkit::copy_sample_app(&app_dir).expect("copy the sample app");
    for (name, source) in functions {
        std::fs::write(app_dir.join(format!("functions/{name}.js")), source).expect("write");
    }
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
        _dir: dir,
    }
}

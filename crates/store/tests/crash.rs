//! Durability: a writer killed with SIGKILL in the middle of a write loop loses no write it
//! had acknowledged, and the store opens cleanly afterwards.
//!
//! The test runs itself as the writer: with `WRIT_CRASH_CHILD_DIR` set, it only writes, and
//! prints `ack N` after each insert returns.

use std::{
    io::{BufRead, BufReader, Write},
    process::{Command, Stdio},
    time::{Duration, Instant},
};

use bson::doc;
use store::{Data as _, FindOptions, Ns, Store};

const TEST: &str = "killed_writer_loses_no_acknowledged_write";

fn ns() -> Ns {
    Ns {
        db: "crash".into(),
        coll: "log".into(),
    }
}

fn write_forever(dir: &str) {
    let store = Store::open(std::path::Path::new(dir)).expect("open");
    let mut out = std::io::stdout().lock();
    for i in 0i64.. {
        let (_, err) = store.insert(&ns(), vec![doc! { "_id": i, "payload": "x".repeat(200) }], true);
        assert!(err.is_none(), "{err:?}");
        writeln!(out, "ack {i}").expect("stdout");
        out.flush().expect("flush");
    }
}

#[test]
fn killed_writer_loses_no_acknowledged_write() {
    if let Ok(dir) = std::env::var("WRIT_CRASH_CHILD_DIR") {
        write_forever(&dir);
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let mut child = Command::new(std::env::current_exe().expect("exe"))
        .args(["--exact", TEST, "--nocapture", "--test-threads=1"])
        .env("WRIT_CRASH_CHILD_DIR", dir.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn writer");
    let stdout = child.stdout.take().expect("stdout");
    let mut acked = Vec::new();
    let started = Instant::now();
    for line in BufReader::new(stdout).lines() {
        let Ok(line) = line else { break };
        if let Some(n) = line.strip_prefix("ack ") {
            acked.push(n.parse::<i64>().expect("number"));
        }
        if acked.len() >= 300 || started.elapsed() > Duration::from_secs(20) {
            break;
        }
    }
    child.kill().expect("SIGKILL");
    child.wait().expect("reap");
    assert!(
        acked.len() >= 50,
        "the writer acknowledged only {} writes",
        acked.len()
    );

    let store = Store::open(dir.path()).expect("the store opens after a crash");
    let docs = store
        .find(&ns(), &doc! {}, &FindOptions::default())
        .expect("find");
    let stored: std::collections::HashSet<i64> = docs.iter().map(|d| d.get_i64("_id").expect("id")).collect();
    let lost: Vec<i64> = acked.iter().copied().filter(|i| !stored.contains(i)).collect();
    assert!(
        lost.is_empty(),
        "acknowledged writes lost after SIGKILL: {lost:?}"
    );
    // Nothing half-written: every stored document is whole.
    assert!(
        docs.iter()
            .all(|d| d.get_str("payload").is_ok_and(|p| p.len() == 200))
    );
}

/// The store's file holds password hashes and writ's signing key: a directory the store
/// creates is its user's alone, and so is a new file; an existing file loses what other
/// users could read.
#[test]
fn the_store_is_not_readable_by_other_users() {
    use std::os::unix::fs::PermissionsExt;
    let mode = |p: &std::path::Path| std::fs::metadata(p).expect("metadata").permissions().mode() & 0o777;
    let root = tempfile::tempdir().expect("tempdir");
    let dir = root.path().join("new/data");
    drop(Store::open(&dir).expect("open"));
    assert_eq!(mode(&dir), 0o700);
    assert_eq!(mode(&root.path().join("new")), 0o700);
    assert_eq!(mode(&dir.join("writ.redb")), 0o600);
    // A store made before (world-readable) keeps its owner's and group's bits only.
    std::fs::set_permissions(dir.join("writ.redb"), std::fs::Permissions::from_mode(0o644)).expect("chmod");
    drop(Store::open(&dir).expect("open again"));
    assert_eq!(mode(&dir.join("writ.redb")), 0o640);
}

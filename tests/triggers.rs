//! Database and scheduled triggers (`tests/triggers_app` on a copy of the sample app):
//! realm-web writes fire them in commit order with MongoDB's event shape; `match`, `project`
//! and `operation_types` select; a failing function loses no later event; an ordered trigger
//! whose function fails is suspended and resumed with `writ trigger resume`; a `kill -9`
//! between a write and its trigger's run delivers the event after the restart; a scheduled
//! trigger runs on a clock the test moves.
//!
//! These run on the embedded store. On MongoDB the feed is MongoDB's change streams, which
//! need a replica set; the wire-protocol test server CI uses has no change streams, so the
//! MongoDB path is not covered here.

mod common;

use std::{path::Path, process::Command, sync::Arc, time::Duration};

use common::{Server, repo, request, run_script, serve_prepared};
use serde_json::{Value, json};

/// Adds `tests/triggers_app` to the app copy in `app`: its files, and its function settings
/// merged into `functions/config.json`.
fn overlay(app: &Path) {
    let from = repo().join("tests/triggers_app");
    copy(&from, app);
    let extra_path = app.join("functions/config.extra.json");
    let extra: Vec<Value> =
        serde_json::from_str(&std::fs::read_to_string(&extra_path).expect("extra")).expect("json");
    std::fs::remove_file(&extra_path).expect("remove");
    let config_path = app.join("functions/config.json");
    let mut config: Vec<Value> =
        serde_json::from_str(&std::fs::read_to_string(&config_path).expect("config")).expect("json");
    config.extend(extra);
    std::fs::write(&config_path, serde_json::to_string_pretty(&config).expect("json")).expect("write");
    std::fs::remove_file(app.join("README.md")).ok();
}

fn copy(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for entry in std::fs::read_dir(from).expect("read dir") {
        let entry = entry.expect("entry");
        let target = to.join(entry.file_name());
        if entry.path().is_dir() {
            copy(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).expect("copy");
        }
    }
}

fn start() -> Server {
    serve_prepared(false, &["--no-watch"], overlay)
}

#[test]
fn database_triggers_fire_for_client_writes() {
    let server = start();
    let scenarios = [
        "eventsInCommitOrder",
        "matchAndProject",
        "failuresLoseNothing",
        "watchWithinRules",
    ];
    let out = run_script("triggers.mjs", &server.process.base, "writ-sample", &scenarios);
    assert_eq!(
        out.lines().filter(|l| l.starts_with("ok ")).count(),
        scenarios.len(),
        "{out}"
    );
}

/// Calls `name` with `args` as the user of `token`.
fn call_with(base: &str, token: &str, name: &str, args: Value) -> Value {
    let body = json!({"name": name, "arguments": args});
    let (status, answer) = request(
        base,
        &format!("{}/functions/call", common::APP),
        Some(token),
        &body,
    );
    assert_eq!(status, 200, "{name}: {answer}");
    answer
}

/// Polls `check` every 100 ms for up to `secs` seconds.
fn eventually(secs: u64, mut check: impl FnMut() -> bool) -> bool {
    let deadline = std::time::Instant::now() + Duration::from_secs(secs);
    while std::time::Instant::now() < deadline {
        if check() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    check()
}

/// Stops `server` with SIGKILL; its app and data directories stay.
fn kill(server: Server) -> (std::path::PathBuf, tempfile::TempDir) {
    let Server {
        mut process,
        app_dir,
        dir,
    } = server;
    let _ = process.child.kill();
    let _ = process.child.wait();
    (app_dir, dir)
}

/// `writ serve` again on the app and data of a killed server.
fn restart((app_dir, dir): (std::path::PathBuf, tempfile::TempDir)) -> Server {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_writ"));
    cmd.args(["serve", "--listen", "127.0.0.1:0", "--no-watch", "--app"])
        .arg(&app_dir)
        .arg("--data")
        .arg(dir.path().join("data"))
        .env("WRIT_LOG", "warn")
        .env_remove("MONGODB_URI")
        .stderr(std::process::Stdio::inherit());
    let process = testkit::Listening::start(&mut cmd).expect("restart writ serve");
    Server {
        process,
        app_dir,
        dir,
    }
}

#[test]
fn a_crash_before_a_trigger_ran_delivers_the_event_after_the_restart() {
    let server = start();
    let base = server.process.base.clone();
    let token = common::anonymous(&base);
    call_with(&base, &token, "addOrder", json!([1]));
    // The trigger's function takes 2 s: writ is killed (SIGKILL) while it runs.
    std::thread::sleep(Duration::from_millis(300));
    let server = restart(kill(server));
    let base = server.process.base.clone();
    let token = common::anonymous(&base);
    let copies = || call_with(&base, &token, "readCopies", json!([]));
    assert!(
        eventually(15, || copies().as_array().is_some_and(|a| !a.is_empty())),
        "{}",
        copies()
    );
    std::thread::sleep(Duration::from_millis(2500));
    // At least once is the guarantee; here the first run never finished, so it ran once.
    assert_eq!(
        copies(),
        json!([{"_id": {"$numberInt": "1"}, "runs": {"$numberInt": "1"}}])
    );
}

#[test]
fn an_ordered_trigger_that_fails_is_suspended_until_resumed() {
    let server = serve_prepared(false, &["--no-watch"], |app| {
        overlay(app);
        let trigger = json!({
            "name": "strict", "type": "DATABASE", "function_name": "strictCopy",
            "config": {"database": "strict", "collection": "in", "operation_types": ["INSERT"]},
        });
        std::fs::write(app.join("triggers/strict.json"), trigger.to_string()).expect("write");
        let copy = r#"exports = async function (event) {
  const db = context.services.get("mongodb-atlas").db("strict");
  if (event.fullDocument.bad && !(await db.collection("fixes").findOne({}))) throw new Error("cannot copy a bad order");
  await db.collection("out").insertOne({ n: event.fullDocument.n });
};"#;
        std::fs::write(app.join("functions/strictCopy.js"), copy).expect("write");
        let add = r#"exports = async (doc) => context.services.get("mongodb-atlas").db("strict").collection(doc.fix ? "fixes" : "in").insertOne(doc);"#;
        std::fs::write(app.join("functions/strictAdd.js"), add).expect("write");
        let read = r#"exports = async () => (await context.services.get("mongodb-atlas").db("strict").collection("out").find({}).toArray()).map((d) => d.n);"#;
        std::fs::write(app.join("functions/strictRead.js"), read).expect("write");
        let config_path = app.join("functions/config.json");
        let mut config: Vec<Value> =
            serde_json::from_str(&std::fs::read_to_string(&config_path).expect("config")).expect("json");
        for name in ["strictCopy", "strictAdd", "strictRead"] {
            config.push(json!({"name": name, "run_as_system": true}));
        }
        std::fs::write(&config_path, Value::from(config).to_string()).expect("write");
    });
    let base = server.process.base.clone();
    let token = common::anonymous(&base);
    for doc in [json!({"n": 1}), json!({"n": 2, "bad": true}), json!({"n": 3})] {
        call_with(&base, &token, "strictAdd", json!([doc]));
    }
    let read = |base: &str, token: &str| call_with(base, token, "strictRead", json!([]));
    let one = json!([{"$numberInt": "1"}]);
    assert!(
        eventually(10, || read(&base, &token) == one),
        "{}",
        read(&base, &token)
    );
    std::thread::sleep(Duration::from_millis(500));
    assert_eq!(
        read(&base, &token),
        one,
        "suspended at the failing event: nothing after it runs"
    );
    call_with(&base, &token, "strictAdd", json!([{"fix": true}]));

    // Stopped (the embedded store has one process), resumed, started again.
    let (app_dir, dir) = kill(server);
    let resume = |name: &str| {
        Command::new(env!("CARGO_BIN_EXE_writ"))
            .args(["trigger", "resume", name, "--app"])
            .arg(&app_dir)
            .arg("--data")
            .arg(dir.path().join("data"))
            .env_remove("MONGODB_URI")
            .output()
            .expect("writ trigger resume")
    };
    let out = resume("strict");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let again = resume("strict");
    assert!(
        !again.status.success(),
        "resuming a trigger that is not suspended is an error"
    );
    let server = restart((app_dir, dir));
    let base = server.process.base.clone();
    let token = common::anonymous(&base);
    let all = json!([{"$numberInt": "1"}, {"$numberInt": "2"}, {"$numberInt": "3"}]);
    assert!(
        eventually(15, || read(&base, &token) == all),
        "{}",
        read(&base, &token)
    );
}

#[test]
fn a_scheduled_trigger_runs_on_its_schedule() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async {
        let dir = tempfile::tempdir().expect("tempdir");
        let app = dir.path().join("app");
        testkit::copy_sample_app(&app).expect("copy");
        std::fs::create_dir_all(app.join("triggers")).expect("mkdir");
        for (name, skip) in [("everyMinute", false), ("skipsCatchUp", true)] {
            let body = format!(
                r#"exports = async () => context.services.get("mongodb-atlas").db("ticks").collection("c").updateOne({{_id: "{name}"}}, {{$inc: {{n: 1}}}}, {{upsert: true}});"#
            );
            std::fs::write(app.join(format!("functions/{name}Tick.js")), body).expect("write");
            let trigger = json!({
                "name": name, "type": "SCHEDULED", "function_name": format!("{name}Tick"),
                "config": {"schedule": "* * * * *", "skip_catchup_events": skip},
            });
            std::fs::write(app.join(format!("triggers/{name}.json")), trigger.to_string()).expect("write");
        }
        let options = common::api::options(app, dir.path().join("data"), common::api::limits());
        let start = chrono::DateTime::parse_from_rfc3339("2030-01-01T00:00:30Z")
            .expect("time")
            .with_timezone(&chrono::Utc);
        let clock = Arc::new(writ::server::triggers::ManualClock::new(start));
        let state = writ::server::state_with_clock(&options, clock.clone()).await.expect("state");
        let count = |name: &'static str| {
            let state = state.clone();
            async move {
                let spec = bson::doc! {"database": "ticks", "collection": "c", "filter": {"_id": name}};
                let request = bridge::Request::parse("findOne", &spec).expect("request");
                match state.data.execute(request).await.expect("findOne") {
                    bridge::Outcome::Document(Some(d)) => d.get_i32("n").unwrap_or(0),
                    _ => 0,
                }
            }
        };
        let settle = || tokio::time::sleep(Duration::from_millis(300));
        settle().await;
        assert_eq!(count("everyMinute").await, 0, "nothing is due at start");
        clock.advance(Duration::from_secs(31)); // 00:01:01
        let mut n = 0;
        for _ in 0..50 {
            n = count("everyMinute").await;
            if n == 1 {
                break;
            }
            settle().await;
        }
        assert_eq!(n, 1, "the 00:01 run");
        // The two triggers run independently: wait for the other one too.
        for _ in 0..50 {
            if count("skipsCatchUp").await == 1 {
                break;
            }
            settle().await;
        }
        assert_eq!(count("skipsCatchUp").await, 1, "an on-time run is not a missed one");
        clock.advance(Duration::from_secs(60)); // 00:02:01
        for _ in 0..50 {
            if count("everyMinute").await == 2 {
                break;
            }
            settle().await;
        }
        assert_eq!(count("everyMinute").await, 2);
        // Ten minutes pass at once (as when writ was down): one run stands for the missed
        // ones, unless the trigger skips catch-up.
        clock.advance(Duration::from_secs(600)); // 00:12:01
        for _ in 0..50 {
            if count("everyMinute").await == 3 {
                break;
            }
            settle().await;
        }
        for _ in 0..50 {
            if count("skipsCatchUp").await >= 2 {
                break;
            }
            settle().await;
        }
        settle().await;
        assert_eq!(count("everyMinute").await, 3);
        assert_eq!(count("skipsCatchUp").await, 2, "the missed runs were skipped");
        clock.advance(Duration::from_secs(60)); // 00:13:01: on time again
        for _ in 0..50 {
            if count("skipsCatchUp").await == 3 {
                break;
            }
            settle().await;
        }
        assert_eq!(count("skipsCatchUp").await, 3);
    });
}

#[test]
fn writ_check_lists_database_and_scheduled_triggers_as_loaded() {
    let dir = tempfile::tempdir().expect("tempdir");
    let app = dir.path().join("app");
    testkit::copy_sample_app(&app).expect("copy");
    overlay(&app);
    let out = Command::new(env!("CARGO_BIN_EXE_writ"))
        .args(["check", "--app"])
        .arg(&app)
        .output()
        .expect("writ check");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        text.contains("loaded        triggers/itemChanges.json  (database trigger itemChanges)"),
        "{text}"
    );
}

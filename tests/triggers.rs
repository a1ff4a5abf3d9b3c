//! Database and scheduled triggers (`tests/triggers_app` on a copy of the sample app):
//! realm-web writes fire them in commit order with MongoDB's event shape; `match`, `project`
//! and `operation_types` select; a failing function loses no later event; an ordered trigger
//! whose function fails is suspended and resumed with `writ trigger resume`; a `kill -9`
//! between a write and its trigger's run delivers the event after the restart; a scheduled
//! trigger runs on a clock the test moves.
//!
//! Each test runs twice: on the embedded store, and on the driver path, where the feed is
//! MongoDB's change streams. Change streams need a replica set (MongoDB 6.0 or later for the
//! events' `wallTime`): the driver-path tests run when `MONGODB_URI` points at one. The
//! wire-protocol test server CI uses (mongoeco) has no change streams, so without
//! `MONGODB_URI` they say so and do nothing. On MongoDB they run one at a time and first drop
//! the databases they use ([`MongoDb::DATABASES`]): point them at a server for tests only.

mod common;

use std::{path::Path, process::Command, sync::Arc, time::Duration};

use common::{Server, repo, request, run_script_with, serve_prepared};
use serde_json::{Value, json};

/// Where a test's `writ serve` keeps its data.
#[derive(Clone, Copy, PartialEq)]
enum Data {
    /// The embedded store in the test's temporary directory.
    Embedded,
    /// The replica set of `MONGODB_URI` (the driver path).
    MongoDb,
}

/// The driver path's hold on the replica set: one test at a time, on dropped databases.
struct MongoDb {
    _turn: std::sync::MutexGuard<'static, ()>,
}

impl MongoDb {
    /// Every database these tests write, writ's own (`__writ_<app id>`) included.
    const DATABASES: [&str; 7] = [
        "shop",
        "shop-log",
        "crash",
        "strict",
        "ticks",
        "custom-user-data-database",
        "__writ_writ-sample",
    ];

    /// The replica set of `MONGODB_URI`, its test databases dropped; `None`, saying why, when
    /// `MONGODB_URI` is not set. Panics when it names a server without change streams.
    fn take(test: &str) -> Option<Self> {
        if !testkit::real_mongodb() {
            eprintln!(
                "{test} on MongoDB: skipped. The wire-protocol test server has no change streams; \
                 set MONGODB_URI to a MongoDB replica set (6.0 or later) to run the driver path"
            );
            return None;
        }
        static TURN: std::sync::Mutex<()> = std::sync::Mutex::new(());
        let turn = TURN.lock().unwrap_or_else(|e| e.into_inner());
        with_client(|client| async move {
            let hello = client
                .database("admin")
                .run_command(bson::doc! {"hello": 1})
                .await
                .expect("hello");
            assert!(
                hello.get_str("setName").is_ok() || hello.get_str("msg").is_ok_and(|m| m == "isdbgrid"),
                "MONGODB_URI must point at a replica set or a sharded cluster: change streams need one ({hello})"
            );
            for name in Self::DATABASES {
                client.database(name).drop().await.expect("drop a test database");
            }
        });
        Some(Self { _turn: turn })
    }

    /// Waits until `n` database triggers have stored where they start reading (the driver path
    /// opens their change streams after the server listens).
    fn await_triggers(&self, n: u64) {
        let ready = || stored_triggers(bson::doc! {"resume": {"$exists": true}}) >= n;
        assert!(eventually(20, ready), "the triggers did not start on MongoDB");
    }
}

/// Declares test `$embedded`, running `$body` on the embedded store, and test `$mongodb`,
/// running it on the driver path when [`MongoDb::take`] gives a replica set.
macro_rules! both {
    ($embedded:ident, $mongodb:ident, $body:ident) => {
        #[test]
        fn $embedded() {
            $body(Data::Embedded, None);
        }

        #[test]
        fn $mongodb() {
            if let Some(m) = MongoDb::take(stringify!($embedded)) {
                $body(Data::MongoDb, Some(&m));
            }
        }
    };
}

/// How many triggers' stored states in writ's own database on MongoDB match `filter`.
fn stored_triggers(filter: bson::Document) -> u64 {
    with_client(|client| async move {
        client
            .database("__writ_writ-sample")
            .collection::<bson::Document>("triggers")
            .count_documents(filter)
            .await
            .expect("count")
    })
}

/// Runs `f` with a client of `MONGODB_URI` on a runtime of its own.
fn with_client<F, T>(f: impl FnOnce(mongodb::Client) -> F) -> T
where
    F: std::future::Future<Output = T>,
{
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async {
        let client = mongodb::Client::with_uri_str(testkit::mongodb_uri())
            .await
            .expect("MONGODB_URI");
        f(client).await
    })
}

/// Sets `cmd`'s `MONGODB_URI` for `data`.
fn data_env(cmd: &mut Command, data: Data) {
    match data {
        Data::Embedded => cmd.env_remove("MONGODB_URI"),
        Data::MongoDb => cmd.env("MONGODB_URI", testkit::mongodb_uri()),
    };
}

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

/// The database triggers of `tests/triggers_app`.
const APP_TRIGGERS: u64 = 5;

/// `writ serve` on the sample app with `tests/triggers_app`, its triggers started.
fn start(data: Data, mongo: Option<&MongoDb>) -> Server {
    let server = serve_prepared(data == Data::MongoDb, &["--no-watch"], overlay);
    if let Some(m) = mongo {
        m.await_triggers(APP_TRIGGERS);
    }
    server
}

both!(
    database_triggers_fire_for_client_writes,
    database_triggers_fire_for_client_writes_on_mongodb,
    client_writes
);

fn client_writes(data: Data, mongo: Option<&MongoDb>) {
    let server = start(data, mongo);
    let scenarios = [
        "eventsInCommitOrder",
        "matchAndProject",
        "failuresLoseNothing",
        "watchWithinRules",
    ];
    let on = match data {
        Data::Embedded => "embedded",
        Data::MongoDb => "mongodb",
    };
    let out = run_script_with(
        "triggers.mjs",
        &server.process.base,
        "writ-sample",
        &scenarios,
        &[("WRIT_TEST_DATA", on)],
    );
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
fn restart((app_dir, dir): (std::path::PathBuf, tempfile::TempDir), data: Data) -> Server {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_writ"));
    cmd.args(["serve", "--listen", "127.0.0.1:0", "--no-watch", "--app"])
        .arg(&app_dir)
        .arg("--data")
        .arg(dir.path().join("data"))
        .env("WRIT_LOG", "warn")
        .stderr(std::process::Stdio::inherit());
    data_env(&mut cmd, data);
    let process = testkit::Listening::start(&mut cmd).expect("restart writ serve");
    Server {
        process,
        app_dir,
        dir,
    }
}

both!(
    a_crash_before_a_trigger_ran_delivers_the_event_after_the_restart,
    a_crash_before_a_trigger_ran_delivers_the_event_after_the_restart_on_mongodb,
    crash_and_restart
);

/// On MongoDB the restarted process takes the triggers over when the killed one's leases
/// expire (30 s): it waits longer there.
fn takeover(data: Data) -> u64 {
    match data {
        Data::Embedded => 15,
        Data::MongoDb => 60,
    }
}

fn crash_and_restart(data: Data, mongo: Option<&MongoDb>) {
    let server = start(data, mongo);
    let base = server.process.base.clone();
    let token = common::anonymous(&base);
    call_with(&base, &token, "addOrder", json!([1]));
    // The trigger's function takes 2 s: writ is killed (SIGKILL) while it runs.
    std::thread::sleep(Duration::from_millis(300));
    let server = restart(kill(server), data);
    let base = server.process.base.clone();
    let token = common::anonymous(&base);
    let copies = || call_with(&base, &token, "readCopies", json!([]));
    assert!(
        eventually(takeover(data), || copies()
            .as_array()
            .is_some_and(|a| !a.is_empty())),
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

both!(
    an_ordered_trigger_that_fails_is_suspended_until_resumed,
    an_ordered_trigger_that_fails_is_suspended_until_resumed_on_mongodb,
    suspend_and_resume
);

fn suspend_and_resume(data: Data, mongo: Option<&MongoDb>) {
    let server = serve_prepared(data == Data::MongoDb, &["--no-watch"], |app| {
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
    if let Some(m) = mongo {
        m.await_triggers(APP_TRIGGERS + 1);
    }
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

    let resume = |app_dir: &Path, dir: &Path| {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_writ"));
        cmd.args(["trigger", "resume", "strict", "--app"])
            .arg(app_dir)
            .arg("--data")
            .arg(dir.join("data"));
        data_env(&mut cmd, data);
        let out = cmd.output().expect("writ trigger resume");
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let again = cmd.output().expect("writ trigger resume");
        assert!(
            !again.status.success(),
            "resuming a trigger that is not suspended is an error"
        );
    };
    let server = match data {
        // The embedded store has one process: stopped, resumed, started again.
        Data::Embedded => {
            let (app_dir, dir) = kill(server);
            resume(&app_dir, dir.path());
            restart((app_dir, dir), data)
        }
        // On MongoDB another process resumes it, and the running server notices.
        Data::MongoDb => {
            resume(&server.app_dir, server.dir.path());
            server
        }
    };
    let base = server.process.base.clone();
    let token = common::anonymous(&base);
    let all = json!([{"$numberInt": "1"}, {"$numberInt": "2"}, {"$numberInt": "3"}]);
    assert!(
        eventually(15, || read(&base, &token) == all),
        "{}",
        read(&base, &token)
    );
}

both!(
    a_scheduled_trigger_runs_on_its_schedule,
    a_scheduled_trigger_runs_on_its_schedule_on_mongodb,
    scheduled
);

fn scheduled(data: Data, _mongo: Option<&MongoDb>) {
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
        let mut options = common::api::options(app, dir.path().join("data"), common::api::limits());
        if data == Data::MongoDb {
            options.mongodb_uri = Some(testkit::mongodb_uri());
        }
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

/// On a MongoDB without change streams (here the wire-protocol test server; a standalone
/// mongod answers the same way) the database triggers say why they wait, try again later and
/// are not suspended, and the server serves calls meanwhile.
#[test]
fn without_change_streams_triggers_wait_and_are_not_suspended() {
    if testkit::real_mongodb() {
        eprintln!("skipped: MONGODB_URI is set, and it may have change streams");
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let app = dir.path().join("app");
    testkit::copy_sample_app(&app).expect("copy");
    overlay(&app);
    let log = dir.path().join("serve.log");
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_writ"));
    cmd.args(["serve", "--listen", "127.0.0.1:0", "--no-watch", "--app"])
        .arg(&app)
        .env("WRIT_LOG", "error")
        .env("MONGODB_URI", testkit::mongodb_uri())
        .stderr(std::fs::File::create(&log).expect("log"));
    let server = testkit::Listening::start(&mut cmd).expect("writ serve");
    let said = || std::fs::read_to_string(&log).unwrap_or_default();
    assert!(
        eventually(10, || said().matches("cannot open the change feed").count()
            >= APP_TRIGGERS as usize),
        "{}",
        said()
    );
    let token = common::anonymous(&server.base);
    assert_eq!(
        call_with(&server.base, &token, "hello", json!(["x"])),
        json!("Hello, x!")
    );
    let suspended = stored_triggers(bson::doc! {"suspended": {"$exists": true}});
    assert_eq!(suspended, 0, "{}", said());
}

//! The load run: a real `writ serve` process on loopback against the HTTP floor (a minimal axum
//! hello-world, this binary re-run as `hello-server`) and against Node.js running the same
//! function file behind `node:http` (`node_server.mjs`), in interleaved rounds; then process
//! start to first successful call. Prints the results and the ratio table of DESIGN.md §4.
//!
//! `cargo bench --bench load [-- --connections 16 --requests 20000 --rounds 3]`
//! (`--requests` is per scenario and round; `--only TEXT` keeps the scenarios whose name has it;
//! `--steps` adds the steps between the no-op and writeCustomUserData, each one more part of
//! the write's function, to show what each part costs).
//! Without `--bench` (as `cargo test --all-targets` runs it) it is a quick check that every
//! scenario works: 200 requests, one round, like criterion's test mode.

mod client;

use std::{
    path::{Path, PathBuf},
    process::{Command, Stdio},
    time::{Duration, Instant},
};

use anyhow::Context as _;
use client::{Run, Target, quantile};
use testkit::Listening;

const APP_ID: &str = "writ-sample";
const SECRET: &str = "load-run-secret-load-run-secret-0";
const CALL: &str = "/api/client/v2.0/app/writ-sample/functions/call";
const ANON: &str = "/api/client/v2.0/app/writ-sample/auth/providers/anon-user/login";

struct Options {
    only: Option<String>,
    steps: bool,
    connections: usize,
    requests: usize,
    rounds: usize,
}

fn options() -> anyhow::Result<Options> {
    let mut o = Options {
        only: None,
        steps: false,
        connections: 16,
        requests: 20_000,
        rounds: 3,
    };
    if !std::env::args().any(|a| a == "--bench") {
        (o.requests, o.rounds) = (200, 1);
    }
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        if arg == "--steps" {
            o.steps = true;
            continue;
        }
        if arg == "--only" {
            o.only = args.next();
            continue;
        }
        let slot = match arg.as_str() {
            "--connections" => &mut o.connections,
            "--requests" => &mut o.requests,
            "--rounds" => &mut o.rounds,
            _ => continue, // `--bench` and filters from `cargo bench`
        };
        *slot = args.next().context("a number after the flag")?.parse()?;
    }
    Ok(o)
}

fn main() -> anyhow::Result<()> {
    if std::env::args().nth(1).as_deref() == Some("hello-server") {
        return hello_server();
    }
    let options = options()?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let local = tokio::task::LocalSet::new();
    local.block_on(&runtime, load_run(&options))
}

/// The HTTP floor: axum's hello-world, on tokio's default multi-threaded runtime.
fn hello_server() -> anyhow::Result<()> {
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    runtime.block_on(async {
        let app = axum::Router::new().route("/", axum::routing::get(|| async { "Hello, World!" }));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        println!("listening on http://{}", listener.local_addr()?);
        axum::serve(listener, app).await?;
        Ok(())
    })
}

/// The `--steps` functions: each adds one part of writeCustomUserData to the one before.
const STEPS: [(&str, &str); 4] = [
    ("stepArgs", "function (data) {}"),
    ("stepUser", "function (data) { return context.user.id; }"),
    (
        "stepCollection",
        "function (data) { const c = context.services.get('mongodb-atlas').db('custom-user-data-database')\
         .collection('custom-user-data'); return { filter: { userId: context.user.id }, update: { $set: data } }; }",
    ),
    (
        "stepRead",
        "async function (data) { const c = context.services.get('mongodb-atlas').db('custom-user-data-database')\
         .collection('custom-user-data'); return await c.findOne({ userId: context.user.id }); }",
    ),
];

/// A copy of the sample app with a no-op function added.
fn app(dir: &Path) -> anyhow::Result<PathBuf> {
    let app = dir.join("app");
    testkit::copy_sample_app(&app)?;
    std::fs::write(app.join("functions/noop.js"), "exports = function () {};\n")?;
    for (name, body) in STEPS {
        std::fs::write(
            app.join(format!("functions/{name}.js")),
            format!("exports = {body};\n"),
        )?;
    }
    Ok(app)
}

/// The sample app with a database trigger on the custom user data collection whose function
/// stores its lag (function start minus the event's wall time, in ms) in `bench.lags`.
fn app_with_trigger(dir: &Path, unordered: bool) -> anyhow::Result<PathBuf> {
    let app = app(&dir.join(format!("trigger-{unordered}")))?;
    std::fs::create_dir_all(app.join("triggers"))?;
    let trigger = serde_json::json!({
        "name": "lag", "type": "DATABASE", "function_name": "recordLag",
        "config": {
            "database": "custom-user-data-database", "collection": "custom-user-data",
            "operation_types": ["INSERT", "UPDATE", "REPLACE"],
            "unordered": unordered,
        },
    });
    std::fs::write(app.join("triggers/lag.json"), trigger.to_string())?;
    std::fs::write(
        app.join("functions/recordLag.js"),
        "exports = async function (event) {\n  const lag = Date.now() - event.wallTime.getTime();\n  await context.services.get(\"mongodb-atlas\").db(\"bench\").collection(\"lags\").insertOne({ lag });\n};\n",
    )?;
    std::fs::write(
        app.join("functions/readLags.js"),
        "exports = async function () {\n  const docs = await context.services.get(\"mongodb-atlas\").db(\"bench\").collection(\"lags\").find({}, { lag: 1, _id: 0 }).toArray();\n  return docs.map((d) => d.lag);\n};\n",
    )?;
    let config_path = app.join("functions/config.json");
    let mut config: Vec<serde_json::Value> = serde_json::from_str(&std::fs::read_to_string(&config_path)?)?;
    config.push(serde_json::json!({"name": "recordLag", "private": true, "run_as_system": true}));
    config.push(serde_json::json!({"name": "readLags", "run_as_system": true}));
    std::fs::write(&config_path, serde_json::Value::from(config).to_string())?;
    Ok(app)
}

/// The trigger scenario: writeCustomUserData load on a server whose one database trigger
/// runs for every write; then the wait until the trigger has run for all of them, and its lag
/// (commit to function start) over all events.
struct TriggerRun {
    load: Run,
    drained_after: Duration,
    lags: Vec<Duration>,
}

async fn trigger_run(o: &Options, dir: &Path, unordered: bool) -> anyhow::Result<TriggerRun> {
    let app = app_with_trigger(dir, unordered)?;
    let writ = writ(&app, &dir.join(format!("trigger-data-{unordered}")))?;
    let tokens = tokens(&addr(&writ), o.connections).await?;
    let target = call(&addr(&writ), "writeCustomUserData", WRITE_ARGS, &tokens);
    let load = client::run(&target, o.connections, o.requests).await?;
    let ended = Instant::now();
    let read = call(&addr(&writ), "readLags", "", &[]);
    let mut sender = client::connect(&addr(&writ)).await?;
    loop {
        let (status, body) = client::send(&mut sender, &read, Some(&tokens[0]), read.body.clone()).await?;
        anyhow::ensure!(status == 200, "readLags answered {status}");
        let lags: Vec<serde_json::Value> = serde_json::from_slice(&body)?;
        if lags.len() >= o.requests || ended.elapsed() > Duration::from_secs(600) {
            let mut lags: Vec<Duration> = lags
                .iter()
                .filter_map(number)
                .map(|ms: f64| Duration::from_secs_f64(ms.max(0.0) / 1e3))
                .collect();
            lags.sort_unstable();
            return Ok(TriggerRun {
                load,
                drained_after: ended.elapsed(),
                lags,
            });
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// A number from canonical EJSON (`{"$numberInt": "5"}`, ...) or plain JSON.
fn number(v: &serde_json::Value) -> Option<f64> {
    let wrapped = ["$numberInt", "$numberLong", "$numberDouble"]
        .iter()
        .find_map(|k| v[*k].as_str()?.parse().ok());
    v.as_f64().or(wrapped)
}

/// A command starting a server: under `taskset -c CPUS` when `WRIT_BENCH_SERVER_CPUS` is set,
/// for the pinned view (each server on one core, the load generator, started under
/// `taskset` itself, on the other).
fn server_command(program: impl AsRef<std::ffi::OsStr>) -> Command {
    match std::env::var("WRIT_BENCH_SERVER_CPUS") {
        Ok(cpus) if !cpus.is_empty() => {
            let mut cmd = Command::new("taskset");
            cmd.arg("-c").arg(cpus).arg(program);
            cmd
        }
        _ => Command::new(program),
    }
}

fn writ(app: &Path, data: &Path) -> anyhow::Result<Listening> {
    let mut cmd = server_command(env!("CARGO_BIN_EXE_writ"));
    cmd.args([
        "serve",
        "--listen",
        "127.0.0.1:0",
        "--no-watch",
        "--jwt-secret",
        SECRET,
        // One load generator is one address with many connections: no per-address cap.
        "--max-calls-per-address",
        "1000000",
    ])
    .arg("--app")
    .arg(app)
    .arg("--data")
    .arg(data)
    .env_remove("MONGODB_URI")
    .stderr(Stdio::null());
    Ok(Listening::start(&mut cmd)?)
}

/// Node, from PATH or from the copy `.ci/run` downloads into `target/node`.
fn node() -> Option<PathBuf> {
    let bundled = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/node/bin/node");
    [PathBuf::from("node"), bundled].into_iter().find(|n| {
        Command::new(n)
            .arg("--version")
            .output()
            .is_ok_and(|o| o.status.success())
    })
}

fn addr(server: &Listening) -> String {
    server.base.trim_start_matches("http://").to_string()
}

/// Logs in one anonymous user per connection; returns their access tokens.
async fn tokens(writ: &str, n: usize) -> anyhow::Result<Vec<String>> {
    let login = Target {
        addr: writ.to_string(),
        method: "POST",
        path: ANON.into(),
        body: String::new(),
        tokens: vec![],
    };
    let mut sender = client::connect(writ).await?;
    let mut tokens = Vec::new();
    for _ in 0..n {
        let (status, body) = client::send(&mut sender, &login, None, "{}".into()).await?;
        anyhow::ensure!(status == 200, "anonymous login answered {status}");
        let json: serde_json::Value = serde_json::from_slice(&body)?;
        tokens.push(json["access_token"].as_str().context("access_token")?.to_string());
    }
    Ok(tokens)
}

fn call(addr: &str, function: &str, args: &str, tokens: &[String]) -> Target {
    Target {
        addr: addr.to_string(),
        method: "POST",
        path: CALL.into(),
        body: format!(r#"{{"name":"{function}","arguments":[{args}]}}"#),
        tokens: tokens.to_vec(),
    }
}

const WRITE_ARGS: &str = r#"{"favoriteColor":"purple","visits":{n}}"#;

async fn load_run(o: &Options) -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let app = app(dir.path())?;
    let startup = startup(&app, dir.path()).await?;

    let hello = Listening::start(server_command(std::env::current_exe()?).arg("hello-server"))?;
    let writ = writ(&app, &dir.path().join("data"))?;
    let node = match node() {
        Some(node) => Some(Listening::start(
            server_command(node)
                .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("benches/load/node_server.mjs"))
                .arg(&app)
                .args([APP_ID, SECRET]),
        )?),
        None => {
            eprintln!("node not found: the Node.js scenarios are skipped");
            None
        }
    };
    let tokens = tokens(&addr(&writ), o.connections).await?;
    let mut scenarios = vec![
        (
            "axum hello-world (HTTP floor)",
            Target {
                addr: addr(&hello),
                method: "GET",
                path: "/".into(),
                body: String::new(),
                tokens: vec![],
            },
        ),
        ("writ no-op", call(&addr(&writ), "noop", "", &tokens)),
        (
            "writ writeCustomUserData",
            call(&addr(&writ), "writeCustomUserData", WRITE_ARGS, &tokens),
        ),
    ];
    if o.steps {
        for (name, _) in STEPS {
            scenarios.push((name, call(&addr(&writ), name, WRITE_ARGS, &tokens)));
        }
    }
    if let Some(node) = &node {
        scenarios.push(("node no-op", call(&addr(node), "noop", "", &tokens)));
        scenarios.push((
            "node writeCustomUserData",
            call(&addr(node), "writeCustomUserData", WRITE_ARGS, &tokens),
        ));
    }
    if let Some(only) = &o.only {
        scenarios.retain(|(name, _)| name.contains(only.as_str()));
    }
    println!(
        "load run: {} connections, {} requests per scenario and round, {} rounds, interleaved",
        o.connections, o.requests, o.rounds
    );
    for (_, target) in &scenarios {
        client::run(target, o.connections, o.requests / 10).await?; // warm-up
    }
    let mut results: Vec<Vec<Run>> = scenarios.iter().map(|_| Vec::new()).collect();
    for _ in 0..o.rounds {
        for (i, (_, target)) in scenarios.iter().enumerate() {
            results[i].push(client::run(target, o.connections, o.requests).await?);
        }
    }
    let summaries: Vec<_> = scenarios
        .iter()
        .zip(&results)
        .map(|((name, _), runs)| Summary::of(name, runs))
        .collect();
    report(&summaries, &startup);
    for unordered in [false, true] {
        if !o.only.as_deref().is_none_or(|only| "writ trigger".contains(only)) {
            break;
        }
        let t = trigger_run(o, dir.path(), unordered).await?;
        let mut latencies = t.load.latencies.clone();
        latencies.sort_unstable();
        println!(
            "\nwrit writeCustomUserData with one {} database trigger on the written collection: {:.0} req/s \
             (p50 {}, p99 {}); the trigger ran for {} of {} writes, the last {} after the load ended; \
             trigger lag (commit to function start) p50 {}, p99 {}, max {}",
            if unordered { "unordered" } else { "ordered" },
            t.load.throughput(),
            ms(quantile(&latencies, 0.5)),
            ms(quantile(&latencies, 0.99)),
            t.lags.len(),
            o.requests,
            ms(t.drained_after),
            ms(quantile(&t.lags, 0.5)),
            ms(quantile(&t.lags, 0.99)),
            ms(t.lags.last().copied().unwrap_or_default()),
        );
    }
    Ok(())
}

/// One scenario over all rounds: the median round's throughput, latency quantiles of all requests.
struct Summary {
    name: &'static str,
    throughput: f64,
    p50: Duration,
    p99: Duration,
    p999: Duration,
}

impl Summary {
    fn of(name: &'static str, runs: &[Run]) -> Self {
        let mut rates: Vec<f64> = runs.iter().map(Run::throughput).collect();
        rates.sort_by(f64::total_cmp);
        let mut all: Vec<Duration> = runs.iter().flat_map(|r| r.latencies.iter().copied()).collect();
        all.sort_unstable();
        Self {
            name,
            throughput: rates[rates.len() / 2],
            p50: quantile(&all, 0.5),
            p99: quantile(&all, 0.99),
            p999: quantile(&all, 0.999),
        }
    }
}

/// Process start to "listening" and to the first answered call (anonymous login + `hello`), on a
/// fresh data directory each time.
struct Startup {
    listening: Vec<Duration>,
    first_call: Vec<Duration>,
}

async fn startup(app: &Path, dir: &Path) -> anyhow::Result<Startup> {
    let mut s = Startup {
        listening: vec![],
        first_call: vec![],
    };
    for i in 0..7 {
        let started = Instant::now();
        let writ = writ(app, &dir.join(format!("startup-{i}")))?;
        s.listening.push(started.elapsed());
        let addr = addr(&writ);
        let token = tokens(&addr, 1).await?.remove(0);
        let target = call(&addr, "hello", "", &[]);
        let mut sender = client::connect(&addr).await?;
        let (status, body) = client::send(&mut sender, &target, Some(&token), target.body.clone()).await?;
        anyhow::ensure!(
            status == 200,
            "first call answered {status}: {}",
            String::from_utf8_lossy(&body)
        );
        s.first_call.push(started.elapsed());
    }
    s.listening.sort_unstable();
    s.first_call.sort_unstable();
    Ok(s)
}

fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1e3)
}

fn report(summaries: &[Summary], startup: &Startup) {
    println!("\n| scenario | req/s | p50 | p99 | p99.9 |\n|---|---:|---:|---:|---:|");
    for s in summaries {
        println!(
            "| {} | {:.0} | {} | {} | {} |",
            s.name,
            s.throughput,
            ms(s.p50),
            ms(s.p99),
            ms(s.p999)
        );
    }
    let find = |name: &str| summaries.iter().find(|s| s.name.starts_with(name));
    let median = |v: &[Duration]| v[v.len() / 2];
    println!("\n| DESIGN.md §4 bar | measured | target | met |\n|---|---:|---:|---|");
    let row = |bar: &str, value: f64, target: &str, met: bool| {
        println!(
            "| {bar} | {value:.2} | {target} | {} |",
            if met { "yes" } else { "NO" }
        );
    };
    if let Some(w) = find("writ writeCustomUserData") {
        let tail = w.p99.as_secs_f64() / w.p50.as_secs_f64();
        row("writeCustomUserData p99 / p50", tail, "< 2.00", tail < 2.0);
    }
    // DESIGN.md §4: the no-op at least 1.0x Node's, the durable write at least 0.5x Node's
    // in-memory one.
    for (f, target) in [("writeCustomUserData", 0.5), ("no-op", 1.0)] {
        if let (Some(w), Some(n)) = (find(&format!("writ {f}")), find(&format!("node {f}"))) {
            let ratio = w.throughput / n.throughput;
            row(
                &format!("writ / node {f} throughput"),
                ratio,
                &format!(">= {target:.2}"),
                ratio >= target,
            );
        }
    }
    let first = median(&startup.first_call).as_secs_f64() * 1e3;
    row(
        "process start to first call, ms (median of 7)",
        first,
        "< 100",
        first < 100.0,
    );
    println!(
        "\nstart-up: listening after {} (median; max {}), first call answered after {} (median; max {})",
        ms(median(&startup.listening)),
        ms(startup.listening[startup.listening.len() - 1]),
        ms(median(&startup.first_call)),
        ms(startup.first_call[startup.first_call.len() - 1]),
    );
}

//! Node parity: each `node_parity/<case>.js` is a function file whose function returns a
//! string (typically `JSON.stringify` of many results); writ's engine and Node.js run it and
//! must return the same text. Node comes from `PATH`; without it the test says so and passes
//! (CI installs Node, so there it always runs).

use std::{path::Path, process::Command, sync::Arc};

use bson::Bson;
use engine::{Deployment, Engine, EngineConfig, FunctionConfig, FunctionSpec, Invocation, User};

fn node_output(harness: &Path, case: &Path) -> Option<String> {
    // Functions run in UTC on writ, as they did on App Services; Node is run in UTC to match.
    let out = Command::new("node")
        .arg(harness)
        .arg(case)
        .env("TZ", "UTC")
        .output()
        .ok()?;
    assert!(
        out.status.success(),
        "node failed on {}: {}",
        case.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    Some(String::from_utf8(out.stdout).expect("utf-8"))
}

#[test]
fn builtins_match_node() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/node_parity");
    let harness = dir.join("harness.cjs");
    if Command::new("node").arg("--version").output().is_err() {
        eprintln!("node_parity: no `node` on PATH; skipped (CI runs it)");
        return;
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("rt");
    let config = EngineConfig {
        workers: 1,
        ..EngineConfig::default()
    };
    let engine = Engine::new(config, Vec::new(), runtime.handle().clone()).expect("engine");
    let mut cases: Vec<_> = std::fs::read_dir(&dir)
        .expect("node_parity dir")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "js"))
        .collect();
    cases.sort();
    assert!(!cases.is_empty());
    let mut failures = Vec::new();
    for case in &cases {
        let source = std::fs::read_to_string(case).expect("read case");
        let mut deployment = Deployment::default();
        deployment.functions.insert(
            "main".into(),
            FunctionSpec {
                name: "main".into(),
                path: case.display().to_string(),
                source,
                config: FunctionConfig::default(),
            },
        );
        let invocation = Invocation::new("main", Vec::new(), User::normal("parity"));
        let outcome = runtime
            .block_on(engine.call_on(Arc::new(deployment), invocation))
            .expect("call");
        let got = match outcome.result {
            Ok(Bson::String(s)) => s,
            other => format!("not a string: {other:?}"),
        };
        let expected = node_output(&harness, case).expect("node ran");
        if got != expected {
            failures.push(format!("--- {}\nnode:\n{expected}\nwrit:\n{got}", case.display()));
        }
    }
    assert!(
        failures.is_empty(),
        "{} case(s) differ from Node:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

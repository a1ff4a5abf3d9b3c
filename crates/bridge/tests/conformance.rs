//! The conformance suite: every collection method of App Services functions, as JS snippets
//! with expected results (`conformance/<case>.js` + `.out`, canonical EJSON so types are exact).
//!
//! Each case is the body of `async function (db, coll)` where `db` is a fresh database of its
//! own and `coll` its collection `c`. It runs against the MongoDB wire test server (or the real
//! MongoDB in `MONGODB_URI`) and against the embedded store, with the same expected results.
//! `UPDATE_GOLDEN=1` rewrites the `.out` files from MongoDB (review them by hand against
//! MongoDB's documented behaviour).

use std::{path::Path, sync::Arc};

use bridge::{DriverExecutor, MongoService};
use bson::Bson;
use engine::{
    Deployment, Engine, EngineConfig, FunctionConfig, FunctionSpec, Invocation, User, host::HostService,
};

fn run_suite(
    backend: &str,
    executor: Arc<dyn bridge::Executor>,
    runtime: &tokio::runtime::Runtime,
) -> Vec<String> {
    let services: Vec<Arc<dyn HostService>> = vec![Arc::new(MongoService::new("mongodb-atlas", executor))];
    let engine = Engine::new(
        EngineConfig {
            workers: 1,
            ..EngineConfig::default()
        },
        services,
        runtime.handle().clone(),
    )
    .expect("engine");
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/conformance");
    let mut cases: Vec<_> = std::fs::read_dir(&dir)
        .expect("dir")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "js"))
        .collect();
    cases.sort();
    let mut deployment = Deployment::default();
    for case in &cases {
        let name = case.file_stem().expect("stem").to_string_lossy().into_owned();
        let body = std::fs::read_to_string(case).expect("read");
        let source = format!(
            "exports = async function (dbName) {{\nconst db = context.services.get(\"mongodb-atlas\").db(dbName);\nconst coll = db.collection(\"c\");\n{body}\n}};"
        );
        deployment.functions.insert(
            name.clone(),
            FunctionSpec {
                name,
                path: case.display().to_string(),
                source,
                config: FunctionConfig::default(),
            },
        );
    }
    engine.deploy(Arc::new(deployment));

    let run_id = format!(
        "{}_{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_millis())
            .unwrap_or(0)
            % 1_000_000
    );
    let update = std::env::var_os("UPDATE_GOLDEN").is_some();
    let mut failures = Vec::new();
    for (i, case) in cases.iter().enumerate() {
        let name = case.file_stem().expect("stem").to_string_lossy().into_owned();
        let db = format!("conf_{run_id}_{i}");
        let got = testkit::render(runtime.block_on(engine.call(Invocation::new(
            &name,
            vec![Bson::String(db)],
            User::system(),
        ))));
        let out_path = case.with_extension("out");
        if update {
            std::fs::write(&out_path, &got).expect("write");
            continue;
        }
        let expected = std::fs::read_to_string(&out_path).unwrap_or_default();
        if expected != got {
            failures.push(format!("--- {backend}: {name}\nexpected:\n{expected}got:\n{got}"));
        }
    }
    failures
}

#[test]
fn conformance_against_mongodb() {
    let uri = testkit::mongodb_uri();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("rt");
    let executor = runtime.block_on(DriverExecutor::connect(&uri)).expect("connect");
    let failures = run_suite("mongodb", Arc::new(executor), &runtime);
    assert!(
        failures.is_empty(),
        "{} case(s) differ:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn conformance_against_the_embedded_store() {
    // The expected outputs are MongoDB's; UPDATE_GOLDEN only ever rewrites them from MongoDB.
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        return;
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("rt");
    let dir = tempfile::tempdir().expect("tempdir");
    let store = Arc::new(store::Store::open(dir.path()).expect("open store"));
    let failures = run_suite(
        "embedded store",
        Arc::new(bridge::StoreExecutor::new(store)),
        &runtime,
    );
    assert!(
        failures.is_empty(),
        "{} case(s) differ:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

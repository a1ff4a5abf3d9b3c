//! `app`: the sample app (the repository root) end to end below HTTP.
//!
//! - `loader/sample_app`: reading, checking and assembling the app directory (a deploy).
//! - `worker/*`: what a worker costs before its first call — a new thread with a fresh context,
//!   every global and the bridge installed, the app compiled — and what a redeploy costs a warm
//!   worker. Both happen at start-up or on reload, never on the request path.
//! - `write_custom_user_data/*`: the sample's `writeCustomUserData` run by the engine as a user
//!   (rules applied) on the embedded store, next to the same upsert done directly on the store
//!   (the floor). Writes are durable before they return; 100 users take turns.
//! - `read_custom_user_data/*`: the same pair for a `findOne` of the caller's document, which
//!   shows the cost of the engine's path to the store without a commit in it.

use std::{path::Path, sync::Arc};

use bson::{Bson, doc};
use criterion::{Criterion, criterion_group, criterion_main};
use engine::{Engine, EngineConfig, Invocation, User};
use store::{Change, Data as _, Ns, Store};

fn sample() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn engine(store: &Arc<Store>, runtime: &tokio::runtime::Runtime) -> Engine {
    let executor = Arc::new(bridge::StoreExecutor::new(store.clone()));
    Engine::new(
        EngineConfig {
            workers: 1,
            ..EngineConfig::default()
        },
        vec![Arc::new(bridge::MongoService::new("mongodb-atlas", executor))],
        runtime.handle().clone(),
    )
    .expect("engine")
}

fn write(engine: &Engine, runtime: &tokio::runtime::Runtime, user: u32) {
    let args = vec![Bson::Document(doc! { "favoriteColor": "purple", "n": user })];
    let call = Invocation::new("writeCustomUserData", args, User::normal(format!("user-{user}")));
    let outcome = runtime.block_on(engine.call(call)).expect("call");
    assert!(outcome.result.is_ok(), "{:?}", outcome.result);
}

const READ: &str = r#"exports = function () {
  return context.services.get("mongodb-atlas").db("custom-user-data-database")
    .collection("custom-user-data").findOne({ userId: context.user.id });
};"#;

fn bench(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("runtime");
    let dir = tempfile::tempdir().expect("tempdir");
    let store = Arc::new(Store::open(dir.path()).expect("open"));
    let mut app = loader::load(sample()).expect("the sample app loads");
    let read = testkit::deployment(&[("readCustomUserData", READ)]);
    app.functions.extend(read.functions);
    let deployment = Arc::new(app);

    let mut group = c.benchmark_group("loader");
    group.bench_function("sample_app", |b| b.iter(|| loader::load(sample()).expect("load")));
    group.finish();

    let mut group = c.benchmark_group("worker");
    group.sample_size(20);
    group.bench_function("start_and_first_call", |b| {
        b.iter(|| {
            let engine = engine(&store, &runtime);
            engine.deploy(deployment.clone());
            runtime
                .block_on(engine.call(Invocation::new("hello", vec![], User::system())))
                .expect("call")
        })
    });
    let warm = engine(&store, &runtime);
    group.bench_function("redeploy_and_first_call", |b| {
        b.iter(|| {
            warm.deploy(Arc::new((*deployment).clone()));
            runtime
                .block_on(warm.call(Invocation::new("hello", vec![], User::system())))
                .expect("call")
        })
    });
    group.finish();

    warm.deploy(deployment.clone());
    for user in 0..100 {
        write(&warm, &runtime, user);
    }
    let mut group = c.benchmark_group("write_custom_user_data");
    let mut n = 0u32;
    group.bench_function("engine", |b| {
        b.iter(|| {
            n = (n + 1) % 100;
            write(&warm, &runtime, n)
        })
    });
    let ns = Ns {
        db: "custom-user-data-database".into(),
        coll: "custom-user-data".into(),
    };
    group.bench_function("store_floor", |b| {
        b.iter(|| {
            n = (n + 1) % 100;
            let change = Change::Operators(doc! { "$set": { "favoriteColor": "purple", "n": n } }, vec![]);
            store
                .update(&ns, &doc! { "userId": format!("user-{n}") }, &change, true, false)
                .expect("upsert")
        })
    });
    group.finish();

    let mut group = c.benchmark_group("read_custom_user_data");
    group.bench_function("engine", |b| {
        b.iter(|| {
            n = (n + 1) % 100;
            let call = Invocation::new("readCustomUserData", vec![], User::normal(format!("user-{n}")));
            let outcome = runtime.block_on(warm.call(call)).expect("call");
            assert!(
                matches!(outcome.result, Ok(Bson::Document(_))),
                "{:?}",
                outcome.result
            );
        })
    });
    group.bench_function("store_floor", |b| {
        b.iter(|| {
            n = (n + 1) % 100;
            let options = store::FindOptions {
                limit: 1,
                ..Default::default()
            };
            let found = store
                .find(&ns, &doc! { "userId": format!("user-{n}") }, &options)
                .expect("find");
            assert_eq!(found.len(), 1);
        })
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);

//! `engine_call`: a warm call through the engine pool, from the async caller to the worker and
//! back. Measures the floor every function call pays: queueing, context building, conversion.

use std::sync::Arc;

use bson::Bson;
use criterion::{Criterion, criterion_group, criterion_main};
use engine::{Engine, EngineConfig, Invocation, User};

fn deployment() -> engine::Deployment {
    testkit::deployment(&[
        ("noop", "exports = function () {};"),
        (
            "object10",
            "exports = function (n) { return { a: n, b: 'two', c: true, d: null, e: 2.5, f: [1, 2], g: { h: 1 }, i: 'x', j: n + 1, k: 'last' }; };",
        ),
    ])
}

fn engine_call(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let engine = Engine::new(
        EngineConfig {
            workers: 1,
            ..EngineConfig::default()
        },
        Vec::new(),
        runtime.handle().clone(),
    )
    .expect("engine");
    engine.deploy(Arc::new(deployment()));
    // Warm: the worker compiles the deployment on its first call.
    runtime
        .block_on(engine.call(Invocation::new("noop", vec![], User::system())))
        .expect("warm");

    let mut group = c.benchmark_group("engine_call");
    group.bench_function("noop", |b| {
        b.iter(|| {
            runtime
                .block_on(engine.call(Invocation::new("noop", vec![], User::system())))
                .expect("call")
        })
    });
    group.bench_function("object10", |b| {
        b.iter(|| {
            runtime
                .block_on(engine.call(Invocation::new("object10", vec![Bson::Int32(7)], User::system())))
                .expect("call")
        })
    });
    group.finish();
}

criterion_group!(benches, engine_call);
criterion_main!(benches);

//! Embedding writ's runtime in another Rust program: load an App Services app directory, start
//! the engine, call a function, read its result and logs.
//!
//! Run with `cargo run --example embed` from the repository root (it uses `./functions`).
//!
//! `EngineConfig::default()` runs calls on worker threads of this process
//! (`Isolation::Threads`): no memory limit and no stopping a runaway builtin, so only for code
//! the embedder trusts. For untrusted functions use `Isolation::Processes` with a
//! `WorkerCommand` that starts a binary whose `main` calls `engine::process::child::run` with
//! the services' JavaScript halves and installs `engine::process::alloc::Counting` as its
//! global allocator, as `writ worker` does.

use std::{path::Path, sync::Arc};

use bson::Bson;
use engine::{Engine, EngineConfig, Invocation, User};

fn main() -> anyhow::Result<()> {
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    let deployment = loader::load(Path::new(".")).map_err(|e| anyhow::anyhow!("{e}"))?;
    let engine = Engine::new(EngineConfig::default(), Vec::new(), runtime.handle().clone())?;
    engine.deploy(Arc::new(deployment));

    let call = Invocation::new(
        "hello",
        vec![Bson::String("embedder".into())],
        User::normal("user-1"),
    );
    let outcome = runtime.block_on(engine.call(call))?;
    for line in &outcome.logs {
        println!("log: {}", line.message);
    }
    match outcome.result {
        Ok(value) => println!("result: {value} (in {:?})", outcome.elapsed),
        Err(exception) => println!("the function threw {exception}"),
    }
    Ok(())
}

//! writ's JavaScript engine host: runs App Services function files on a pool of Boa contexts.
//!
//! Entry points: [`Engine`] (start workers, [`Engine::deploy`], [`Engine::call`]), the plain
//! values that cross threads in [`api`], and the seam for host services in [`host`]. The
//! conversion between JavaScript and BSON used everywhere is [`convert`].
//!
//! Architecture invariant: no Boa value ever crosses a thread. Everything in [`api`] is BSON or
//! plain Rust; Boa objects live and die on the worker thread that made them.
#![cfg_attr(not(test), forbid(clippy::unwrap_used))]

pub mod api;
mod class_keys;
mod console;
mod context;
pub mod convert;
pub mod describe;
mod digests;
mod error;
pub mod globals;
pub mod host;
mod imports;
mod jobs;
mod node;
mod pool;
pub mod process;
mod raw_serde;
mod services;
pub mod source;
mod state;
mod timers;
mod worker;

pub use api::*;
pub use error::EngineError;
pub use node::{NEVER_MODULES, NOT_YET_MODULES};
pub use pool::{Engine, EngineConfig, Isolation};
pub use process::WorkerCommand;
pub use source::{SyntaxError, check_syntax};

/// Re-exported so host services build their objects with the engine's own Boa.
pub use boa_engine;

//! The `writ` program: the CLI and the App Services client API server.
//!
//! `writ serve` ([`server`]) speaks the App Services client HTTP API so the Realm SDKs log in,
//! call functions and read custom user data against writ; `writ call` and `writ check` ([`cli`])
//! run and validate functions from the shell.

pub mod cli;
pub mod server;

//! The `writ` binary: loads an App Services app and runs its functions.
//!
//! `writ call` runs one function from the shell; `writ check` validates an app directory.

mod cli;

fn main() -> std::process::ExitCode {
    cli::main()
}

//! The `writ` binary: serves an App Services app, or runs and checks its functions.

fn main() -> std::process::ExitCode {
    writ::cli::main()
}

//! The `writ` binary: serves an App Services app, or runs and checks its functions.

/// Counts what a worker process allocates, so a call past its memory limit ends only its worker.
#[global_allocator]
static ALLOCATOR: engine::process::alloc::Counting = engine::process::alloc::Counting;

fn main() -> std::process::ExitCode {
    writ::cli::main()
}

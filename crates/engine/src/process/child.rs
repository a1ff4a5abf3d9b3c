//! The worker process: one locked-down JavaScript context running one call at a time, talking
//! to the engine over its standard input and output.
//!
//! A worker touches nothing but its pipe: every database operation is a message the engine
//! authorizes and runs. Its limits are its own process's: the allocator ends it at the memory
//! limit ([`super::alloc`]), a stack overflow ends it with [`EXIT_STACK`], and the engine kills
//! it at the deadline. After a call that held a lot of memory it exits by itself, so the kernel
//! takes the pages back and the engine starts a fresh one.

use std::{
    fs::File,
    os::fd::FromRawFd,
    sync::Arc,
    time::{Duration, Instant},
};

use super::{
    alloc,
    pipe::Pipe,
    wire::{FromWorker, ToWorker},
};
use crate::{
    api::Deployment,
    error::EngineError,
    host::ServiceJs,
    worker::{Call, Worker},
};

/// The environment variable that hands a worker its memory limit in bytes.
pub(crate) const ENV_MEMORY: &str = "WRIT_WORKER_MEMORY_LIMIT";
/// The environment variable that hands a worker its limit on outstanding operations.
pub(crate) const ENV_ASYNC_OPS: &str = "WRIT_WORKER_MAX_ASYNC_OPS";

/// The exit code of a worker whose stack overflowed.
pub const EXIT_STACK: i32 = 87;

/// A worker exits after a call whose peak memory rose this much, so its pages go back.
const RECYCLE_BYTES: isize = 64 * 1024 * 1024;
/// After a call whose peak rose this much (but less than [`RECYCLE_BYTES`]), the worker collects
/// its garbage and hands the freed pages back to the kernel before the next call.
const TRIM_BYTES: isize = 8 * 1024 * 1024;
/// A worker still holding this much more after a big call (its garbage collected) than after
/// its first call is replaced.
const RETAINED_BYTES: isize = 32 * 1024 * 1024;

/// Stack of the thread that runs JavaScript.
const STACK_SIZE: usize = 64 * 1024 * 1024;

/// How a worker process is configured: the engine sets these in its environment.
#[derive(Debug, Clone)]
struct ChildOptions {
    /// Bytes one call may allocate.
    memory_limit: u64,
    /// Host operations one call may have outstanding.
    max_async_ops: usize,
}

impl ChildOptions {
    fn from_env() -> Self {
        let var = |name: &str| std::env::var(name).ok().and_then(|v| v.parse::<u64>().ok());
        Self {
            memory_limit: var(ENV_MEMORY).unwrap_or(350 * 1024 * 1024),
            max_async_ops: var(ENV_ASYNC_OPS).unwrap_or(1_000) as usize,
        }
    }
}

extern "C" fn on_fault(_: libc::c_int) {
    // SAFETY: `_exit` is async-signal-safe.
    unsafe { libc::_exit(EXIT_STACK) }
}

/// Ends the process with [`EXIT_STACK`] on a stack overflow (the only way a worker faults),
/// instead of printing and aborting. Runs on the alternate signal stack Rust gives threads.
fn exit_on_fault() {
    // SAFETY: installs a handler that only calls `_exit`; the struct is fully initialized.
    unsafe {
        let mut action: libc::sigaction = std::mem::zeroed();
        action.sa_sigaction = on_fault as *const () as usize;
        action.sa_flags = libc::SA_ONSTACK;
        libc::sigemptyset(&mut action.sa_mask);
        libc::sigaction(libc::SIGSEGV, &action, std::ptr::null_mut());
        libc::sigaction(libc::SIGBUS, &action, std::ptr::null_mut());
    }
}

/// Puts this process under the kernel's `SCHED_BATCH` policy: a worker woken by a message no
/// longer preempts the server's threads, so the server finishes what it is doing (answering
/// several requests, writing several calls) before a worker takes the CPU, and one switch
/// serves more work. Lowering one's own policy needs no privilege; a kernel that refuses it
/// leaves the worker as it was.
fn batch_scheduling() {
    let param = libc::sched_param { sched_priority: 0 };
    // SAFETY: changes only this process's scheduling policy; `param` is valid for the call.
    if unsafe { libc::sched_setscheduler(0, libc::SCHED_BATCH, &param) } != 0 {
        eprintln!(
            "writ worker: cannot use batch scheduling ({}); it runs under the default policy",
            std::io::Error::last_os_error()
        );
    }
}

/// Runs a worker process until the engine closes its pipe. `services` are the JavaScript
/// halves of the host's services. Returns the process's exit code. The binary must install
/// [`alloc::Counting`] as its global allocator for the memory limit to hold.
pub fn run(services: Vec<ServiceJs>) -> i32 {
    alloc::enable();
    let options = ChildOptions::from_env();
    exit_on_fault();
    batch_scheduling();
    // Before any other thread exists, so every thread is confined.
    match super::sandbox::confine(&super::sandbox::read_roots_from_env()) {
        Ok(super::sandbox::Confinement::Full) => {}
        Ok(c) => eprintln!("writ worker: the kernel's Landlock confines this worker only partly ({c:?})"),
        Err(e) => eprintln!("writ worker: cannot confine this worker ({e}); it runs without a sandbox"),
    }
    // The protocol gets its own descriptor; anything printed to standard output goes to the
    // log (standard error) instead of into the protocol.
    // SAFETY: plain descriptor calls on the process's own standard descriptors.
    let (input, output) = unsafe {
        let out = libc::dup(1);
        libc::dup2(2, 1);
        (File::from_raw_fd(0), File::from_raw_fd(out))
    };
    let pipe = Pipe::new(input, output);
    let thread = std::thread::Builder::new()
        .name("writ-worker".into())
        .stack_size(STACK_SIZE)
        .spawn(move || serve(options, services, pipe));
    match thread.map(|t| t.join()) {
        Ok(Ok(code)) => code,
        _ => 70,
    }
}

/// Collects the garbage a call left and returns the free pages to the kernel (glibc keeps them
/// otherwise), so an idle worker is back near its baseline; returns the live bytes after.
fn settle() -> isize {
    boa_gc::force_collect();
    // SAFETY: malloc_trim only releases free memory of glibc's heap.
    unsafe {
        libc::malloc_trim(0);
    }
    alloc::live()
}

fn serve(options: ChildOptions, services: Vec<ServiceJs>, pipe: Pipe) -> i32 {
    let mut worker = match Worker::remote(services, pipe, options.max_async_ops) {
        Ok(w) => w,
        Err(e) => {
            eprintln!("writ worker: cannot create a JavaScript context: {e}");
            return 70;
        }
    };
    if !matches!(worker.pipe().map(|mut p| p.send_ready()), Some(Ok(()))) {
        return 0;
    }
    let baseline = alloc::live();
    // What the worker holds after its first call (deployment compiled, garbage collected).
    let mut settled: Option<isize> = None;
    let mut deployment: Option<Arc<Deployment>> = None;
    loop {
        let message = match worker.pipe().map(|mut p| p.recv()) {
            Some(Ok(m)) => m,
            // The engine closed the pipe: shut down.
            _ => return 0,
        };
        let ToWorker::Call {
            seq,
            deployment: sent,
            invocation,
            limit_ms,
        } = message
        else {
            // A late result of a call that already ended.
            continue;
        };
        if let Some(d) = sent {
            deployment = Some(d.into_deployment());
        }
        let Some(current) = deployment.clone() else {
            return 70;
        };
        let start = alloc::limit_from_now(options.memory_limit);
        let limit = Duration::from_millis(limit_ms);
        let call = Call {
            invocation: &invocation,
            deployment: &current,
            deadline: Instant::now() + limit,
            limit,
        };
        let ran = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| worker.run(&call)));
        let (outcome, crashed) = match ran {
            Ok(o) => (o, false),
            Err(_) => (
                Err(EngineError::Internal(
                    "the engine failed while running this call".into(),
                )),
                true,
            ),
        };
        let rose = alloc::peak() - start;
        alloc::limit_from_now(u64::MAX);
        let mut retained = 0;
        // After the first call the worker measures what it holds settled (deployment
        // compiled, garbage collected), once the answer is sent: nothing depends on it yet.
        let first = settled.is_none();
        if rose > TRIM_BYTES && !first {
            retained = settle() - settled.unwrap_or_default();
        }
        // A call can also leave memory held that is not garbage (the engine's grown value
        // stack after deep recursion, caches): a worker holding much more than it started
        // with is replaced.
        let recycle = crashed
            || worker.tainted()
            || rose > RECYCLE_BYTES
            || retained > RETAINED_BYTES
            || alloc::live() - baseline > RECYCLE_BYTES;
        let outcome = outcome.map(Into::into);
        let sent = worker.pipe().map(|mut p| {
            p.send_done(&FromWorker::Done {
                seq,
                outcome,
                recycle,
            })
        });
        if first && !recycle {
            settled = Some(settle());
        }
        if recycle || !matches!(sent, Some(Ok(()))) {
            return 0;
        }
    }
}

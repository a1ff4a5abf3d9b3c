//! The worker process: a few slots, each a thread with its own locked-down JavaScript context
//! running one call at a time, talking to the engine over a pair of pipes of its own.
//!
//! Slot `i` of `n` reads its messages from descriptor [`SLOT_FDS`]` + i` and writes its
//! operations and outcomes to descriptor `SLOT_FDS + n + i` (the engine picks a call's slot).
//! Several calls run at once in one process, so one address space serves them all: the
//! engine's messages wake one process for many calls instead of one process per call.
//!
//! A worker touches nothing but its pipes: every database operation is a message the engine
//! authorizes and runs. Its limits are its slots': the allocator counts each slot thread's
//! bytes and ends the process at a call's memory limit, with an exit code naming the slot
//! ([`super::alloc`]); a stack overflow ends it with a code naming the slot; the engine kills
//! it at a call's deadline. After a call that held a lot of memory it asks to be retired: the
//! engine sends it no more calls and closes its pipes once its other calls end, so the kernel
//! takes the pages back and a fresh one takes its place.

use std::{
    fs::File,
    os::fd::FromRawFd,
    sync::Arc,
    time::{Duration, Instant},
};

use super::{
    alloc,
    pipe::Pipe,
    wire::{FromWorker, ToWorker, WireCall},
};
use crate::{
    api::Deployment,
    error::EngineError,
    host::ServiceJs,
    state::Lazy,
    worker::{Call, CallInput, Worker},
};

/// The environment variable that hands a worker its memory limit in bytes.
pub(crate) const ENV_MEMORY: &str = "WRIT_WORKER_MEMORY_LIMIT";
/// The environment variable that hands a worker its limit on outstanding operations.
pub(crate) const ENV_ASYNC_OPS: &str = "WRIT_WORKER_MAX_ASYNC_OPS";
/// The environment variable that hands a worker its number of slots.
pub(crate) const ENV_SLOTS: &str = "WRIT_WORKER_SLOTS";
/// Slot `i` of `n` reads its messages from descriptor `SLOT_FDS + i` and writes to
/// `SLOT_FDS + n + i`.
pub(crate) const SLOT_FDS: i32 = 3;

/// The exit code of a worker whose stack overflowed on a thread with no slot.
pub const EXIT_STACK: i32 = 87;

/// A worker exits after a call whose peak memory rose this much, so its pages go back.
const RECYCLE_BYTES: isize = 64 * 1024 * 1024;
/// After a call whose peak rose this much (but less than [`RECYCLE_BYTES`]), the worker collects
/// its garbage and hands the freed pages back to the kernel before the next call.
const TRIM_BYTES: isize = 8 * 1024 * 1024;
/// A worker still holding this much more after a big call (its garbage collected) than after
/// its first call is replaced.
const RETAINED_BYTES: isize = 32 * 1024 * 1024;
/// A slot may hold this much more than its fresh context did after a call that compiled
/// package files (they stay compiled for later calls); past it the worker is replaced.
const COMPILED_BYTES: isize = 256 * 1024 * 1024;

/// Stack of each thread that runs JavaScript.
const STACK_SIZE: usize = 64 * 1024 * 1024;

/// How a worker process is configured: the engine sets these in its environment.
#[derive(Debug, Clone)]
struct ChildOptions {
    /// Bytes one call may allocate.
    memory_limit: u64,
    /// Host operations one call may have outstanding.
    max_async_ops: usize,
    /// Calls the worker runs at once, each on its own thread and context.
    slots: usize,
}

impl ChildOptions {
    fn from_env() -> Self {
        let var = |name: &str| std::env::var(name).ok().and_then(|v| v.parse::<u64>().ok());
        Self {
            memory_limit: var(ENV_MEMORY).unwrap_or(350 * 1024 * 1024),
            max_async_ops: var(ENV_ASYNC_OPS).unwrap_or(1_000) as usize,
            slots: (var(ENV_SLOTS).unwrap_or(1) as usize).clamp(1, alloc::MAX_SLOTS),
        }
    }
}

extern "C" fn on_fault(_: libc::c_int) {
    // SAFETY: `_exit` is async-signal-safe; the slot is a const thread-local read.
    unsafe { libc::_exit(alloc::exit_code_stack()) }
}

/// Ends the process with an exit code naming the slot on a stack overflow (the only way a
/// worker faults), instead of printing and aborting. Runs on the alternate signal stack Rust
/// gives threads.
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

/// Runs a worker process until the engine closes its pipes. `services` are the JavaScript
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
    // Anything printed to standard output goes to the log (standard error).
    // SAFETY: a plain descriptor call on the process's own standard descriptors.
    unsafe {
        libc::dup2(2, 1);
    }
    let mut threads = Vec::with_capacity(options.slots);
    for slot in 0..options.slots {
        let fd = SLOT_FDS + slot as i32;
        // SAFETY: the engine opened these descriptors for this slot and nothing else owns them.
        let (input, output) = unsafe {
            (
                File::from_raw_fd(fd),
                File::from_raw_fd(fd + options.slots as i32),
            )
        };
        let (options, services) = (options.clone(), services.clone());
        let thread = std::thread::Builder::new()
            .name(format!("writ-worker-{slot}"))
            .stack_size(STACK_SIZE)
            .spawn(move || {
                alloc::set_slot(slot);
                serve(slot, options, services, Pipe::new(input, output))
            });
        match thread {
            Ok(t) => threads.push(t),
            Err(e) => {
                eprintln!("writ worker: cannot start a thread: {e}");
                return 70;
            }
        }
    }
    // The slots end once the engine closes their pipes.
    for thread in threads {
        let _ = thread.join();
    }
    0
}

/// Collects the garbage a call left and returns the free pages to the kernel (glibc keeps them
/// otherwise), so an idle worker is back near its baseline; returns the live bytes after.
/// `deep` also frees what Boa's shape tree kept of earlier calls (`Worker::collect`: two
/// collections instead of one).
fn settle(worker: &mut Worker, deep: bool) -> isize {
    if deep {
        worker.collect();
    } else {
        boa_gc::force_collect();
    }
    // SAFETY: malloc_trim only releases free memory of glibc's heap.
    unsafe {
        libc::malloc_trim(0);
    }
    alloc::live()
}

/// Builds a slot's context; the process exits when it cannot.
fn build(services: &[ServiceJs], pipe: Pipe, options: &ChildOptions) -> Worker {
    match Worker::remote(services.to_vec(), pipe, options.max_async_ops) {
        Ok(w) => w,
        Err(e) => {
            eprintln!("writ worker: cannot create a JavaScript context: {e}");
            // SAFETY: ends the process; the engine reads the exit code.
            unsafe { libc::_exit(70) }
        }
    }
}

/// Runs slot `slot`'s calls, one at a time, until the engine closes the slot's pipe. Slot 0
/// builds its context at once and says the worker is ready; the others on their first
/// message.
fn serve(slot: usize, options: ChildOptions, services: Vec<ServiceJs>, mut pipe: Pipe) {
    let mut first_message = None;
    if slot != 0 {
        match pipe.recv() {
            Ok(m) => first_message = Some(m),
            Err(_) => return,
        }
    }
    let mut worker = build(&services, pipe.reopen(), &options);
    if slot == 0 && !matches!(worker.pipe().map(|mut p| p.send_ready()), Some(Ok(()))) {
        return;
    }
    let mut built = alloc::live();
    // What the slot holds after its first call (deployment compiled, garbage collected), and
    // again after each call that compiled package files.
    let mut settled: Option<isize> = None;
    let mut ran_on: Option<Arc<Deployment>> = None;
    let mut deployment: Option<Arc<Deployment>> = None;
    loop {
        let message = match first_message
            .take()
            .map(Ok)
            .or_else(|| worker.pipe().map(|mut p| p.recv()))
        {
            Some(Ok(m)) => m,
            // The engine closed the pipe: the worker is shutting down.
            _ => return,
        };
        let (seq, sent, limit_ms) = match message {
            ToWorker::Deploy { deployment: sent } => {
                deployment = Some(sent.into_deployment());
                continue;
            }
            ToWorker::Call { seq, call, limit_ms } => (seq, call, limit_ms),
            // A late result of a call that already ended.
            ToWorker::Result { .. } => continue,
        };
        let Some(current) = deployment.clone() else {
            let outcome = Err(EngineError::Internal("the worker was sent no deployment".into()));
            let done = FromWorker::Done {
                seq,
                outcome,
                recycle: true,
            };
            if !matches!(worker.pipe().map(|mut p| p.send_done(&done)), Some(Ok(()))) {
                return;
            }
            continue;
        };
        let start = alloc::limit_from_now(options.memory_limit);
        let limit = Duration::from_millis(limit_ms);
        let WireCall {
            function,
            args,
            user_type,
            user,
            run_as_system,
            request,
            endpoint,
        } = *sent;
        let call = Call {
            input: CallInput {
                function: &function,
                args: &args,
                user_type,
                user: Lazy::Encoded(user.into_vec().into()),
                request: Lazy::Encoded(request.into_vec().into()),
                run_as_system,
                endpoint,
            },
            deployment: &current,
            deadline: Instant::now() + limit,
            limit,
            seq: Some(seq),
        };
        let compiled_before = worker.package_files();
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
        drop(call);
        drop(args);
        let rose = alloc::peak() - start;
        alloc::limit_from_now(u64::MAX);
        let mut retained = 0;
        // The slot's first call (or first on a new deployment) compiles the functions; after
        // it the slot measures what it holds settled (garbage collected) once the answer is
        // sent: nothing depends on it yet.
        let fresh = settled.is_none() || !ran_on.as_ref().is_some_and(|d| Arc::ptr_eq(d, &current));
        ran_on = Some(current.clone());
        // A call that required package files not seen before leaves them compiled for later
        // calls: what the slot then holds, settled, is its new level, not a leak, however
        // much the call rose. Recycling it would make every call that requires a large
        // package compile it again.
        let packages = worker.package_files() != compiled_before;
        // A big call, or garbage piling up over calls, is collected before it is judged.
        let held = alloc::live() - settled.unwrap_or(built);
        if (rose > TRIM_BYTES || held > RETAINED_BYTES) && !fresh && !packages {
            retained = settle(&mut worker, false) - settled.unwrap_or_default();
            if retained > RETAINED_BYTES {
                retained = settle(&mut worker, true) - settled.unwrap_or_default();
            }
        }
        // A call can also leave memory held that is not garbage (the engine's grown value
        // stack after deep recursion, caches): a worker holding much more than it held
        // settled is replaced.
        let replace = crashed || worker.tainted();
        let recycle = replace
            || if packages {
                alloc::live() - built > COMPILED_BYTES
            } else {
                rose > RECYCLE_BYTES
                    || retained > RETAINED_BYTES
                    || alloc::live() - settled.unwrap_or(built) > RECYCLE_BYTES
            };
        let outcome = outcome.map(Into::into);
        let sent = worker.pipe().map(|mut p| {
            p.send_done(&FromWorker::Done {
                seq,
                outcome,
                recycle,
            })
        });
        if !matches!(sent, Some(Ok(()))) {
            return;
        }
        if (fresh || packages) && !recycle {
            settled = Some(settle(&mut worker, false));
        }
        // The engine retires a recycled worker; a context a call left broken is replaced at
        // once all the same, so no later call can run in it.
        if replace {
            drop(worker);
            worker = build(&services, pipe.reopen(), &options);
            built = alloc::live();
            settled = None;
            ran_on = None;
        }
    }
}

//! Worker processes: calls run in separate processes the engine can kill.
//!
//! The engine (this module, in the server's process) keeps a pool of worker processes, each
//! the host binary re-executed as a worker ([`child::run`]) with a few *slots*: threads, each
//! with its own JavaScript context, running one call at a time. A call takes a free slot on the
//! least busy worker, sends it the invocation (and the deployment, the first time that slot
//! sees it), runs the host operations the call asks for through the services' host halves, and
//! gets the outcome. Several calls share a process, so its messages wake one address space for
//! all of them.
//!
//! A call's deadline, counted from when it got a slot, is enforced by killing its worker; a
//! worker that exits (memory limit, stack overflow, crash) or is killed is replaced in the
//! background. Its exit code names the slot whose call passed a limit. The calls on its other
//! slots did nothing wrong: one that had not started a host operation runs again on another
//! worker; one that had fails with an error that says why. So one call can cost others at most
//! the other calls on its worker, and its share of the pool.

pub mod alloc;
pub mod child;
pub(crate) mod pipe;
mod proc;
pub mod sandbox;
mod wire;

use std::{
    collections::HashMap,
    os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd},
    path::PathBuf,
    process::Stdio,
    sync::{
        Arc, Mutex, Weak,
        atomic::{AtomicU64, AtomicUsize, Ordering},
    },
    time::Duration,
};

use tokio::{io::AsyncWriteExt, process::Command, sync::Semaphore, task::JoinSet};

use crate::{
    api::{Deployment, Invocation, Outcome},
    error::EngineError,
    host::{CallInfo, HostError, HostService},
};
use alloc::ExitReason;
use proc::{Place, Proc};
use wire::{CallRef, FromWorker, ToWorker, WireDeployment};

/// How the engine starts a worker process: the host binary and the arguments that make it run
/// [`child::run`] with the JavaScript halves of the same services.
#[derive(Debug, Clone)]
pub struct WorkerCommand {
    /// The program, normally the running binary (`std::env::current_exe()`).
    pub program: PathBuf,
    /// Its arguments.
    pub args: Vec<String>,
    /// The directories the worker may read (beneath them): the app's `functions/` and the
    /// unpacked-archive cache; everything else is closed to it ([`sandbox`]).
    pub read_roots: Vec<PathBuf>,
}

fn join_lines(paths: &[PathBuf]) -> String {
    paths
        .iter()
        .map(|p| p.to_string_lossy().into_owned())
        .collect::<Vec<_>>()
        .join("\n")
}

/// How long past its deadline a worker may run before it is killed; the worker ends ordinary
/// overruns itself within this margin.
const KILL_GRACE: Duration = Duration::from_millis(250);

/// How long a new worker may take to build its context before it counts as failed.
const READY_WITHIN: Duration = Duration::from_secs(30);

/// How long the calls of a user whose call ended its worker (a memory limit, a stack overflow,
/// a deadline) run alone, each in a process of its own, so a repeated attack costs no other
/// caller anything.
const QUARANTINE: Duration = Duration::from_secs(600);

/// The most users kept in quarantine at once (the expired are dropped first).
const QUARANTINE_CAPACITY: usize = 100_000;

/// How many times a call runs again when the worker it was on ended before the call did
/// anything (another call on it passed a limit, or it was gone before the call reached it).
const ATTEMPTS: usize = 3;

/// Settings of a [`ProcessPool`].
pub(crate) struct PoolSettings {
    pub command: WorkerCommand,
    /// Calls running at once, over all workers.
    pub workers: usize,
    /// Calls one worker process runs at once (its slots).
    pub slots: usize,
    pub queue_capacity: usize,
    pub memory_limit: u64,
    pub max_async_ops: usize,
}

/// Returns the free memory of the process's glibc heaps to the system.
fn trim() {
    // SAFETY: malloc_trim only releases free memory of glibc's heaps.
    unsafe {
        libc::malloc_trim(0);
    }
}

/// How often the trimmer looks whether calls have ended since it last returned free memory.
const TRIM_EVERY: Duration = Duration::from_secs(1);

/// Returns the server's free memory to the system within [`TRIM_EVERY`] of any call's end, until
/// the pool is dropped. What a call made the server hold (its operations' documents, a store
/// query's working set, a killed call's pending results) is freed in whichever thread's heap it
/// was made, and glibc gives back only the top of a heap by itself: without this, a few large
/// calls would keep the server's resident memory tens of MiB above its baseline for good. A
/// call ends only after every operation it started has ended, so nothing it held is missed.
async fn trimmer(pool: Weak<ProcessPool>) {
    let mut tick = tokio::time::interval(TRIM_EVERY);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    let mut seen = 0;
    loop {
        tick.tick().await;
        let Some(ended) = pool.upgrade().map(|p| p.ended.load(Ordering::Relaxed)) else {
            return;
        };
        if ended != seen {
            seen = ended;
            let _ = tokio::task::spawn_blocking(trim).await;
        }
    }
}

/// The pool of worker processes behind an [`Engine`](crate::Engine).
pub(crate) struct ProcessPool {
    settings: PoolSettings,
    /// Slots per worker process.
    slots: usize,
    /// Worker processes the pool keeps.
    target: usize,
    services: Vec<Arc<dyn HostService>>,
    names: Vec<String>,
    procs: Mutex<Vec<Arc<Proc>>>,
    permits: Arc<Semaphore>,
    waiting: AtomicUsize,
    replaced: AtomicU64,
    /// The last call's number (the worker's messages about a call carry it).
    seq: AtomicU64,
    /// Calls ended so far: the trimmer returns the server's free memory after any end.
    ended: AtomicU64,
    /// Users whose calls run alone, until when ([`QUARANTINE`]).
    quarantined_users: Mutex<HashMap<String, std::time::Instant>>,
    runtime: tokio::runtime::Handle,
    this: Weak<ProcessPool>,
}

impl ProcessPool {
    /// Starts the pool: one worker process per core at once, the rest in the background, one
    /// after another as each says it is ready.
    pub fn start(
        settings: PoolSettings,
        services: Vec<Arc<dyn HostService>>,
        runtime: tokio::runtime::Handle,
    ) -> std::io::Result<Arc<Self>> {
        let workers = settings.workers.max(1);
        let slots = settings.slots.clamp(1, alloc::MAX_SLOTS).min(workers);
        let target = workers.div_ceil(slots);
        let names = services.iter().map(|s| s.js().name).collect();
        let pool = Arc::new_cyclic(|this| Self {
            settings,
            slots,
            target,
            services,
            names,
            procs: Mutex::new(Vec::with_capacity(target)),
            permits: Arc::new(Semaphore::new(workers)),
            waiting: AtomicUsize::new(0),
            replaced: AtomicU64::new(0),
            seq: AtomicU64::new(0),
            ended: AtomicU64::new(0),
            quarantined_users: Mutex::new(HashMap::new()),
            runtime,
            this: this.clone(),
        });
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        let initial = target.min(cores);
        let mut started = Vec::with_capacity(target);
        for _ in 0..initial {
            started.push(pool.spawn()?);
        }
        *pool.lock() = started;
        pool.runtime.spawn(trimmer(Arc::downgrade(&pool)));
        if target > initial {
            let ramp = pool.clone();
            pool.runtime.spawn(async move {
                for _ in initial..target {
                    if !ramp.add_worker().await {
                        break;
                    }
                }
            });
        }
        Ok(pool)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<Arc<Proc>>> {
        self.procs.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// How many workers were replaced after being killed or exiting.
    pub fn replaced(&self) -> u64 {
        self.replaced.load(Ordering::Relaxed)
    }

    /// Starts a worker process (not ready yet: its first calls wait in its pipe).
    fn spawn(&self) -> std::io::Result<Arc<Proc>> {
        let _enter = self.runtime.enter();
        let s = &self.settings;
        // A worker gets none of the server's environment (database URIs, signing keys, secret
        // values): only its limits, and the log filter.
        let mut command = Command::new(&s.command.program);
        command.env_clear();
        if let Some(filter) = std::env::var_os("WRIT_LOG") {
            command.env("WRIT_LOG", filter);
        }
        // Two pipes per slot: slot `i` of `n` reads descriptor `SLOT_FDS + i` in the worker and
        // writes `SLOT_FDS + n + i`.
        let mut theirs = Vec::with_capacity(2 * self.slots);
        let mut inputs = Vec::with_capacity(self.slots);
        let mut outputs = Vec::with_capacity(self.slots);
        for _ in 0..self.slots {
            let (read, write) = pipe_pair()?;
            theirs.push(read);
            inputs.push(write);
        }
        for _ in 0..self.slots {
            let (read, write) = pipe_pair()?;
            theirs.push(write);
            outputs.push(read);
        }
        let fds: Vec<RawFd> = theirs.iter().map(|f| f.as_raw_fd()).collect();
        command
            .args(&s.command.args)
            .env(child::ENV_MEMORY, s.memory_limit.to_string())
            .env(child::ENV_ASYNC_OPS, s.max_async_ops.to_string())
            .env(child::ENV_SLOTS, self.slots.to_string())
            .env(sandbox::ENV_READ, join_lines(&s.command.read_roots))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .kill_on_drop(true);
        // SAFETY: between fork and exec the closure only calls `fcntl` and `dup2`, which are
        // async-signal-safe, on descriptors it reads from a vector allocated before the fork.
        unsafe {
            command.pre_exec(move || place_fds(&fds));
        }
        let child = command.spawn()?;
        drop(theirs);
        let mut pipes = Vec::with_capacity(self.slots);
        for (input, output) in inputs.into_iter().zip(outputs) {
            pipes.push((
                tokio::net::unix::pipe::Sender::from_owned_fd(input)?,
                tokio::net::unix::pipe::Receiver::from_owned_fd(output)?,
            ));
        }
        let pool = self.this.clone();
        Proc::new(child, pipes, move |shared| {
            // A worker that ended while still in service is replaced.
            if let Some(pool) = pool.upgrade()
                && shared.close()
            {
                pool.retire(shared);
            }
        })
    }

    /// Takes a worker out of service and starts another in its place, in the background.
    fn retire(&self, shared: &Arc<proc::Shared>) {
        self.lock().retain(|p| !Arc::ptr_eq(&p.shared, shared));
        self.replaced.fetch_add(1, Ordering::Relaxed);
        if let Some(pool) = self.this.upgrade() {
            self.runtime.spawn(async move {
                pool.add_worker().await;
            });
        }
    }

    /// Kills a worker (its calls hear of it) and replaces it.
    fn kill(&self, proc: &Proc) {
        let first = proc.shared.close();
        proc.shared.kill();
        if first {
            self.retire(&proc.shared);
        }
    }

    /// Starts a worker and adds it to the pool once it is ready; false (logged) when it could
    /// not start.
    async fn add_worker(&self) -> bool {
        let started = self.spawn();
        let result: std::io::Result<()> = match started {
            Ok(proc) => match tokio::time::timeout(READY_WITHIN, proc.ready()).await {
                Ok(Ok(())) => {
                    let mut procs = self.lock();
                    if procs.len() < self.target {
                        procs.push(proc);
                    } else {
                        // Not needed after all: it exits, and is not replaced.
                        proc.shared.close();
                    }
                    return true;
                }
                Ok(Err(e)) => Err(e),
                Err(_) => {
                    proc.shared.kill();
                    Err(std::io::Error::other("a new worker was not ready in time"))
                }
            },
            Err(e) => Err(e),
        };
        if let Err(e) = result {
            tracing::error!(error = %e, "could not start a worker process");
        }
        false
    }

    /// A free slot on the least busy worker, starting a worker when none has one.
    fn place(&self) -> Result<Place, EngineError> {
        let mut procs = self.lock();
        procs.sort_by_key(|p| p.load());
        if let Some(place) = procs.iter().find_map(|p| p.place()) {
            return Ok(place);
        }
        // Every worker is busy or being replaced: one more starts now (beyond the pool's
        // size only until the replacements are ready).
        self.place_on_new(Some(&mut procs))
    }

    /// A slot on a worker started now. It joins `procs` when given, if the pool is below its
    /// size; otherwise it takes no other call and exits after this one (a call that runs
    /// alone passes `None`).
    fn place_on_new(&self, procs: Option<&mut Vec<Arc<Proc>>>) -> Result<Place, EngineError> {
        let proc = self
            .spawn()
            .map_err(|e| EngineError::Internal(format!("cannot start a worker: {e}")))?;
        let place = proc.place();
        match procs {
            Some(procs) if procs.len() < self.target => procs.push(proc),
            _ => {
                proc.shared.close();
            }
        }
        place.ok_or_else(|| EngineError::Internal("a new worker had no free slot".into()))
    }

    /// Whether `user`'s calls run alone now.
    fn quarantined(&self, user: &str) -> bool {
        let mut users = self.quarantined_users.lock().unwrap_or_else(|e| e.into_inner());
        match users.get(user) {
            Some(until) if *until > std::time::Instant::now() => true,
            Some(_) => {
                users.remove(user);
                false
            }
            None => false,
        }
    }

    /// Puts `user` in quarantine: a call of theirs ended the worker it shared with others.
    fn quarantine(&self, user: &str) {
        let now = std::time::Instant::now();
        let mut users = self.quarantined_users.lock().unwrap_or_else(|e| e.into_inner());
        if users.len() >= QUARANTINE_CAPACITY {
            users.retain(|_, until| *until > now);
            if users.len() >= QUARANTINE_CAPACITY {
                users.clear();
            }
        }
        users.insert(user.to_string(), now + QUARANTINE);
        tracing::warn!(
            user,
            "a call ended its worker process: this user's calls run alone for a while"
        );
    }

    /// Runs one call on a worker process.
    pub async fn call(
        self: &Arc<Self>,
        deployment: Arc<Deployment>,
        mut invocation: Invocation,
        limit: Duration,
    ) -> Result<Outcome, EngineError> {
        let permit = match self.permits.clone().try_acquire_owned() {
            Ok(p) => p,
            Err(_) => {
                let queued = Queued::enter(&self.waiting, self.settings.queue_capacity)?;
                let permit = self.permits.clone().acquire_owned().await;
                drop(queued);
                permit.map_err(|_| EngineError::ShutDown)?
            }
        };
        let pool = self.clone();
        let task = self.runtime.spawn(async move {
            let hold = invocation.hold.take();
            let mut result = Err(EngineError::Internal(
                "no worker process could take the call".into(),
            ));
            let alone = pool.quarantined(&invocation.user.id);
            for _ in 0..ATTEMPTS {
                let place = match if alone {
                    pool.place_on_new(None)
                } else {
                    pool.place()
                } {
                    Ok(p) => p,
                    Err(e) => {
                        result = Err(e);
                        break;
                    }
                };
                if let Some(r) = pool.converse(place, &deployment, &invocation, limit).await {
                    result = r;
                    break;
                }
            }
            drop(permit);
            drop(hold);
            pool.ended.fetch_add(1, Ordering::Relaxed);
            result
        });
        task.await
            .unwrap_or_else(|_| Err(EngineError::Internal("the call's task failed".into())))
    }

    /// Sends `invocation` to its place and serves its operations until the worker answers,
    /// ends or the call passes its deadline. `None`: the worker ended before the call did
    /// anything, and it may run again elsewhere.
    async fn converse(
        &self,
        mut place: Place,
        deployment: &Arc<Deployment>,
        invocation: &Invocation,
        limit: Duration,
    ) -> Option<Result<Outcome, EngineError>> {
        let system = invocation.run_as_system;
        let info = Arc::new(
            CallInfo::new(invocation.user.clone(), deployment.clone(), system, limit)
                .with_request(invocation.request.clone()),
        );
        let seq = self.seq.fetch_add(1, Ordering::Relaxed) + 1;
        let call = CallRef {
            seq,
            invocation,
            limit_ms: limit.as_millis() as u64,
        };
        let frame = match wire::encode(&call) {
            Ok(f) => f,
            Err(e) => return Some(Err(EngineError::InvalidArguments(e.to_string()))),
        };
        let proc = place.proc.clone();
        let input = place.slot.as_mut()?;
        let slot = input.index;
        // The slot waits for exactly this: the writes cannot wait on it. A deployment it has not
        // seen goes first.
        if !input
            .deployment
            .as_ref()
            .is_some_and(|d| Arc::ptr_eq(d, deployment))
        {
            let deploy = ToWorker::Deploy {
                deployment: Box::new(WireDeployment::from(deployment)),
            };
            let frame = match wire::encode(&deploy) {
                Ok(f) => f,
                Err(e) => {
                    return Some(Err(EngineError::Internal(format!(
                        "the deployment cannot be sent: {e}"
                    ))));
                }
            };
            if input.input.write_all(&frame).await.is_err() {
                return self.gone(&proc);
            }
            input.deployment = Some(deployment.clone());
        }
        if input.input.write_all(&frame).await.is_err() {
            return self.gone(&proc);
        }
        // Results waiting to be written, and how much of the first is written. They are written
        // while the worker's messages are read, so neither side can block the other.
        let mut outbox: std::collections::VecDeque<Vec<u8>> = Default::default();
        let mut written = 0;
        let deadline = tokio::time::Instant::now() + limit + KILL_GRACE;
        // Each operation's task encodes its result itself, so a finished operation waits here
        // as the frame the worker will read, never also as a document.
        let mut ops: JoinSet<(u64, Result<Vec<u8>, wire::WireError>)> = JoinSet::new();
        let mut started = false;
        let result = loop {
            tokio::select! {
                message = proc::next_message(&mut input.output, &mut input.buffer) => match message {
                    Ok(Some(FromWorker::Op { seq: s, op, host_op })) if s == seq => {
                        started = true;
                        if ops.len() >= self.settings.max_async_ops {
                            self.kill(&proc);
                            self.quarantine(&invocation.user.id);
                            let max = self.settings.max_async_ops;
                            break Some(Err(EngineError::AsyncWorkLimitExceeded(max)));
                        }
                        let future = match self.names.iter().position(|n| *n == host_op.service) {
                            Some(i) => self.services[i].start(&info, host_op),
                            None => Box::pin(std::future::ready(Err(HostError::new("unknown service")))),
                        };
                        ops.spawn(async move { (op, wire::encode_result(seq, op, future.await)) });
                    }
                    Ok(Some(FromWorker::Done { seq: s, outcome, recycle })) if s == seq => {
                        if recycle && proc.shared.close() {
                            self.retire(&proc.shared);
                        }
                        break Some(outcome.map(Outcome::from));
                    }
                    // A worker started on demand says it is ready before it reads the call.
                    Ok(Some(FromWorker::Ready {})) => {}
                    Ok(Some(_)) => {
                        self.kill(&proc);
                        break Some(Err(EngineError::Internal("a worker process broke the protocol".into())));
                    }
                    // The worker is gone (or its output broken: it is killed): its exit code
                    // says why.
                    Ok(None) | Err(_) => {
                        proc.shared.kill();
                        let code = proc.shared.exit_code().await;
                        let ended = self.ended(code, slot, started);
                        if matches!(ended, Some(Err(EngineError::MemoryLimitExceeded(_) | EngineError::StackLimitExceeded(_)))) {
                            self.quarantine(&invocation.user.id);
                        }
                        break ended;
                    }
                },
                Some(joined) = ops.join_next(), if !ops.is_empty() => {
                    if let Ok((op, frame)) = joined {
                        // Results the worker has not read yet wait here, and it could not hold
                        // more than its memory limit of them anyway: past it a result is
                        // dropped for an error.
                        let limit = self.settings.memory_limit;
                        let waiting = outbox.iter().map(Vec::len).sum::<usize>() - written;
                        let frame = match frame {
                            Ok(frame) if (waiting + frame.len()) as u64 > limit => {
                                let message = format!(
                                    "the operation's result does not fit: the function has not yet read {} MiB of results, and its memory limit is {} MiB",
                                    waiting / (1024 * 1024),
                                    limit / (1024 * 1024)
                                );
                                wire::encode_result(seq, op, Err(HostError::new(message)))
                            }
                            Ok(frame) => Ok(frame),
                            Err(e) => wire::encode_result(
                                seq,
                                op,
                                Err(HostError::new(format!("the operation's result is too large: {e}"))),
                            ),
                        };
                        if let Ok(frame) = frame {
                            outbox.push_back(frame);
                        }
                    }
                }
                n = input.input.write(outbox.front().map_or(&[][..], |f| &f[written..])), if !outbox.is_empty() => {
                    match n {
                        Ok(n) if n > 0 => {
                            written += n;
                            if outbox.front().is_some_and(|f| written == f.len()) {
                                outbox.pop_front();
                                written = 0;
                            }
                        }
                        // The worker is gone; its output's end says so.
                        _ => outbox.clear(),
                    }
                }
                _ = tokio::time::sleep_until(deadline) => {
                    self.kill(&proc);
                    self.quarantine(&invocation.user.id);
                    break Some(Err(EngineError::TimeLimitExceeded(limit)));
                }
            }
        };
        // The slot is free again only once the worker is done with the call (or gone).
        drop(place);
        // Every operation the call started finishes before its answer, so the caller can read
        // every write; then what the call left open is closed. What the worker stopped waiting
        // for (a socket's read, an abandoned request) ends with the call.
        info.end();
        while ops.join_next().await.is_some() {}
        info.finish().await;
        result
    }

    /// A worker whose pipe no longer takes a call has ended, though its exit may not be reaped
    /// yet: it is taken out of service now, so the call's next attempt (`None`) goes elsewhere.
    fn gone(&self, proc: &Proc) -> Option<Result<Outcome, EngineError>> {
        self.kill(proc);
        None
    }

    /// What a call on slot `slot` gets when its worker ended with exit code `code`: its own
    /// limit's error, or, when another call ended the worker, another attempt if it had not
    /// started anything.
    fn ended(&self, code: Option<i32>, slot: u32, started: bool) -> Option<Result<Outcome, EngineError>> {
        let mine = |s: Option<usize>| s.is_none_or(|s| s == slot as usize);
        let error = match alloc::exit_reason(code) {
            ExitReason::Memory(s) if mine(s) => {
                EngineError::MemoryLimitExceeded(self.settings.memory_limit / (1024 * 1024))
            }
            ExitReason::Stack(s) if mine(s) => {
                EngineError::StackLimitExceeded("the call's recursion overflowed the stack".into())
            }
            _ if !started => return None,
            ExitReason::Other => EngineError::Internal("the worker process running the call stopped".into()),
            _ => EngineError::Internal(
                "the worker process running the call was stopped by another call on it".into(),
            ),
        };
        Some(Err(error))
    }
}

/// A pipe whose two ends close on `exec`: (read, write).
fn pipe_pair() -> std::io::Result<(OwnedFd, OwnedFd)> {
    let mut fds = [0; 2];
    // SAFETY: `fds` has room for the two descriptors `pipe2` writes.
    if unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) } != 0 {
        return Err(std::io::Error::last_os_error());
    }
    // SAFETY: `pipe2` just opened both and nothing else owns them.
    Ok(unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) })
}

/// In a new worker, between fork and exec: puts `fds[i]` (the slots' pipe ends, at most two
/// per slot) at descriptor `SLOT_FDS + i`. They are first copied above that range, so no copy
/// overwrites a descriptor still to be placed. Async-signal-safe: no allocation.
fn place_fds(fds: &[RawFd]) -> std::io::Result<()> {
    let above = child::SLOT_FDS + fds.len() as RawFd;
    let mut high = [0 as RawFd; 2 * alloc::MAX_SLOTS];
    if fds.len() > high.len() {
        return Err(std::io::Error::other("too many slots"));
    }
    for (i, fd) in fds.iter().enumerate() {
        // SAFETY: plain descriptor calls in the child, on descriptors it inherited.
        high[i] = unsafe { libc::fcntl(*fd, libc::F_DUPFD_CLOEXEC, above) };
        if high[i] < 0 {
            return Err(std::io::Error::last_os_error());
        }
    }
    for (i, fd) in high.iter().take(fds.len()).enumerate() {
        // SAFETY: as above; `dup2` leaves the new descriptor open across `exec`.
        if unsafe { libc::dup2(*fd, child::SLOT_FDS + i as RawFd) } < 0 {
            return Err(std::io::Error::last_os_error());
        }
    }
    Ok(())
}

/// A call waiting for a worker, counted against the queue's capacity while it waits.
struct Queued<'a>(&'a AtomicUsize);

impl<'a> Queued<'a> {
    fn enter(waiting: &'a AtomicUsize, capacity: usize) -> Result<Self, EngineError> {
        if waiting.fetch_add(1, Ordering::SeqCst) >= capacity {
            waiting.fetch_sub(1, Ordering::SeqCst);
            return Err(EngineError::Overloaded);
        }
        Ok(Self(waiting))
    }
}

impl Drop for Queued<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

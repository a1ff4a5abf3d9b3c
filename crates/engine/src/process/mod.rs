//! Worker processes: each call runs in a separate process the engine can kill.
//!
//! The engine (this module, in the server's process) keeps a pool of worker processes, each
//! the host binary re-executed as a worker ([`child::run`]). A call takes an idle worker, sends
//! it the invocation (and the deployment, the first time that worker sees it), runs the host
//! operations the worker asks for through the services' host halves, and gets the outcome.
//! The call's deadline, counted from when it got a worker, is enforced by killing the worker;
//! a worker that exits (memory limit, stack overflow, crash) or is killed is replaced in the
//! background. One call can cost others only its own worker and its share of the pool.

pub mod alloc;
pub mod child;
pub(crate) mod pipe;
pub mod sandbox;
mod wire;

use std::{
    path::PathBuf,
    process::Stdio,
    sync::{
        Arc, Mutex,
        atomic::{AtomicU64, AtomicUsize, Ordering},
    },
    time::Duration,
};

use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    process::{Child, ChildStdin, ChildStdout, Command},
    sync::Semaphore,
    task::JoinSet,
};

use crate::{
    api::{Deployment, Invocation, Outcome},
    error::EngineError,
    host::{CallInfo, HostError, HostService},
};
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

/// One running worker process.
struct Proc {
    child: Child,
    input: ChildStdin,
    output: ChildStdout,
    /// Bytes read from the worker that do not make a whole frame yet.
    buffer: Vec<u8>,
    /// The deployment this worker has compiled.
    deployment: Option<Arc<Deployment>>,
    seq: u64,
}

/// The worker's next message from `output`; `None` when it closed its output (it exited).
/// Cancel-safe: bytes already read stay in `buffer`.
async fn next_message(output: &mut ChildStdout, buffer: &mut Vec<u8>) -> std::io::Result<Option<FromWorker>> {
    loop {
        let want = match wire::frame_len(buffer).map_err(std::io::Error::other)? {
            Some(len) if buffer.len() >= len => {
                let message = wire::decode(&buffer[..len]).map_err(std::io::Error::other);
                buffer.drain(..len);
                return message.map(Some);
            }
            Some(len) => len - buffer.len(),
            None => 4 * 1024,
        };
        buffer.reserve(want);
        // Reads into the buffer's spare capacity: nothing is zeroed or copied twice.
        if output.read_buf(buffer).await? == 0 {
            return Ok(None);
        }
    }
}

/// Settings of a [`ProcessPool`].
pub(crate) struct PoolSettings {
    pub command: WorkerCommand,
    pub workers: usize,
    pub queue_capacity: usize,
    pub memory_limit: u64,
    pub max_async_ops: usize,
}

/// The pool of worker processes behind an [`Engine`](crate::Engine).
pub(crate) struct ProcessPool {
    settings: PoolSettings,
    services: Vec<Arc<dyn HostService>>,
    names: Vec<String>,
    idle: Mutex<Vec<Proc>>,
    permits: Arc<Semaphore>,
    waiting: AtomicUsize,
    replaced: AtomicU64,
    runtime: tokio::runtime::Handle,
}

impl ProcessPool {
    /// Starts the pool: one worker process per core at once, the rest of `settings.workers`
    /// in the background, one after another as each says it is ready.
    pub fn start(
        settings: PoolSettings,
        services: Vec<Arc<dyn HostService>>,
        runtime: tokio::runtime::Handle,
    ) -> std::io::Result<Arc<Self>> {
        let workers = settings.workers.max(1);
        let names = services.iter().map(|s| s.js().name).collect();
        let pool = Arc::new(Self {
            settings,
            services,
            names,
            idle: Mutex::new(Vec::with_capacity(workers)),
            permits: Arc::new(Semaphore::new(workers)),
            waiting: AtomicUsize::new(0),
            replaced: AtomicU64::new(0),
            runtime,
        });
        let _enter = pool.runtime.enter();
        // As many workers as there are cores start at once; the rest start one after another
        // in the background, each once the previous one is ready, so starting them does not
        // compete with the first calls for the CPU.
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        let initial = workers.min(cores);
        let mut started = Vec::with_capacity(workers);
        for _ in 0..initial {
            started.push(pool.spawn()?);
        }
        *pool.lock() = started;
        if workers > initial {
            let ramp = pool.clone();
            pool.runtime.spawn(async move {
                for _ in initial..workers {
                    if !ramp.add_worker().await {
                        break;
                    }
                }
            });
        }
        Ok(pool)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<Proc>> {
        self.idle.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// How many workers were replaced after being killed or exiting.
    pub fn replaced(&self) -> u64 {
        self.replaced.load(Ordering::Relaxed)
    }

    fn spawn(&self) -> std::io::Result<Proc> {
        let s = &self.settings;
        // A worker gets none of the server's environment (database URIs, signing keys, secret
        // values): only its limits, and the log filter.
        let mut command = Command::new(&s.command.program);
        command.env_clear();
        if let Some(filter) = std::env::var_os("WRIT_LOG") {
            command.env("WRIT_LOG", filter);
        }
        let mut child = command
            .args(&s.command.args)
            .env(child::ENV_MEMORY, s.memory_limit.to_string())
            .env(child::ENV_ASYNC_OPS, s.max_async_ops.to_string())
            .env(sandbox::ENV_READ, join_lines(&s.command.read_roots))
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .kill_on_drop(true)
            .spawn()?;
        let (Some(input), Some(output)) = (child.stdin.take(), child.stdout.take()) else {
            return Err(std::io::Error::other("a worker process has no pipes"));
        };
        Ok(Proc {
            child,
            input,
            output,
            buffer: Vec::new(),
            deployment: None,
            seq: 0,
        })
    }

    /// Starts a worker in the background to take the place of one that is gone.
    fn replace(self: &Arc<Self>) {
        self.replaced.fetch_add(1, Ordering::Relaxed);
        let pool = self.clone();
        self.runtime.spawn(async move {
            pool.add_worker().await;
        });
    }

    /// Starts a worker and puts it in the idle stack once it is ready; false (logged) when it
    /// could not start.
    async fn add_worker(&self) -> bool {
        match self.spawn_ready().await {
            Ok(p) => {
                self.put_back(p);
                true
            }
            Err(e) => {
                tracing::error!(error = %e, "could not start a worker process");
                false
            }
        }
    }

    /// Starts a worker and waits until it says it is ready for calls.
    async fn spawn_ready(&self) -> std::io::Result<Proc> {
        let mut proc = {
            let _enter = self.runtime.enter();
            self.spawn()?
        };
        let ready = tokio::time::timeout(READY_WITHIN, next_message(&mut proc.output, &mut proc.buffer));
        match ready.await {
            Ok(Ok(Some(FromWorker::Ready {}))) => Ok(proc),
            Ok(Ok(Some(_))) => Err(std::io::Error::other("a new worker broke the protocol")),
            Ok(Ok(None)) => Err(std::io::Error::other(format!(
                "a new worker exited at start ({:?})",
                proc.child.wait().await
            ))),
            Ok(Err(e)) => Err(e),
            Err(_) => Err(std::io::Error::other("a new worker was not ready in time")),
        }
    }

    fn put_back(&self, proc: Proc) {
        let mut idle = self.lock();
        if idle.len() < self.settings.workers.max(1) {
            idle.push(proc);
        }
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
            let mut attempts = 0;
            let result = loop {
                let proc = pool.lock().pop();
                let mut proc = match proc {
                    Some(p) => p,
                    None => match pool.spawn() {
                        Ok(p) => p,
                        Err(e) => break Err(EngineError::Internal(format!("cannot start a worker: {e}"))),
                    },
                };
                match pool.converse(&mut proc, &deployment, &invocation, limit).await {
                    Some((result, healthy)) => {
                        if healthy {
                            pool.put_back(proc);
                        } else {
                            drop(proc);
                            pool.replace();
                        }
                        break result;
                    }
                    // That worker was gone before the call reached it: another one takes it.
                    None => {
                        drop(proc);
                        pool.replace();
                        attempts += 1;
                        if attempts == 3 {
                            break Err(EngineError::Internal(
                                "no worker process could take the call".into(),
                            ));
                        }
                    }
                }
            };
            drop(permit);
            drop(hold);
            result
        });
        task.await
            .unwrap_or_else(|_| Err(EngineError::Internal("the call's task failed".into())))
    }

    /// Sends `invocation` to `proc` and serves its operations until it answers, exits or
    /// passes its deadline. Returns the outcome and whether the worker can take another call;
    /// `None` when the worker was gone before the call reached it.
    async fn converse(
        &self,
        proc: &mut Proc,
        deployment: &Arc<Deployment>,
        invocation: &Invocation,
        limit: Duration,
    ) -> Option<(Result<Outcome, EngineError>, bool)> {
        let system = invocation.run_as_system;
        let info = Arc::new(CallInfo::new(invocation.user.clone(), deployment.clone(), system));
        let fresh = !proc
            .deployment
            .as_ref()
            .is_some_and(|d| Arc::ptr_eq(d, deployment));
        proc.seq += 1;
        let seq = proc.seq;
        let call = CallRef::Call {
            seq,
            deployment: fresh.then(|| WireDeployment::from(deployment)),
            invocation,
            limit_ms: limit.as_millis() as u64,
        };
        let frame = match wire::encode(&call) {
            Ok(f) => f,
            Err(e) => return Some((Err(EngineError::InvalidArguments(e.to_string())), true)),
        };
        // The worker is waiting for exactly this: the write cannot wait on the worker.
        if proc.input.write_all(&frame).await.is_err() {
            return None;
        }
        proc.deployment = Some(deployment.clone());
        // Results waiting to be written, and how much of the first is written. They are written
        // while the worker's messages are read, so neither side can block the other.
        let mut outbox: std::collections::VecDeque<Vec<u8>> = Default::default();
        let mut written = 0;
        let deadline = tokio::time::Instant::now() + limit + KILL_GRACE;
        let mut ops: JoinSet<(u64, Result<bson::Bson, HostError>)> = JoinSet::new();
        let (result, healthy) = loop {
            tokio::select! {
                message = next_message(&mut proc.output, &mut proc.buffer) => match message {
                    Ok(Some(FromWorker::Op { seq: s, op, host_op })) if s == seq => {
                        if ops.len() >= self.settings.max_async_ops {
                            let _ = proc.child.start_kill();
                            break (Err(EngineError::AsyncWorkLimitExceeded(self.settings.max_async_ops)), false);
                        }
                        let future = match self.names.iter().position(|n| *n == host_op.service) {
                            Some(i) => self.services[i].start(&info, host_op),
                            None => Box::pin(std::future::ready(Err(HostError::new("unknown service")))),
                        };
                        ops.spawn(async move { (op, future.await) });
                    }
                    // A worker started on demand says it is ready before it reads the call.
                    Ok(Some(FromWorker::Ready {})) => {}
                    Ok(Some(FromWorker::Done { seq: s, outcome, recycle })) if s == seq => {
                        break (outcome.map(Outcome::from), !recycle);
                    }
                    Ok(Some(_)) => {
                        let _ = proc.child.start_kill();
                        break (Err(EngineError::Internal("a worker process broke the protocol".into())), false);
                    }
                    Ok(None) | Err(_) => {
                        let status = proc.child.wait().await;
                        break (Err(self.exit_error(status)), false);
                    }
                },
                Some(joined) = ops.join_next(), if !ops.is_empty() => {
                    if let Ok((op, result)) = joined {
                        let frame = wire::encode(&ToWorker::Result { seq, op, result }).or_else(|e| {
                            let result = Err(HostError::new(format!("the operation's result is too large: {e}")));
                            wire::encode(&ToWorker::Result { seq, op, result })
                        });
                        if let Ok(frame) = frame {
                            outbox.push_back(frame);
                        }
                    }
                }
                n = proc.input.write(outbox.front().map_or(&[][..], |f| &f[written..])), if !outbox.is_empty() => {
                    match n {
                        Ok(n) if n > 0 => {
                            written += n;
                            if outbox.front().is_some_and(|f| written == f.len()) {
                                outbox.pop_front();
                                written = 0;
                            }
                        }
                        // The worker is gone; its exit is read on the other branch.
                        _ => outbox.clear(),
                    }
                }
                _ = tokio::time::sleep_until(deadline) => {
                    let _ = proc.child.start_kill();
                    break (Err(EngineError::TimeLimitExceeded(limit)), false);
                }
            }
        };
        // Every operation the call started finishes before its answer, so the caller can read
        // every write; then what the call left open is closed. What the worker stopped waiting
        // for (a socket's read, an abandoned request) ends with the call.
        info.end();
        while ops.join_next().await.is_some() {}
        info.finish().await;
        Some((result, healthy))
    }

    fn exit_error(&self, status: std::io::Result<std::process::ExitStatus>) -> EngineError {
        match status.ok().and_then(|s| s.code()) {
            Some(alloc::EXIT_MEMORY) => {
                EngineError::MemoryLimitExceeded(self.settings.memory_limit / (1024 * 1024))
            }
            Some(child::EXIT_STACK) => {
                EngineError::StackLimitExceeded("the call's recursion overflowed the stack".into())
            }
            _ => EngineError::Internal("the worker process running the call stopped".into()),
        }
    }
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

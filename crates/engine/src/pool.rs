//! [`Engine`]: the `Send` handle callers run functions through, in front of either worker
//! processes ([`crate::process`], isolated: the default of `writ serve`) or worker threads in
//! this process (for trusted code only: a thread cannot be stopped or limited in memory).
//!
//! Worker threads: Boa's `Context` is not `Send`, so each one lives on its own OS thread for
//! its whole life and calls travel to it as plain data over a bounded queue; replies come back
//! on a oneshot. A full queue is reported at once ([`EngineError::Overloaded`], HTTP 429)
//! instead of waiting. Callers wait at most until the call's deadline. A worker still inside
//! JavaScript past its deadline (a runaway builtin the loop budget cannot stop) is retired: the
//! supervisor starts a replacement at once, and the old thread exits whenever its JavaScript
//! returns.

use std::{
    sync::{
        Arc, Mutex, RwLock,
        atomic::{AtomicBool, AtomicU64, Ordering},
    },
    thread::JoinHandle,
    time::{Duration, Instant},
};

use crate::{
    api::{Deployment, Invocation, Outcome},
    error::EngineError,
    host::HostService,
    worker::{Call, Worker},
};

/// A call waiting for a worker thread.
pub(crate) struct Job {
    pub invocation: Invocation,
    pub deployment: Arc<Deployment>,
    pub limit: Duration,
    /// When a worker took the job, for the caller's own wait.
    pub started: Arc<std::sync::OnceLock<Instant>>,
    pub reply: tokio::sync::oneshot::Sender<Result<Outcome, EngineError>>,
}

/// How the engine runs calls.
#[derive(Debug, Clone)]
pub struct EngineConfig {
    /// Worker threads, each with its own JavaScript context. A worker runs one call at a time and
    /// waits while the call waits for the database, so the default is four per core.
    pub workers: usize,
    /// Calls that may wait for a worker before new ones are refused as overloaded.
    pub queue_capacity: usize,
    /// Wall-clock limit of a call, from submission to the end of its drain.
    pub time_limit: Duration,
    /// Host operations one call may have outstanding at once.
    pub max_async_ops: usize,
    /// Stack size of worker threads.
    pub stack_size: usize,
    /// Where calls run.
    pub isolation: Isolation,
    /// Bytes one call may allocate (worker processes only); App Services allows 350 MB.
    pub memory_limit: u64,
    /// Calls one worker process runs at once, each on its own thread and context (worker
    /// processes only): more share the cost of waking a process, fewer lose fewer calls when
    /// one call ends its process.
    pub calls_per_process: usize,
}

/// Where an engine runs calls.
#[derive(Debug, Clone, Default)]
pub enum Isolation {
    /// On threads of this process: no memory limit, and a runaway builtin keeps its thread
    /// busy after its deadline. For trusted code (embedding, tests, benchmarks).
    #[default]
    Threads,
    /// In worker processes started with this command: each call's memory is capped and a call
    /// past its deadline is killed.
    Processes(crate::process::WorkerCommand),
}

impl Default for EngineConfig {
    fn default() -> Self {
        Self {
            workers: 4 * std::thread::available_parallelism().map(|n| n.get()).unwrap_or(2),
            queue_capacity: 10_000,
            time_limit: Duration::from_secs(300),
            max_async_ops: 1_000,
            stack_size: 16 * 1024 * 1024,
            isolation: Isolation::Threads,
            memory_limit: 350 * 1024 * 1024,
            calls_per_process: 4,
        }
    }
}

/// How long past its deadline a worker may stay inside JavaScript before it is retired.
const RETIRE_GRACE: Duration = Duration::from_millis(200);
/// How often the supervisor looks at the workers.
const SUPERVISOR_TICK: Duration = Duration::from_millis(25);

struct Slot {
    /// Milliseconds since `Shared::epoch` at which the running call's deadline passes; 0 when idle.
    busy_until: AtomicU64,
    retired: AtomicBool,
    thread: Mutex<Option<JoinHandle<()>>>,
}

struct Shared {
    config: EngineConfig,
    services: Vec<Arc<dyn HostService>>,
    runtime: tokio::runtime::Handle,
    queue: crossbeam_channel::Receiver<Job>,
    epoch: Instant,
    slots: Mutex<Vec<Arc<Slot>>>,
    shutdown: AtomicBool,
    retired_total: AtomicU64,
    /// Whether an idle worker is polling the queue right now (see [`SPIN`]).
    spinning: AtomicBool,
}

impl Shared {
    fn millis(&self, t: Instant) -> u64 {
        t.saturating_duration_since(self.epoch).as_millis() as u64 + 1
    }
}

/// The worker threads of an engine.
struct Threads {
    queue: crossbeam_channel::Sender<Job>,
    shared: Arc<Shared>,
    supervisor: Option<JoinHandle<()>>,
}

impl Drop for Threads {
    fn drop(&mut self) {
        self.shared.shutdown.store(true, Ordering::SeqCst);
        if let Some(s) = &self.supervisor {
            s.thread().unpark();
        }
    }
}

enum Backend {
    Threads(Threads),
    Processes(Arc<crate::process::ProcessPool>),
}

struct Inner {
    config: EngineConfig,
    deployment: RwLock<Arc<Deployment>>,
    backend: Backend,
}

/// The handle callers use to run functions: cheap to clone, `Send + Sync`.
#[derive(Clone)]
pub struct Engine {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Engine")
            .field("config", &self.inner.config)
            .finish_non_exhaustive()
    }
}

fn spawn_worker(shared: &Arc<Shared>) -> std::io::Result<Arc<Slot>> {
    let slot = Arc::new(Slot {
        busy_until: AtomicU64::new(0),
        retired: AtomicBool::new(false),
        thread: Mutex::new(None),
    });
    let (s, sl) = (shared.clone(), slot.clone());
    let handle = std::thread::Builder::new()
        .name("writ-engine".into())
        .stack_size(shared.config.stack_size)
        .spawn(move || worker_main(&s, &sl))?;
    *slot.thread.lock().unwrap_or_else(|e| e.into_inner()) = Some(handle);
    Ok(slot)
}

fn worker_main(shared: &Shared, slot: &Slot) {
    let new_worker = || {
        Worker::local(
            shared.services.clone(),
            shared.runtime.clone(),
            shared.config.max_async_ops,
        )
        .inspect_err(|e| tracing::error!(error = %e, "could not create a JavaScript context"))
        .ok()
    };
    let Some(mut worker) = new_worker() else {
        return;
    };
    while !slot.retired.load(Ordering::SeqCst) {
        let Some(mut job) = next_job(shared) else {
            return;
        };
        if job.reply.is_closed() {
            // Its caller is gone (the client hung up while the call was queued).
            continue;
        }
        // The call's time starts now: waiting in the queue is not charged to it.
        let now = Instant::now();
        let deadline = now + job.limit;
        let _ = job.started.set(now);
        slot.busy_until.store(shared.millis(deadline), Ordering::SeqCst);
        let result = worker.run(&Call {
            input: crate::worker::CallInput::of(&job.invocation),
            deployment: &job.deployment,
            deadline,
            limit: job.limit,
            seq: None,
        });
        slot.busy_until.store(0, Ordering::SeqCst);
        // Released before the answer, so the caller's next call finds its slot free.
        drop(job.invocation.hold.take());
        let _ = job.reply.send(result);
        if worker.tainted() {
            tracing::warn!("a call changed the global object for good: replacing its JavaScript context");
            shared.retired_total.fetch_add(1, Ordering::Relaxed);
            match new_worker() {
                Some(w) => worker = w,
                None => return,
            }
        }
    }
}

/// How long an idle worker polls the queue before it sleeps: calls arriving back to back then
/// skip a thread wake-up, which costs more than the call itself. Only one worker polls at a
/// time; the others would only take CPU from the busy ones.
const SPIN: Duration = Duration::from_micros(30);

fn next_job(shared: &Shared) -> Option<Job> {
    let queue = &shared.queue;
    if !shared.spinning.swap(true, Ordering::AcqRel) {
        let start = Instant::now();
        let polled = loop {
            match queue.try_recv() {
                Ok(job) => break Some(Some(job)),
                Err(crossbeam_channel::TryRecvError::Disconnected) => break Some(None),
                Err(crossbeam_channel::TryRecvError::Empty) if start.elapsed() < SPIN => {
                    std::hint::spin_loop()
                }
                Err(crossbeam_channel::TryRecvError::Empty) => break None,
            }
        };
        shared.spinning.store(false, Ordering::Release);
        if let Some(job) = polled {
            return job;
        }
    }
    queue.recv().ok()
}

fn supervise(shared: Arc<Shared>) {
    while !shared.shutdown.load(Ordering::SeqCst) {
        std::thread::park_timeout(SUPERVISOR_TICK);
        let now = shared.millis(Instant::now());
        let grace = RETIRE_GRACE.as_millis() as u64;
        let mut slots = shared.slots.lock().unwrap_or_else(|e| e.into_inner());
        for i in 0..slots.len() {
            let slot = &slots[i];
            let busy = slot.busy_until.load(Ordering::SeqCst);
            let stuck = busy != 0 && now > busy + grace;
            let dead = slot
                .thread
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .as_ref()
                .is_some_and(JoinHandle::is_finished);
            if !stuck && !dead {
                continue;
            }
            slot.retired.store(true, Ordering::SeqCst);
            shared.retired_total.fetch_add(1, Ordering::Relaxed);
            tracing::warn!(stuck, dead, "replacing an engine worker");
            match spawn_worker(&shared) {
                Ok(new) => slots[i] = new,
                Err(e) => tracing::error!(error = %e, "could not start a replacement worker"),
            }
        }
    }
}

impl Engine {
    /// Starts the workers (threads or processes, as `config.isolation` says). Host operations
    /// run on `runtime`.
    pub fn new(
        config: EngineConfig,
        services: Vec<Arc<dyn HostService>>,
        runtime: tokio::runtime::Handle,
    ) -> std::io::Result<Self> {
        let backend = match &config.isolation {
            Isolation::Threads => Backend::Threads(Threads::start(config.clone(), services, runtime)?),
            Isolation::Processes(command) => {
                let settings = crate::process::PoolSettings {
                    command: command.clone(),
                    workers: config.workers,
                    slots: config.calls_per_process,
                    queue_capacity: config.queue_capacity,
                    memory_limit: config.memory_limit,
                    max_async_ops: config.max_async_ops,
                };
                Backend::Processes(crate::process::ProcessPool::start(settings, services, runtime)?)
            }
        };
        Ok(Self {
            inner: Arc::new(Inner {
                config,
                deployment: RwLock::new(Arc::new(Deployment::default())),
                backend,
            }),
        })
    }
}

impl Threads {
    fn start(
        config: EngineConfig,
        services: Vec<Arc<dyn HostService>>,
        runtime: tokio::runtime::Handle,
    ) -> std::io::Result<Self> {
        let (tx, rx) = crossbeam_channel::bounded(config.queue_capacity.max(1));
        let workers = config.workers.max(1);
        let shared = Arc::new(Shared {
            config,
            services,
            runtime,
            queue: rx,
            epoch: Instant::now(),
            slots: Mutex::new(Vec::new()),
            shutdown: AtomicBool::new(false),
            retired_total: AtomicU64::new(0),
            spinning: AtomicBool::new(false),
        });
        let mut slots = Vec::with_capacity(workers);
        for _ in 0..workers {
            slots.push(spawn_worker(&shared)?);
        }
        *shared.slots.lock().unwrap_or_else(|e| e.into_inner()) = slots;
        let s = shared.clone();
        let supervisor = std::thread::Builder::new()
            .name("writ-supervisor".into())
            .spawn(move || supervise(s))?;
        Ok(Self {
            queue: tx,
            shared,
            supervisor: Some(supervisor),
        })
    }
}

impl Engine {
    /// Makes `deployment` the one new calls run on; calls already running finish on theirs.
    pub fn deploy(&self, deployment: Arc<Deployment>) {
        *self.inner.deployment.write().unwrap_or_else(|e| e.into_inner()) = deployment;
    }

    /// How long a call may run unless its invocation says otherwise.
    pub fn time_limit(&self) -> Duration {
        self.inner.config.time_limit
    }

    /// The deployment new calls run on.
    pub fn deployment(&self) -> Arc<Deployment> {
        self.inner
            .deployment
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// How many workers (or, in threads, JavaScript contexts) were retired or killed and
    /// replaced since start.
    pub fn retired_workers(&self) -> u64 {
        match &self.inner.backend {
            Backend::Threads(t) => t.shared.retired_total.load(Ordering::Relaxed),
            Backend::Processes(p) => p.replaced(),
        }
    }

    /// Runs one call on the current deployment.
    pub async fn call(&self, invocation: Invocation) -> Result<Outcome, EngineError> {
        let deployment = self.deployment();
        self.call_on(deployment, invocation).await
    }

    /// Runs one call on the given deployment.
    pub async fn call_on(
        &self,
        deployment: Arc<Deployment>,
        invocation: Invocation,
    ) -> Result<Outcome, EngineError> {
        if !deployment.functions.contains_key(&invocation.function) {
            return Err(EngineError::FunctionNotFound(invocation.function));
        }
        let limit = invocation.time_limit.unwrap_or(self.inner.config.time_limit);
        match &self.inner.backend {
            Backend::Threads(threads) => threads.call(deployment, invocation, limit).await,
            Backend::Processes(pool) => pool.call(deployment, invocation, limit).await,
        }
    }
}

impl Threads {
    async fn call(
        &self,
        deployment: Arc<Deployment>,
        invocation: Invocation,
        limit: Duration,
    ) -> Result<Outcome, EngineError> {
        let (reply, rx) = tokio::sync::oneshot::channel();
        let started = Arc::new(std::sync::OnceLock::new());
        let job = Job {
            invocation,
            deployment,
            limit,
            started: started.clone(),
            reply,
        };
        self.queue.try_send(job).map_err(|e| match e {
            crossbeam_channel::TrySendError::Full(_) => EngineError::Overloaded,
            crossbeam_channel::TrySendError::Disconnected(_) => EngineError::ShutDown,
        })?;
        // A short call is answered within microseconds: poll for it, yielding to other tasks,
        // before paying for a sleep and a wake-up.
        let mut rx = rx;
        let polling = Instant::now();
        while polling.elapsed() < SPIN {
            match rx.try_recv() {
                Ok(result) => return result,
                Err(tokio::sync::oneshot::error::TryRecvError::Empty) => tokio::task::yield_now().await,
                Err(tokio::sync::oneshot::error::TryRecvError::Closed) => break,
            }
        }
        // The worker answers by the deadline itself (counted from when it took the call); the
        // margin covers a worker that is stuck. While the call is queued, keep waiting.
        loop {
            let from = started.get().copied().unwrap_or_else(Instant::now);
            let wait = tokio::time::Instant::from_std(from + limit + RETIRE_GRACE);
            match tokio::time::timeout_at(wait, &mut rx).await {
                Ok(Ok(result)) => return result,
                Ok(Err(_)) => {
                    return Err(EngineError::Internal(
                        "the worker running the call stopped".into(),
                    ));
                }
                Err(_) => match started.get() {
                    Some(t) if Instant::now() >= *t + limit + RETIRE_GRACE => {
                        return Err(EngineError::TimeLimitExceeded(limit));
                    }
                    _ => continue,
                },
            }
        }
    }
}

//! One engine worker: an OS thread owning a Boa context, running one call at a time.
//!
//! The worker compiles every function of a deployment once, the first time it sees that
//! deployment. A call runs the function, then drains: it settles host operations as their
//! completions arrive and runs promise jobs, until the returned value has settled and nothing
//! the call started is outstanding, or the deadline passes. Each entry into JavaScript gets a
//! loop-iteration budget sized to the time left, so a runaway loop ends near the deadline with
//! the worker intact; if JavaScript does not come back at all, the supervisor retires this
//! worker (see [`crate::pool`]).

use std::{
    cell::RefCell,
    collections::HashMap,
    rc::Rc,
    sync::{Arc, mpsc},
    time::{Duration, Instant},
};

use boa_engine::{
    Context, JsError, JsNativeError, JsObject, JsResult, JsValue,
    builtins::promise::PromiseState,
    context::{ContextBuilder, HostHooks},
    error::{EngineError as BoaEngineError, RuntimeLimitError},
    object::builtins::JsPromise,
};
use bson::Bson;

use crate::{
    api::{Deployment, Invocation, JsException, Outcome, RequestInfo, User, UserType},
    context::invoke,
    convert::{bson_to_js, js_to_bson},
    error::EngineError,
    host::{CallInfo, Completion, HostService, ServiceJs},
    jobs::JobQueue,
    state::SharedParts,
    state::{CallState, Compiled, CompiledFunction, Lazy, Link, WorkerHost},
};

/// Loop iterations allowed per millisecond left before the deadline. Boa runs about 1.1e5
/// simple iterations per millisecond in release builds; the margin keeps honest loops safe.
const LOOP_ITERATIONS_PER_MS: u64 = 160_000;

/// One call as a worker runs it.
pub(crate) struct Call<'a> {
    pub input: CallInput<'a>,
    pub deployment: &'a Arc<Deployment>,
    /// When the call must end (counted from when a worker took it).
    pub deadline: Instant,
    /// The call's limit, for the error that reports it.
    pub limit: Duration,
    /// The engine's number for the call, which its operations carry (worker processes);
    /// `None`: the worker numbers its calls itself.
    pub seq: Option<u64>,
}

/// What a call runs: its function, arguments and caller, as a worker thread gets them (an
/// [`Invocation`]) or a worker process does (its caller still encoded).
pub(crate) struct CallInput<'a> {
    /// The function's name.
    pub function: &'a str,
    /// Its arguments.
    pub args: &'a [Bson],
    /// The caller's type, which decides the call's privilege before anything else is read.
    pub user_type: UserType,
    /// `context.user`'s source.
    pub user: Lazy<User>,
    /// `context.request`'s source.
    pub request: Lazy<Option<RequestInfo>>,
    /// Run with system privileges whatever the caller.
    pub run_as_system: bool,
    /// An HTTPS endpoint's call (the function also gets a `response`).
    pub endpoint: bool,
}

impl<'a> CallInput<'a> {
    /// The input of `invocation`, on a worker thread.
    pub fn of(invocation: &'a Invocation) -> Self {
        Self {
            function: &invocation.function,
            args: &invocation.args,
            user_type: invocation.user.user_type,
            user: Lazy::Ready(Rc::new(invocation.user.clone())),
            request: Lazy::Ready(Rc::new(invocation.request.clone())),
            run_as_system: invocation.run_as_system,
            endpoint: invocation.endpoint,
        }
    }
}

/// See [`Worker::collect`]: a subclass, its prototype and an instance each take a new
/// prototype transition in the shape a class constructor, a prototype object and an ordinary
/// object are made from.
const PRUNER: &str = "(function () { for (let i = 0; i < 256; i++) { class A {} class B extends A { get g() { return 1; } static s = 0; f; } new B(); } })";

/// Tracks promises rejected with no handler, to report them in the call's logs.
struct Hooks {
    host: RefCell<Option<Rc<WorkerHost>>>,
}

impl HostHooks for Hooks {
    fn promise_rejection_tracker(
        &self,
        promise: &JsObject<boa_engine::builtins::promise::Promise>,
        operation: boa_engine::builtins::promise::OperationType,
        _context: &mut Context,
    ) {
        let Some(host) = self.host.borrow().clone() else {
            return;
        };
        let promise = promise.clone().upcast();
        let mut rejections = host.rejections.borrow_mut();
        match operation {
            boa_engine::builtins::promise::OperationType::Reject => rejections.push(promise),
            boa_engine::builtins::promise::OperationType::Handle => rejections.retain(|p| p != &promise),
        }
    }
}

/// A worker's context and the state around it.
pub(crate) struct Worker {
    context: Context,
    host: Rc<WorkerHost>,
    /// With a local link, where its operations' completions arrive.
    completions: Option<mpsc::Receiver<Completion>>,
    seq: u64,
    /// The global object as lockdown left it, restored after every call.
    globals: crate::globals::lockdown::GlobalSnapshot,
    /// A call left the global object changed for good: the context must be replaced.
    tainted: bool,
    /// Makes an endpoint call's `response` object (`endpoint.js`), once needed.
    endpoint_response: Option<JsObject>,
    /// Makes Boa prune its shape tree's prototype transitions ([`Worker::collect`]).
    pruner: JsObject,
}

impl Worker {
    /// A worker whose operations run as futures on `runtime` in this process.
    pub fn local(
        services: Vec<Arc<dyn HostService>>,
        runtime: tokio::runtime::Handle,
        max_async_ops: usize,
    ) -> Result<Self, String> {
        let js = services.iter().map(|s| s.js()).collect();
        let (tx, rx) = mpsc::channel();
        let link = Link::Local {
            services,
            runtime,
            completions: tx,
            call: RefCell::new(None),
        };
        Self::new(js, link, Some(rx), max_async_ops)
    }

    /// A worker whose operations go to the parent process over `pipe`.
    pub fn remote(
        services: Vec<ServiceJs>,
        pipe: crate::process::pipe::Pipe,
        max_async_ops: usize,
    ) -> Result<Self, String> {
        Self::new(services, Link::Remote(RefCell::new(pipe)), None, max_async_ops)
    }

    /// Creates the worker's context with every global installed.
    fn new(
        services: Vec<ServiceJs>,
        link: Link,
        completions: Option<mpsc::Receiver<Completion>>,
        max_async_ops: usize,
    ) -> Result<Self, String> {
        let jobs = Rc::new(JobQueue::default());
        let hooks = Rc::new(Hooks {
            host: RefCell::new(None),
        });
        let mut context = ContextBuilder::new()
            .job_executor(jobs.clone())
            .host_hooks(hooks.clone())
            .build()
            .map_err(|e| e.to_string())?;
        // Boa 0.22 leaks a few value-stack slots each time a loop catches an exception thrown by
        // a function it called (they are freed when the looping function returns), so its
        // default limit of 10,240 values ends such a loop after ~3,000 caught errors. The value
        // stack lives on the heap (bounded by the call's memory limit): allow 2^20 values.
        context.runtime_limits_mut().set_stack_size_limit(1 << 20);
        crate::globals::install(&mut context).map_err(|e| e.to_string())?;
        crate::console::install(&mut context).map_err(|e| e.to_string())?;
        crate::timers::install(&mut context).map_err(|e| e.to_string())?;
        let node = crate::node::install(&mut context).map_err(|e| e.to_string())?;
        let globals = crate::globals::lockdown::apply(&mut context, &node.roots, node.enable)
            .map_err(|e| e.to_string())?;
        let shared = SharedParts::build(&Deployment::default(), &mut context).map_err(|e| e.to_string())?;
        let host = Rc::new(WorkerHost {
            call: RefCell::new(None),
            compiled: RefCell::new(Rc::new(Compiled {
                deployment: None,
                functions: HashMap::new(),
                shared,
            })),
            services,
            factories: RefCell::new(HashMap::new()),
            modules: RefCell::new(Default::default()),
            link,
            max_async_ops,
            jobs,
            rejections: RefCell::new(Vec::new()),
        });
        *hooks.host.borrow_mut() = Some(host.clone());
        context.insert_data(host.clone());
        let pruner = context
            .eval(boa_engine::Source::from_bytes(PRUNER))
            .ok()
            .and_then(|f| f.as_object())
            .ok_or("the shape pruner did not compile")?;
        Ok(Self {
            context,
            host,
            completions,
            seq: 0,
            globals,
            tainted: false,
            endpoint_response: None,
            pruner,
        })
    }

    /// Collects the garbage calls left, including what Boa's shape tree holds on to: Boa
    /// 0.22 keeps every prototype an object or function was created with as a key of a
    /// shape's transition map until it prunes that map, every 256 new prototypes, so a
    /// call's classes (`class B extends A`, `new A()`, and all they reach: its package
    /// modules) outlive it by many calls. [`PRUNER`] adds 256 throwaway prototypes to the
    /// maps those paths use, after a collection, so each is pruned. (An entry whose shape
    /// is still used by an object its own key reaches is never pruned; what such a cycle
    /// holds stays until the worker is replaced for it.)
    pub fn collect(&mut self) {
        boa_gc::force_collect();
        self.context
            .runtime_limits_mut()
            .set_loop_iteration_limit(u64::MAX);
        let _ = self.pruner.call(&JsValue::undefined(), &[], &mut self.context);
        boa_gc::force_collect();
    }

    /// True when a call left the context's global object changed beyond repair; the worker
    /// then replaces the context before the next call.
    pub fn tainted(&self) -> bool {
        self.tainted
    }

    /// How many package files this context holds compiled (for the current deployment).
    pub fn package_files(&self) -> usize {
        self.host.modules.borrow().compiled()
    }

    fn ensure_compiled(&mut self, deployment: &Arc<Deployment>) -> Result<(), EngineError> {
        let current = self.host.compiled.borrow().deployment.clone();
        if current.is_some_and(|d| Arc::ptr_eq(&d, deployment)) {
            return Ok(());
        }
        let ctx = &mut self.context;
        ctx.runtime_limits_mut().disable_loop_iteration_limit();
        let mut functions = HashMap::with_capacity(deployment.functions.len());
        for (name, spec) in &deployment.functions {
            let factory = crate::source::compile(name, &spec.path, &spec.source, ctx);
            functions.insert(
                name.clone(),
                CompiledFunction {
                    factory,
                    run_as_system: spec.config.run_as_system,
                    uses_module: spec.source.contains("module"),
                },
            );
        }
        let shared = SharedParts::build(deployment, ctx).map_err(|e| EngineError::Internal(e.to_string()))?;
        self.host.modules.borrow_mut().clear();
        *self.host.compiled.borrow_mut() = Rc::new(Compiled {
            deployment: Some(deployment.clone()),
            functions,
            shared,
        });
        Ok(())
    }

    fn set_budget(&mut self, deadline: Instant) {
        let left = deadline.saturating_duration_since(Instant::now()).as_millis() as u64;
        let budget = left.max(1).saturating_mul(LOOP_ITERATIONS_PER_MS);
        self.context.runtime_limits_mut().set_loop_iteration_limit(budget);
    }

    /// The worker's link, when it is a pipe to the parent.
    pub(crate) fn pipe(&self) -> Option<std::cell::RefMut<'_, crate::process::pipe::Pipe>> {
        match &self.host.link {
            Link::Remote(pipe) => Some(pipe.borrow_mut()),
            Link::Local { .. } => None,
        }
    }

    /// Runs one call to the end and returns its outcome. The call must end by `call.deadline`.
    pub fn run(&mut self, call: &Call<'_>) -> Result<Outcome, EngineError> {
        let started = Instant::now();
        self.ensure_compiled(call.deployment)?;
        let inv = &call.input;
        call.deployment
            .functions
            .get(inv.function)
            .ok_or_else(|| EngineError::FunctionNotFound(inv.function.to_string()))?;
        if let Err(reason) = &self.host.compiled.borrow().functions[inv.function].factory {
            return Err(EngineError::FunctionInvalid {
                name: inv.function.to_string(),
                reason: reason.clone(),
            });
        }
        let system = inv.run_as_system || inv.user_type == UserType::System;

        self.seq = call.seq.unwrap_or(self.seq + 1);
        let ctx = &mut self.context;
        let mut args = Vec::with_capacity(inv.args.len());
        for a in inv.args {
            args.push(bson_to_js(a, ctx).map_err(|e| EngineError::InvalidArguments(e.to_string()))?);
        }
        *self.host.call.borrow_mut() = Some(CallState {
            seq: self.seq,
            user: inv.user.clone(),
            deployment: call.deployment.clone(),
            logs: Vec::new(),
            dropped_logs: 0,
            pending: HashMap::new(),
            weak: Default::default(),
            next_op: 0,
            fatal: None,
            request: inv.request.clone(),
            user_js: None,
            env_js: None,
            request_js: None,
            modules_js: None,
            timers: Default::default(),
        });
        if let Link::Local { call: info, .. } = &self.host.link {
            let limit = call.deadline.saturating_duration_since(std::time::Instant::now());
            let record = CallInfo::new(
                (*inv.user.value()?).clone(),
                call.deployment.clone(),
                system,
                limit,
            )
            .with_request((*inv.request.value()?).clone());
            *info.borrow_mut() = Some(Arc::new(record));
        }
        self.host.rejections.borrow_mut().clear();

        let response_state = if inv.endpoint {
            let (response, state) = self
                .endpoint_response()
                .map_err(|e| EngineError::Internal(e.to_string()))?;
            args.push(response.into());
            Some(state)
        } else {
            None
        };
        self.set_budget(call.deadline);
        let first = invoke(inv.function, system, &args, &mut self.context);
        let mut result = self.drain(first, call);
        if let (Some(state), Ok(Ok(value))) = (response_state, &mut result) {
            let response = js_to_bson(&state.into(), &mut self.context).map_err(|e| {
                EngineError::InvalidResult(crate::describe::exception(e, &mut self.context).message)
            })?;
            *value = Bson::Document(bson::doc! { "result": std::mem::take(value), "response": response });
        }
        let state = self.host.call.borrow_mut().take();
        self.host.jobs.clear();
        if !self.globals.restore(&mut self.context) {
            self.tainted = true;
        }
        if let Link::Local {
            call: info, runtime, ..
        } = &self.host.link
            && let Some(info) = info.borrow_mut().take()
        {
            runtime.block_on(info.finish());
        }
        let mut logs = Vec::new();
        if let Some(mut state) = state {
            if state.dropped_logs > 0 {
                state.logs.push(crate::LogLine {
                    level: crate::LogLevel::Warn,
                    message: format!("... {} more log lines were dropped", state.dropped_logs),
                });
            }
            logs = state.logs;
        }
        let result = result?;
        Ok(Outcome {
            result,
            logs,
            elapsed: started.elapsed(),
        })
    }

    /// A fresh endpoint `response` object and the state it writes.
    fn endpoint_response(&mut self) -> JsResult<(JsObject, JsObject)> {
        let make = match &self.endpoint_response {
            Some(f) => f.clone(),
            None => {
                let source = boa_engine::Source::from_bytes(include_str!("endpoint.js"));
                let f = self.context.eval(source)?;
                let f = f
                    .as_object()
                    .ok_or_else(|| JsNativeError::typ().with_message("endpoint.js must give a function"))?
                    .clone();
                self.endpoint_response = Some(f.clone());
                f
            }
        };
        let pair = make.call(&JsValue::undefined(), &[], &mut self.context)?;
        let pair = pair
            .as_object()
            .ok_or_else(|| JsNativeError::typ().with_message("makeResponse must give a pair"))?
            .clone();
        let response = pair.get(0, &mut self.context)?;
        let state = pair.get(1, &mut self.context)?;
        match (response.as_object(), state.as_object()) {
            (Some(r), Some(s)) => Ok((r.clone(), s.clone())),
            _ => Err(JsNativeError::typ()
                .with_message("makeResponse must give objects")
                .into()),
        }
    }

    /// The next completion of an operation, waiting at most until `deadline`.
    fn next_completion(&mut self, deadline: Instant) -> Result<Completion, EngineError> {
        match (&self.host.link, &self.completions) {
            (Link::Remote(pipe), _) => pipe.borrow_mut().recv_result(deadline),
            (Link::Local { .. }, Some(rx)) => {
                let left = deadline.saturating_duration_since(Instant::now());
                rx.recv_timeout(left).map_err(|e| match e {
                    mpsc::RecvTimeoutError::Timeout => EngineError::TimeLimitExceeded(Duration::ZERO),
                    mpsc::RecvTimeoutError::Disconnected => {
                        EngineError::Internal("completion channel closed".into())
                    }
                })
            }
            (Link::Local { .. }, None) => Err(EngineError::Internal("no completion channel".into())),
        }
    }

    /// Waits until the call's value has settled and nothing it started is outstanding.
    fn drain(
        &mut self,
        first: JsResult<JsValue>,
        job: &Call<'_>,
    ) -> Result<Result<Bson, JsException>, EngineError> {
        let value = match first.and_then(|v| self.run_jobs().map(|()| v)) {
            Ok(v) => v,
            Err(e) => return self.finish_err(e, job),
        };
        let promise = match value.as_object() {
            Some(o) => match JsPromise::from_object(o.clone()) {
                Ok(p) => Some(p),
                // A thenable (a returned cursor, say) settles as `await` would settle it.
                Err(_) => match o.get(boa_engine::js_string!("then"), &mut self.context) {
                    Ok(then) if then.is_callable() => {
                        match JsPromise::resolve(value.clone(), &mut self.context) {
                            Ok(p) => {
                                if let Err(e) = self.run_jobs() {
                                    return self.finish_err(e, job);
                                }
                                Some(p)
                            }
                            Err(e) => return self.finish_err(e, job),
                        }
                    }
                    Ok(_) => None,
                    Err(e) => return self.finish_err(e, job),
                },
            },
            None => None,
        };
        loop {
            if let Some(fatal) = self.host.call.borrow_mut().as_mut().and_then(|c| c.fatal.take()) {
                return Err(fatal);
            }
            let settled = promise
                .as_ref()
                .is_none_or(|p| !matches!(p.state(), PromiseState::Pending));
            let (operations, open_operations, next_timer, open_timers) = self
                .host
                .call
                .borrow()
                .as_ref()
                .map_or((false, false, None, false), |c| {
                    (
                        !c.pending.is_empty(),
                        c.pending.len() > c.weak.len(),
                        c.timers.next_due(),
                        c.timers.keeps_open(),
                    )
                });
            if settled && !open_operations && !open_timers {
                if let Some(call) = self.host.call.borrow_mut().as_mut() {
                    call.timers.drop_unreferenced();
                }
                break;
            }
            if !operations && next_timer.is_none() {
                // A runaway the loop budget stopped inside a promise job ends here too: Boa
                // drops the error of an async function it resumes, leaving its promise pending
                // (the budget only runs out past the deadline).
                if Instant::now() >= job.deadline {
                    return Err(EngineError::TimeLimitExceeded(job.limit));
                }
                // Pending on something no host operation or timer will ever settle.
                return Ok(Err(JsException {
                    name: "Error".into(),
                    message:
                        "the function's promise never settles: it awaits something that is never resolved"
                            .into(),
                    stack: String::new(),
                    code: None,
                }));
            }
            let now = Instant::now();
            if next_timer.is_some_and(|due| due <= now) {
                self.set_budget(job.deadline);
                let ran = crate::timers::run_due(&mut self.context).and_then(|_| self.run_jobs());
                if let Err(e) = ran {
                    return self.finish_err(e, job);
                }
                continue;
            }
            if now >= job.deadline {
                if settled && !open_operations {
                    self.cut_timers();
                    break;
                }
                return Err(EngineError::TimeLimitExceeded(job.limit));
            }
            let wake = next_timer.map_or(job.deadline, |due| due.min(job.deadline));
            if !operations {
                std::thread::sleep(wake.saturating_duration_since(now));
                continue;
            }
            let completion = match self.next_completion(wake) {
                Ok(c) => c,
                // A timer is due, or the deadline passed: the top of the loop decides.
                Err(EngineError::TimeLimitExceeded(_)) => continue,
                Err(e) => return Err(e),
            };
            if let Err(e) = self.complete(completion, job) {
                return self.finish_err(e, job);
            }
        }
        self.report_unhandled(promise.as_ref());
        let final_value = match promise.map(|p| p.state()) {
            Some(PromiseState::Fulfilled(v)) => v,
            Some(PromiseState::Rejected(e)) => return self.finish_err(JsError::from_opaque(e), job),
            Some(PromiseState::Pending) => unreachable!("checked settled above"),
            None => value,
        };
        match js_to_bson(&final_value, &mut self.context) {
            Ok(b) => Ok(Ok(b)),
            Err(e) => Err(EngineError::InvalidResult(
                crate::describe::exception(e, &mut self.context).message,
            )),
        }
    }

    /// The result has settled but timers are still pending at the deadline: they are cut, and
    /// the call's log says so.
    fn cut_timers(&mut self) {
        let cut = self.host.call.borrow_mut().as_mut().map_or(0, |c| c.timers.cut());
        if cut == 0 {
            return;
        }
        crate::console::push_log(
            &self.host,
            crate::LogLevel::Warn,
            format!("{cut} timer(s) still pending at the function's time limit were cut"),
        );
    }

    fn complete(&mut self, completion: Completion, job: &Call<'_>) -> JsResult<()> {
        let resolvers = {
            let mut call = self.host.call.borrow_mut();
            let Some(call) = call.as_mut().filter(|c| c.seq == completion.seq) else {
                return Ok(()); // a late completion of a call that already ended
            };
            call.weak.remove(&completion.op);
            call.pending.remove(&completion.op)
        };
        let Some(resolvers) = resolvers else { return Ok(()) };
        self.set_budget(job.deadline);
        let ctx = &mut self.context;
        match completion.result {
            Ok(value) => match bson_to_js(&value, ctx) {
                Ok(v) => resolvers.resolve.call(&JsValue::undefined(), &[v], ctx)?,
                Err(e) => {
                    let e = e.into_opaque(ctx)?;
                    resolvers.reject.call(&JsValue::undefined(), &[e], ctx)?
                }
            },
            Err(err) => {
                let e = err.to_js(ctx).into_opaque(ctx)?;
                resolvers.reject.call(&JsValue::undefined(), &[e], ctx)?
            }
        };
        self.run_jobs()
    }

    fn run_jobs(&mut self) -> JsResult<()> {
        self.context.run_jobs()
    }

    fn report_unhandled(&mut self, result: Option<&JsPromise>) {
        let rejected: Vec<JsObject> = std::mem::take(&mut *self.host.rejections.borrow_mut());
        for p in rejected {
            if result.is_some_and(|r| JsObject::from(r.clone()) == p) {
                continue;
            }
            let Ok(promise) = JsPromise::from_object(p) else {
                continue;
            };
            if let PromiseState::Rejected(reason) = promise.state() {
                let ex = crate::describe::exception(JsError::from_opaque(reason), &mut self.context);
                crate::console::push_log(
                    &self.host,
                    crate::LogLevel::Error,
                    format!("Unhandled promise rejection: {ex}"),
                );
            }
        }
    }

    fn finish_err(&mut self, err: JsError, job: &Call<'_>) -> Result<Result<Bson, JsException>, EngineError> {
        if let Some(fatal) = self.host.call.borrow_mut().as_mut().and_then(|c| c.fatal.take()) {
            return Err(fatal);
        }
        if let Some(engine) = err.as_engine() {
            return Err(match engine {
                BoaEngineError::RuntimeLimit(RuntimeLimitError::LoopIteration) => {
                    EngineError::TimeLimitExceeded(job.limit)
                }
                BoaEngineError::RuntimeLimit(limit) => EngineError::StackLimitExceeded(limit.to_string()),
                other => EngineError::Internal(other.to_string()),
            });
        }
        if Instant::now() >= job.deadline {
            return Err(EngineError::TimeLimitExceeded(job.limit));
        }
        Ok(Err(crate::describe::exception(err, &mut self.context)))
    }
}

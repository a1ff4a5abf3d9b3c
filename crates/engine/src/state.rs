//! The state a worker context keeps for native functions to reach: the running call, the
//! compiled deployment, where host operations go. Reached through the context's host data
//! ([`worker_host`]).

use std::{
    cell::RefCell,
    collections::HashMap,
    rc::Rc,
    sync::{Arc, mpsc},
};

use boa_engine::{
    Context, JsError, JsNativeError, JsObject, JsResult, JsValue,
    builtins::promise::ResolvingFunctions,
    object::builtins::{JsFunction, JsPromise},
};
use bson::Document;

use crate::{
    api::{Deployment, LogLine, RequestInfo, User},
    error::EngineError,
    host::{CallInfo, Completion, HostOp, HostService, ServiceJs},
    jobs::JobQueue,
    process::pipe::Pipe,
};

/// One compiled function of a deployment.
pub(crate) struct CompiledFunction {
    pub factory: Result<JsFunction, String>,
    pub run_as_system: bool,
    pub uses_module: bool,
}

/// A deployment compiled into one worker's context.
pub(crate) struct Compiled {
    pub deployment: Option<Arc<Deployment>>,
    pub functions: HashMap<String, CompiledFunction>,
    pub shared: SharedParts,
}

/// The two frozen `context` objects of one deployment on one worker.
pub struct SharedParts {
    pub as_user: JsObject,
    pub as_system: JsObject,
}

impl SharedParts {
    /// The `context` object for a call with the given privilege.
    pub fn context(&self, system: bool) -> &JsObject {
        if system { &self.as_system } else { &self.as_user }
    }
}

/// How a worker's operations reach their services.
pub(crate) enum Link {
    /// In this process: futures on `runtime`, completions on a channel.
    Local {
        services: Vec<Arc<dyn HostService>>,
        runtime: tokio::runtime::Handle,
        completions: mpsc::Sender<Completion>,
        /// The running call's host-side record.
        call: RefCell<Option<Arc<CallInfo>>>,
    },
    /// In the parent process, over the worker's pipe.
    Remote(RefCell<Pipe>),
}

/// A part of a call the worker decodes only if the call reads it (`context.user`,
/// `context.request`): most calls never do, and decoding them cost more than the call.
pub(crate) enum Lazy<T> {
    /// Decoded (or handed over as a value, on a worker thread).
    Ready(Rc<T>),
    /// As the engine encoded it ([`crate::process::wire`]).
    Encoded(Rc<[u8]>),
}

impl<T> Clone for Lazy<T> {
    fn clone(&self) -> Self {
        match self {
            Lazy::Ready(v) => Lazy::Ready(v.clone()),
            Lazy::Encoded(b) => Lazy::Encoded(b.clone()),
        }
    }
}

impl<T: serde::de::DeserializeOwned> Lazy<T> {
    /// The value, decoded now if it was not yet.
    pub fn value(&self) -> Result<Rc<T>, EngineError> {
        match self {
            Lazy::Ready(v) => Ok(v.clone()),
            Lazy::Encoded(bytes) => postcard::from_bytes(bytes)
                .map(Rc::new)
                .map_err(|e| EngineError::Internal(format!("a call arrived malformed: {e}"))),
        }
    }
}

/// The state of the call a worker is running.
pub(crate) struct CallState {
    pub seq: u64,
    pub user: Lazy<User>,
    pub deployment: Arc<Deployment>,
    pub logs: Vec<LogLine>,
    pub dropped_logs: usize,
    pub pending: HashMap<u64, ResolvingFunctions>,
    /// Pending operations that do not keep the call open (a socket waiting for data): the
    /// call may end with them outstanding, and they are dropped with it.
    pub weak: std::collections::HashSet<u64>,
    pub next_op: u64,
    pub fatal: Option<EngineError>,
    pub request: Lazy<Option<RequestInfo>>,
    pub user_js: Option<JsValue>,
    /// This call's `process.env`, made on first read.
    pub env_js: Option<JsValue>,
    pub request_js: Option<JsValue>,
    /// This call's module cache (`require`'s evaluated package files by path), made on first
    /// use and dropped with the call, so nothing the call evaluated stays reachable after it.
    pub modules_js: Option<JsValue>,
    /// The timers the call set that have not run yet.
    pub timers: crate::timers::Timers,
}

/// Per-worker state that native functions reach through the context's host data.
pub(crate) struct WorkerHost {
    pub call: RefCell<Option<CallState>>,
    pub compiled: RefCell<Rc<Compiled>>,
    pub services: Vec<ServiceJs>,
    /// Each service's factory, built from its prelude the first time a call asks for it.
    pub factories: RefCell<HashMap<usize, JsObject>>,
    /// The npm package files `require` resolved, read and compiled for the current deployment.
    pub modules: RefCell<crate::node::modules::PackageFiles>,
    pub link: Link,
    pub max_async_ops: usize,
    pub jobs: Rc<JobQueue>,
    pub rejections: RefCell<Vec<JsObject>>,
}

/// The worker state of `context`; every worker context has one.
pub(crate) fn worker_host(context: &Context) -> JsResult<Rc<WorkerHost>> {
    context.get_data::<Rc<WorkerHost>>().cloned().ok_or_else(|| {
        JsNativeError::error()
            .with_message("not running on a writ worker")
            .into()
    })
}

fn no_call() -> JsError {
    JsNativeError::error()
        .with_message("no function call is in progress")
        .into()
}

/// Starts operation `kind` of service number `service` and returns the promise the function
/// awaits. Fails the whole call with `AsyncWorkLimitExceeded` when the call already has the
/// maximum of operations outstanding.
pub(crate) fn start_op(
    context: &mut Context,
    service: usize,
    kind: String,
    spec: Document,
    system: bool,
) -> JsResult<JsValue> {
    start_op_id(context, service, kind, spec, system).map(|(promise, _)| promise)
}

/// Stops waiting for operation `id` of the running call: its promise never settles, it no
/// longer keeps the call open, and its result is ignored if it comes (an aborted `fetch`).
/// The host side runs it until the call ends and then drops it.
pub(crate) fn abandon_op(context: &Context, id: u64) -> JsResult<()> {
    let host = worker_host(context)?;
    if let Some(call) = host.call.borrow_mut().as_mut() {
        call.pending.remove(&id);
        call.weak.remove(&id);
    }
    Ok(())
}

/// Lets operation `id` of the running call stay outstanding without keeping the call open:
/// it settles if it completes while the call waits for other work, and is dropped when the
/// call ends (a socket read waiting for data that may never come).
pub(crate) fn weaken_op(context: &Context, id: u64) -> JsResult<()> {
    let host = worker_host(context)?;
    if let Some(call) = host.call.borrow_mut().as_mut()
        && call.pending.contains_key(&id)
    {
        call.weak.insert(id);
    }
    Ok(())
}

/// [`start_op`], also returning the operation's id (for [`abandon_op`]).
pub(crate) fn start_op_id(
    context: &mut Context,
    service: usize,
    kind: String,
    spec: Document,
    system: bool,
) -> JsResult<(JsValue, u64)> {
    let host = worker_host(context)?;
    let name = host
        .services
        .get(service)
        .map(|s| s.name.clone())
        .ok_or_else(|| JsNativeError::error().with_message("internal: unknown service"))?;
    let (seq, id) = {
        let mut call = host.call.borrow_mut();
        let call = call.as_mut().ok_or_else(no_call)?;
        if call.pending.len() >= host.max_async_ops {
            let err = EngineError::AsyncWorkLimitExceeded(host.max_async_ops);
            let message = err.to_string();
            call.fatal.get_or_insert(err);
            return Err(JsNativeError::error().with_message(message).into());
        }
        let id = call.next_op;
        call.next_op += 1;
        (call.seq, id)
    };
    let op = HostOp {
        service: name,
        kind,
        spec,
        system,
    };
    // A remote operation is queued before the call waits for it: one that cannot be sent (a
    // key with a NUL byte has no BSON form; one over the message limit) fails here, and no
    // answer that will never come is awaited.
    let local = match &host.link {
        Link::Remote(pipe) => {
            let kind = op.kind.clone();
            pipe.borrow_mut().send_op(seq, id, op).map_err(|e| {
                JsNativeError::error().with_message(format!("{kind}: the operation cannot be encoded: {e}"))
            })?;
            None
        }
        Link::Local { .. } => Some(op),
    };
    let (promise, resolvers) = JsPromise::new_pending(context);
    if let Some(call) = host.call.borrow_mut().as_mut() {
        call.pending.insert(id, resolvers);
    }
    if let (
        Some(op),
        Link::Local {
            services,
            runtime,
            completions,
            call,
        },
    ) = (local, &host.link)
    {
        let info = call.borrow().clone().ok_or_else(no_call)?;
        let future = services[service].start(&info, op);
        let tx = completions.clone();
        runtime.spawn(async move {
            let result = future.await;
            let _ = tx.send(Completion { seq, op: id, result });
        });
    }
    Ok((promise.into(), id))
}

//! The seam between the engine and the services it hosts (the MongoDB bridge first).
//!
//! A [`HostService`] builds the object `context.services.get(name)` returns. Its methods turn
//! their arguments into a plain `Send` description and start the work with [`spawn_op`], which
//! runs the future on the shared async runtime and hands the function a promise. The worker
//! settles the promise when the future completes, counts outstanding operations against the
//! call's limit and waits for all of them before the call ends.

use std::{
    cell::RefCell,
    collections::HashMap,
    future::Future,
    rc::Rc,
    sync::{Arc, mpsc},
};

use boa_engine::{
    Context, JsError, JsNativeError, JsObject, JsResult, JsString, JsValue,
    builtins::promise::ResolvingFunctions, object::builtins::JsPromise,
};
use bson::Bson;

use crate::{
    api::{Deployment, LogLine, User},
    error::EngineError,
    jobs::JobQueue,
    worker::Compiled,
};

/// A service reachable as `context.services.get(name)`.
pub trait HostService: Send + Sync + 'static {
    /// The name functions pass to `context.services.get`.
    fn name(&self) -> &str;

    /// Builds the service object for one `services.get` call. Runs on a worker thread, inside a
    /// call; `scope` says whether that call runs with system privileges.
    fn instantiate(&self, scope: CallScope, context: &mut Context) -> JsResult<JsValue>;
}

/// What a service may know about the call it serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CallScope {
    /// True when the function runs as system (by configuration, by the caller or by the user).
    pub system: bool,
}

/// A failed host operation, as the function sees it: an `Error` with `name`, `code`, `codeName`.
#[derive(Debug, Clone, PartialEq)]
pub struct HostError {
    /// The JS error's `name`, e.g. `MongoServerError`.
    pub name: String,
    /// The JS error's `message`.
    pub message: String,
    /// A numeric code (MongoDB's server error code), if any.
    pub code: Option<i32>,
    /// The code's name (`DuplicateKey`), if any.
    pub code_name: Option<String>,
}

impl HostError {
    /// An `Error` with only a message.
    pub fn new(message: impl Into<String>) -> Self {
        Self {
            name: "Error".into(),
            message: message.into(),
            code: None,
            code_name: None,
        }
    }

    /// Builds the JS error object for this failure. The one place host failures become JS errors.
    pub fn to_js(&self, context: &mut Context) -> JsError {
        let obj: JsObject = JsNativeError::error()
            .with_message(self.message.clone())
            .into_opaque(context);
        let _ = obj.set(
            JsString::from("name"),
            JsString::from(self.name.as_str()),
            false,
            context,
        );
        if let Some(code) = self.code {
            let _ = obj.set(JsString::from("code"), code, false, context);
        }
        if let Some(code_name) = &self.code_name {
            let _ = obj.set(
                JsString::from("codeName"),
                JsString::from(code_name.as_str()),
                false,
                context,
            );
        }
        JsError::from_opaque(obj.into())
    }
}

/// A finished host operation on its way back to the worker that started it.
pub(crate) struct Completion {
    pub seq: u64,
    pub op: u64,
    pub result: Result<Bson, HostError>,
}

/// The state of the call a worker is running.
pub(crate) struct CallState {
    pub seq: u64,
    pub user: Rc<User>,
    pub deployment: Arc<Deployment>,
    pub logs: Vec<LogLine>,
    pub dropped_logs: usize,
    pub pending: HashMap<u64, ResolvingFunctions>,
    pub next_op: u64,
    pub fatal: Option<EngineError>,
    pub request: Option<Rc<crate::api::RequestInfo>>,
    pub user_js: Option<JsValue>,
    pub request_js: Option<JsValue>,
    /// What services must undo when the call ends, whatever way it ends (see [`at_call_end`]).
    pub cleanups: Vec<CallCleanup>,
}

/// Work a service registered to run when the current call ends.
pub type CallCleanup = std::pin::Pin<Box<dyn Future<Output = ()> + Send>>;

/// How long the worker waits for a call's cleanups before it takes the next call.
pub(crate) const CLEANUP_LIMIT: std::time::Duration = std::time::Duration::from_secs(5);

/// Per-worker state that native functions reach through the context's host data.
pub(crate) struct WorkerHost {
    pub call: RefCell<Option<CallState>>,
    pub compiled: RefCell<Rc<Compiled>>,
    pub services: Vec<Arc<dyn HostService>>,
    pub completions: mpsc::Sender<Completion>,
    pub runtime: tokio::runtime::Handle,
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

/// The user the current call runs for, as services see it when applying rules.
pub fn current_user(context: &Context) -> JsResult<User> {
    let host = worker_host(context)?;
    let call = host.call.borrow();
    call.as_ref().map(|c| (*c.user).clone()).ok_or_else(no_call)
}

/// Runs `f` with the current call's user and deployment, without copying either.
pub fn with_call<R>(context: &Context, f: impl FnOnce(&User, &Deployment) -> R) -> JsResult<R> {
    let host = worker_host(context)?;
    let call = host.call.borrow();
    let call = call.as_ref().ok_or_else(no_call)?;
    Ok(f(&call.user, &call.deployment))
}

/// Identifies the current call among the calls this worker context runs (a service keeps
/// per-call state keyed by it).
pub fn call_id(context: &Context) -> JsResult<u64> {
    let host = worker_host(context)?;
    let call = host.call.borrow();
    call.as_ref().map(|c| c.seq).ok_or_else(no_call)
}

/// Registers `cleanup` to run when the current call ends: after its answer is settled, before
/// the worker takes another call, also when the call failed or timed out. Services end what
/// a call opened and left open with it (sessions, transactions), so nothing a call holds
/// outlives it.
pub fn at_call_end<F>(context: &Context, cleanup: F) -> JsResult<()>
where
    F: Future<Output = ()> + Send + 'static,
{
    let host = worker_host(context)?;
    let mut call = host.call.borrow_mut();
    let call = call.as_mut().ok_or_else(no_call)?;
    call.cleanups.push(Box::pin(cleanup));
    Ok(())
}

/// Starts `op` on the async runtime and returns the promise the function awaits.
///
/// Fails the whole call with `AsyncWorkLimitExceeded` when the call already has the maximum of
/// operations outstanding.
pub fn spawn_op<F>(context: &mut Context, op: F) -> JsResult<JsValue>
where
    F: Future<Output = Result<Bson, HostError>> + Send + 'static,
{
    let host = worker_host(context)?;
    let (promise, resolvers) = JsPromise::new_pending(context);
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
        call.pending.insert(id, resolvers);
        (call.seq, id)
    };
    let tx = host.completions.clone();
    host.runtime.spawn(async move {
        let result = op.await;
        let _ = tx.send(Completion { seq, op: id, result });
    });
    Ok(promise.into())
}

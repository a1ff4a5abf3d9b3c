//! The seam between the engine and the services it hosts (the MongoDB bridge first).
//!
//! A service has two halves. Its JavaScript half ([`ServiceJs`]: a prelude and a synchronous
//! check) builds the object `context.services.get(name)` returns, inside a worker; each of its
//! methods ends in a native `call(kind, spec)` that checks the spec and starts a [`HostOp`].
//! Its host half ([`HostService::start`]) runs that operation where the data and the rules are.
//! With worker processes the halves are in different processes and the operation crosses the
//! worker's pipe; with in-process workers it is a future on the same runtime. Either way the
//! worker settles the operation's promise when the result comes back, counts outstanding
//! operations against the call's limit and waits for all of them before the call ends.

use std::{
    any::{Any, TypeId},
    collections::HashMap,
    future::Future,
    pin::Pin,
    sync::{Arc, Mutex},
};

use boa_engine::{Context, JsError, JsNativeError, JsObject, JsString};
use bson::{Bson, Document};
use serde::{Deserialize, Serialize};

use crate::api::{Deployment, User};

/// The reserved service outbound HTTP (`context.http`, `fetch`) runs on; `context.services.get`
/// never returns it.
pub const HTTP_SERVICE: &str = "__writ_http";

/// The JavaScript half of a service: everything a worker needs to build its object.
#[derive(Clone)]
pub struct ServiceJs {
    /// The name functions pass to `context.services.get`.
    pub name: String,
    /// A script evaluating to `(callUser, callSystem) => (system) => serviceObject`; the two
    /// natives start operations with user and with system privilege.
    pub prelude: &'static str,
    /// Checks an operation's spec before it starts, so a malformed call throws at once.
    pub check: fn(kind: &str, spec: &Document) -> Result<(), String>,
}

/// One operation a function started on a service, as plain data.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HostOp {
    /// The service's name.
    pub service: String,
    /// The operation (`findOne`, `updateOne`, ...).
    pub kind: String,
    /// Its arguments, gathered by the prelude.
    #[serde(with = "crate::raw_serde::document")]
    pub spec: Document,
    /// Whether the code that started it runs with system privileges.
    pub system: bool,
}

/// The future a service returns for one operation.
pub type OpFuture = Pin<Box<dyn Future<Output = Result<Bson, HostError>> + Send>>;

/// A service reachable as `context.services.get(name)`: its JavaScript half and the code that
/// runs its operations.
pub trait HostService: Send + Sync + 'static {
    /// The JavaScript half, which workers build the service object from.
    fn js(&self) -> ServiceJs;

    /// Runs one operation of `call`. Runs in the process that owns the data, never in a worker
    /// process; it alone decides what the operation may touch (rules, privileges).
    fn start(&self, call: &CallInfo, op: HostOp) -> OpFuture;
}

/// What the host half of a service knows about the call an operation belongs to.
pub struct CallInfo {
    /// The user the call runs for.
    pub user: Arc<User>,
    /// The deployment the call runs on.
    pub deployment: Arc<Deployment>,
    /// The HTTP request that made the call, if one did (`%%request` in rule expressions).
    pub request: Option<Arc<crate::RequestInfo>>,
    run_as_system: bool,
    deadline: std::time::Instant,
    local: Mutex<CallLocal>,
    ended: tokio::sync::watch::Sender<bool>,
}

#[derive(Default)]
struct CallLocal {
    cleanups: Vec<CallCleanup>,
    state: HashMap<TypeId, Box<dyn Any + Send>>,
}

/// Work a service registered to run when its call ends.
pub type CallCleanup = Pin<Box<dyn Future<Output = ()> + Send>>;

/// How long the engine waits for a call's cleanups before the worker takes another call.
pub(crate) const CLEANUP_LIMIT: std::time::Duration = std::time::Duration::from_secs(5);

impl CallInfo {
    /// The host-side record of a call of `user` on `deployment` that may run for `limit`.
    pub fn new(
        user: User,
        deployment: Arc<Deployment>,
        run_as_system: bool,
        limit: std::time::Duration,
    ) -> Self {
        Self {
            user: Arc::new(user),
            deployment,
            request: None,
            run_as_system,
            deadline: std::time::Instant::now() + limit,
            local: Mutex::new(CallLocal::default()),
            ended: tokio::sync::watch::Sender::new(false),
        }
    }

    /// This record with the HTTP request that made the call.
    pub fn with_request(mut self, request: Option<crate::RequestInfo>) -> Self {
        self.request = request.map(Arc::new);
        self
    }

    /// Whether `op` may run with system privileges. A worker says which privilege its code has;
    /// this holds that claim to what the call and its deployment allow, so a worker cannot
    /// raise a call that has no way to system privilege.
    pub fn runs_as_system(&self, op: &HostOp) -> bool {
        op.system
            && (self.run_as_system
                || self.user.user_type == crate::UserType::System
                || self.deployment.functions.values().any(|f| f.config.run_as_system))
    }

    /// When the call's time is up: the operations it started stop then too.
    pub fn deadline(&self) -> std::time::Instant {
        self.deadline
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, CallLocal> {
        self.local.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Registers `cleanup` to run when the call ends, however it ends, before its worker takes
    /// another call. Services end what a call opened and left open (sessions, transactions).
    pub fn at_end<F: Future<Output = ()> + Send + 'static>(&self, cleanup: F) {
        self.lock().cleanups.push(Box::pin(cleanup));
    }

    /// Runs `f` on this call's value of type `T` (created on first use): state a service keeps
    /// for one call, such as the sessions it opened.
    pub fn with_local<T: Default + Send + 'static, R>(&self, f: impl FnOnce(&mut T) -> R) -> R {
        let mut local = self.lock();
        let entry = local
            .state
            .entry(TypeId::of::<T>())
            .or_insert_with(|| Box::new(T::default()));
        match entry.downcast_mut::<T>() {
            Some(value) => f(value),
            None => unreachable!("call-local state is keyed by its type"),
        }
    }

    /// Resolves once the call has ended (its answer is known). Operations that may wait
    /// without end, such as a socket waiting for data, stop there, so a call's end never
    /// waits for them.
    pub fn ended(&self) -> impl Future<Output = ()> + Send + 'static {
        let mut ended = self.ended.subscribe();
        async move {
            let _ = ended.wait_for(|e| *e).await;
        }
    }

    /// Marks the call as ended: what waits in [`CallInfo::ended`] stops.
    pub fn end(&self) {
        self.ended.send_replace(true);
    }

    /// Marks the call as ended and runs the cleanups registered so far, each for at most
    /// five seconds.
    pub async fn finish(&self) {
        self.end();
        let cleanups = std::mem::take(&mut self.lock().cleanups);
        for cleanup in cleanups {
            let _ = tokio::time::timeout(CLEANUP_LIMIT, cleanup).await;
        }
    }
}

/// A failed host operation, as the function sees it: an `Error` with `name`, `code`, `codeName`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
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

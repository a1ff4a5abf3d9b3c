//! The [`HostService`] that hands functions the MongoDB service object.

use std::{cell::RefCell, collections::HashMap, rc::Rc, sync::Arc};

use engine::{
    boa_engine::{
        Context, JsNativeError, JsResult, JsValue, NativeFunction, Source,
        object::{FunctionObjectBuilder, builtins::JsFunction},
    },
    convert::js_to_document,
    host::{CallScope, HostError, HostService, at_call_end, call_id, spawn_op, with_call},
};

use crate::{Executor, Op, OpFuture, Request, SessionId, rules};

/// A MongoDB data source reachable as `context.services.get(name)`.
pub struct MongoService {
    name: String,
    executor: Arc<dyn Executor>,
}

impl MongoService {
    /// The service `name` (App Services' default is `mongodb-atlas`) running on `executor`.
    pub fn new(name: impl Into<String>, executor: Arc<dyn Executor>) -> Self {
        Self {
            name: name.into(),
            executor,
        }
    }
}

/// Per-context state: the compiled prelude and one native `call` per service.
#[derive(Default)]
struct BridgeData {
    executors: RefCell<Vec<(Arc<dyn Executor>, String)>>,
    factories: RefCell<HashMap<String, JsFunction>>,
    sessions: RefCell<CallSessions>,
}

/// The sessions the current call opened: the id the function chose (per service) mapped to
/// the id the executor knows, which is random and never shown to JavaScript.
#[derive(Default)]
struct CallSessions {
    call: u64,
    ids: HashMap<(usize, SessionId), SessionId>,
}

/// `request` with its session replaced by one the current call owns. A session the call has
/// not used before gets a fresh random id, and is ended (its transaction aborted) when the call
/// ends; so a function can neither reach another call's session nor leave one open.
fn own_session(
    mut request: Request,
    index: usize,
    executor: &Arc<dyn Executor>,
    context: &mut Context,
) -> JsResult<Request> {
    let Some(chosen) = request.session else {
        return Ok(request);
    };
    let call = call_id(context)?;
    let data = bridge_data(context);
    let mut sessions = data.sessions.borrow_mut();
    if sessions.call != call {
        *sessions = CallSessions {
            call,
            ids: HashMap::new(),
        };
    }
    let id = match sessions.ids.get(&(index, chosen)) {
        Some(id) => *id,
        None => {
            let id = SessionId::from_bytes(rand::random());
            sessions.ids.insert((index, chosen), id);
            let executor = executor.clone();
            at_call_end(context, async move {
                let end = Request {
                    op: Op::EndSession,
                    session: Some(id),
                };
                if let Err(e) = executor.execute(end).await {
                    tracing::warn!("ending a session the call left open: {}", e.message);
                }
            })?;
            id
        }
    };
    request.session = Some(id);
    Ok(request)
}

fn bridge_data(context: &mut Context) -> Rc<BridgeData> {
    if let Some(d) = context.get_data::<Rc<BridgeData>>() {
        return d.clone();
    }
    let d = Rc::new(BridgeData::default());
    context.insert_data(d.clone());
    d
}

/// Runs a request made by a user (not the system) under the deployment's rules.
fn execute_as_user(
    executor: &dyn Executor,
    service: &str,
    request: Request,
    context: &Context,
) -> JsResult<Result<OpFuture, HostError>> {
    with_call(context, |user, deployment| {
        rules::execute_as_user(executor, deployment, service, user, request).map_err(|e| HostError {
            name: "Error".into(),
            message: e.message,
            code: None,
            code_name: Some(e.code.into()),
        })
    })
}

fn native_call(index: usize, system: bool, args: &[JsValue], context: &mut Context) -> JsResult<JsValue> {
    let kind = args
        .first()
        .and_then(JsValue::as_string)
        .map(|s| s.to_std_string_escaped())
        .ok_or_else(|| JsNativeError::typ().with_message("internal: operation kind missing"))?;
    let spec = js_to_document(
        &args.get(1).cloned().unwrap_or_default(),
        &format!("collection.{kind}"),
        context,
    )?;
    let request =
        Request::parse(&kind, &spec).map_err(|e| JsNativeError::typ().with_message(e.to_string()))?;
    let data = bridge_data(context);
    let (executor, service) = data
        .executors
        .borrow()
        .get(index)
        .cloned()
        .ok_or_else(|| JsNativeError::error().with_message("internal: executor missing"))?;
    let request = own_session(request, index, &executor, context)?;
    let op = if system {
        executor.execute(request)
    } else {
        match execute_as_user(executor.as_ref(), &service, request, context)? {
            Ok(op) => op,
            // A refusal rejects the operation's promise, as a database error would.
            Err(e) => Box::pin(std::future::ready(Err(e))),
        }
    };
    spawn_op(context, op)
}

impl HostService for MongoService {
    fn name(&self) -> &str {
        &self.name
    }

    fn instantiate(&self, scope: CallScope, context: &mut Context) -> JsResult<JsValue> {
        let data = bridge_data(context);
        let existing = data.factories.borrow().get(&self.name).cloned();
        let factory = match existing {
            Some(f) => f,
            None => {
                let index = {
                    let mut executors = data.executors.borrow_mut();
                    executors.push((self.executor.clone(), self.name.clone()));
                    executors.len() - 1
                };
                let native = |system: bool, context: &mut Context| {
                    FunctionObjectBuilder::new(
                        context.realm(),
                        NativeFunction::from_copy_closure(move |_, args, ctx| {
                            native_call(index, system, args, ctx)
                        }),
                    )
                    .build()
                };
                let call_user = native(false, context);
                let call_system = native(true, context);
                let prelude = context.eval(Source::from_bytes(include_str!("prelude.js")))?;
                let prelude = prelude.as_callable().ok_or_else(|| {
                    JsNativeError::typ().with_message("internal: prelude is not a function")
                })?;
                let factory = prelude.call(
                    &JsValue::undefined(),
                    &[call_user.into(), call_system.into()],
                    context,
                )?;
                let factory = factory
                    .as_object()
                    .and_then(JsFunction::from_object)
                    .ok_or_else(|| {
                        JsNativeError::typ().with_message("internal: prelude returned no factory")
                    })?;
                data.factories
                    .borrow_mut()
                    .insert(self.name.clone(), factory.clone());
                factory
            }
        };
        factory.call(&JsValue::undefined(), &[scope.system.into()], context)
    }
}

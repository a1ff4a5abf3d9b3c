//! The [`HostService`] behind `context.services.get("mongodb-atlas")`: the prelude that builds
//! the database, collection and cursor objects in a worker, and the host half that runs each
//! operation (rules, sessions, the executor) in the process that owns the data.

use std::{collections::HashMap, sync::Arc};

use bson::Document;
use engine::host::{CallInfo, HostError, HostOp, HostService, OpFuture, ServiceJs};

use crate::{Executor, Op, Request, SessionId, rules};

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

    /// The JavaScript half of the service `name`: all a worker process needs of it.
    pub fn js(name: impl Into<String>) -> ServiceJs {
        ServiceJs {
            name: name.into(),
            prelude: include_str!("prelude.js"),
            check,
        }
    }
}

/// The synchronous check a worker runs before an operation starts, so a malformed call throws
/// a `TypeError` naming the method and argument at once.
fn check(kind: &str, spec: &Document) -> Result<(), String> {
    Request::parse(kind, spec).map(|_| ()).map_err(|e| e.to_string())
}

/// The sessions one call opened: the id the function chose mapped to the id the executor
/// knows, which is random and never shown to JavaScript.
#[derive(Default)]
struct CallSessions(HashMap<SessionId, SessionId>);

/// `request` with its session replaced by one the current call owns. A session the call has
/// not used before gets a fresh random id, and is ended (its transaction aborted) when the call
/// ends; so a function can neither reach another call's session nor leave one open.
fn own_session(mut request: Request, executor: &Arc<dyn Executor>, call: &CallInfo) -> Request {
    let Some(chosen) = request.session else {
        return request;
    };
    let (id, fresh) = call.with_local(|sessions: &mut CallSessions| match sessions.0.get(&chosen) {
        Some(id) => (*id, false),
        None => {
            let id = SessionId::from_bytes(rand::random());
            sessions.0.insert(chosen, id);
            (id, true)
        }
    });
    if fresh {
        let executor = executor.clone();
        call.at_end(async move {
            let end = Request {
                op: Op::EndSession,
                session: Some(id),
                deadline: None,
                validation: None,
            };
            if let Err(e) = executor.execute(end).await {
                tracing::warn!("ending a session the call left open: {}", e.message);
            }
        });
    }
    request.session = Some(id);
    request
}

/// How many database operations of one call run at once; the others wait for a turn. A
/// function may start up to 1,000 at once, and each may hold a result of up to
/// [`MAX_RESULT_BYTES`](crate::MAX_RESULT_BYTES) until its worker reads it: this bounds what
/// one call can make the server hold.
const CALL_OPS_AT_ONCE: usize = 4;

/// The turns of one call's database operations.
#[derive(Default)]
struct CallTurns(Option<Arc<tokio::sync::Semaphore>>);

/// An executor whose operations each wait for one of a call's turns, held until they finish.
struct Turns {
    executor: Arc<dyn Executor>,
    turns: Arc<tokio::sync::Semaphore>,
}

impl Executor for Turns {
    fn execute(&self, request: Request) -> crate::OutcomeFuture {
        // With a turn free the operation starts now, so a call's operations start in the
        // order it issued them, as they did before there were turns.
        if let Ok(turn) = self.turns.clone().try_acquire_owned() {
            let running = self.executor.execute(request);
            return Box::pin(async move {
                let _turn = turn;
                running.await
            });
        }
        let executor = self.executor.clone();
        let turns = self.turns.clone();
        Box::pin(async move {
            let _turn = turns
                .acquire_owned()
                .await
                .map_err(|_| HostError::new("the call has ended"))?;
            executor.execute(request).await
        })
    }

    fn index_field(&self, ns: &crate::Ns, field: &str) -> Result<(), HostError> {
        self.executor.index_field(ns, field)
    }
}

fn refused(e: rules::RuleError) -> HostError {
    HostError {
        name: "Error".into(),
        message: e.message,
        code: None,
        code_name: Some(e.code.into()),
    }
}

impl HostService for MongoService {
    fn js(&self) -> ServiceJs {
        Self::js(self.name.clone())
    }

    fn start(&self, call: &CallInfo, op: HostOp) -> OpFuture {
        let request = match Request::parse(&op.kind, &op.spec) {
            Ok(r) => r,
            Err(e) => {
                let mut error = HostError::new(e.to_string());
                error.name = "TypeError".into();
                return Box::pin(std::future::ready(Err(error)));
            }
        };
        let mut request = own_session(request, &self.executor, call);
        request.deadline = Some(call.deadline());
        // Operations in a session run one after another on its transaction anyway, and must
        // never wait for a turn the call's other operations hold.
        let executor: Arc<dyn Executor> = if request.session.is_some() {
            self.executor.clone()
        } else {
            Arc::new(Turns {
                executor: self.executor.clone(),
                turns: call.with_local(|t: &mut CallTurns| {
                    t.0.get_or_insert_with(|| Arc::new(tokio::sync::Semaphore::new(CALL_OPS_AT_ONCE)))
                        .clone()
                }),
            })
        };
        if call.runs_as_system(&op) {
            // No rules, but never writ's or MongoDB's own data.
            let running = rules::execute_as_system(executor.as_ref(), request);
            return Box::pin(async move { running.map_err(refused)?.await.map(crate::Outcome::into_bson) });
        }
        let caller = rules::Caller::new(&call.user, call.request.as_deref());
        let calls = rules::rule_calls(&call.deployment, &self.name, &request.op);
        if calls.is_empty() {
            // A refusal rejects the operation's promise, as a database error would.
            let running =
                rules::execute_as_user(executor.as_ref(), &call.deployment, &self.name, caller, request);
            return Box::pin(async move { running.map_err(refused)?.await.map(crate::Outcome::into_bson) });
        }
        // The rules call functions: their values first.
        let (deployment, user, info) = (call.deployment.clone(), call.user.clone(), call.request.clone());
        let service = self.name.clone();
        Box::pin(async move {
            let caller = rules::Caller::new(&user, info.as_deref());
            let refs: Vec<&bson::Bson> = calls.iter().collect();
            let values = rules::run_calls(&refs, &deployment, caller, request.deadline).await;
            let caller = caller.with_functions(values.as_ref());
            let running = rules::execute_as_user(executor.as_ref(), &deployment, &service, caller, request);
            running.map_err(refused)?.await.map(crate::Outcome::into_bson)
        })
    }
}

//! Log forwarding (`log_forwarders/*.json`): each function call, service call, login,
//! endpoint, GraphQL request and trigger run becomes a log document in App Services' format
//! (`type` `FUNCTION`, `co_id`, `started`, `completed`, `status`, `error`, `messages`, ...),
//! sent to every forwarder that lists its type and status: inserted into a collection (as the
//! system, never into writ's own databases) or passed to an app function as an array of logs.
//! A batching forwarder sends up to 100 logs at once, at the latest a second after the first
//! of them (App Services: at least once a minute). Forwarding never delays the operation that
//! logged: each forwarder has a queue of its own, and a log that finds it full is dropped and
//! counted. Nothing runs when the app has no forwarder.

use std::{
    sync::{
        Arc, Mutex, Weak,
        atomic::{AtomicU64, Ordering},
    },
    time::Duration,
};

use bson::{Bson, Document, doc, oid::ObjectId};
use loader::{ForwardTo, LogForwarder, LogForwarders};
use tokio::sync::mpsc;

use super::State;

/// The most logs one batch holds, as App Services had it.
const MAX_BATCH: usize = 100;
/// How long a batch waits for more logs after its first.
const BATCH_WAIT: Duration = Duration::from_secs(1);
/// Logs one forwarder may have waiting; past it new ones are dropped.
const QUEUE: usize = 1_000;
/// The console lines a log keeps (the last ones), and the bytes of each, as App Services kept.
const MESSAGES: usize = 25;
const MESSAGE_BYTES: usize = 512;
/// Arguments larger than this are not copied into a log.
const MAX_ARGUMENT_BYTES: usize = 16 * 1024;

/// The running forwarders of the current deployment.
#[derive(Default)]
pub struct Forwarders {
    sinks: Mutex<Vec<Sink>>,
    /// Logs dropped because a forwarder's queue was full.
    dropped: AtomicU64,
}

struct Sink {
    forwarder: Arc<LogForwarder>,
    queue: mpsc::Sender<Document>,
}

impl Forwarders {
    /// Replaces the forwarders with the deployment's. The old ones send what they hold, then
    /// end (their queues close).
    pub fn restart(state: &Arc<State>) {
        let deployment = state.deployment();
        let mut sinks = Vec::new();
        for f in deployment
            .extensions
            .get::<LogForwarders>()
            .map(|f| f.0.as_slice())
            .unwrap_or_default()
        {
            let forwarder = Arc::new(f.clone());
            let (queue, rx) = mpsc::channel(QUEUE);
            tokio::spawn(run(Arc::downgrade(state), forwarder.clone(), rx));
            sinks.push(Sink { forwarder, queue });
        }
        *state.forwarders.sinks.lock().unwrap_or_else(|e| e.into_inner()) = sinks;
    }

    /// Whether a forwarder lists logs of `kind` (a forwarder lists at least one status): what a
    /// caller checks before keeping anything for a log.
    pub fn wants(&self, kind: &str) -> bool {
        let sinks = self.sinks.lock().unwrap_or_else(|e| e.into_inner());
        sinks.iter().any(|s| s.forwarder.types.contains(kind))
    }

    /// Sends the log `build` makes to every forwarder of `kind` logs (`function`, `auth`, ...)
    /// with the operation's status; `build` runs only when one wants it.
    pub fn emit(&self, kind: &str, ok: bool, build: impl FnOnce() -> Document) {
        // The queues are taken out first: the log is built without holding the lock.
        let wanting: Vec<(Arc<LogForwarder>, mpsc::Sender<Document>)> = {
            let sinks = self.sinks.lock().unwrap_or_else(|e| e.into_inner());
            sinks
                .iter()
                .filter(|s| s.forwarder.wants(kind, ok))
                .map(|s| (s.forwarder.clone(), s.queue.clone()))
                .collect()
        };
        if wanting.is_empty() {
            return;
        }
        let log = build();
        for (forwarder, queue) in wanting {
            if queue.try_send(log.clone()).is_err() {
                let n = self.dropped.fetch_add(1, Ordering::Relaxed) + 1;
                if n.is_power_of_two() {
                    tracing::warn!(forwarder = %forwarder.name, dropped = n, "log forwarding falls behind: logs dropped");
                }
            }
        }
    }
}

/// A log of `ty` (`FUNCTION`, `AUTH`, ...) for an operation that began at `started` and
/// ends now, with App Services' common fields.
pub fn log(state: &State, ty: &str, started: bson::DateTime) -> Document {
    let app = &state.deployment().app;
    let mut d = doc! {
        "_id": ObjectId::new(),
        "co_id": ObjectId::new().to_hex(),
        "type": ty,
        "app_id": if app.id.is_empty() { &state.app_id } else { &app.id },
        "started": started,
        "completed": bson::DateTime::now(),
    };
    if !app.project_id.is_empty() {
        d.insert("group_id", &app.project_id);
    }
    d
}

/// Adds the outcome of a client's request: `user_id`, `remote_ip_address`, the HTTP `status`
/// and, when it failed, `error` and `error_code`.
pub fn client(d: &mut Document, user: &str, address: &str, failure: Option<&super::ApiError>) {
    d.insert("user_id", user);
    d.insert("remote_ip_address", address);
    match failure {
        None => {
            d.insert("status", 200);
        }
        Some(e) => {
            d.insert("status", i32::from(e.status.as_u16()));
            d.insert("error", &e.message);
            d.insert("error_code", e.code);
        }
    }
}

/// Adds `function_name`, `function_call` (its arguments unless large) and `messages`.
pub fn function(d: &mut Document, name: &str, args: &[Bson], messages: &[String]) {
    let size: usize = args.iter().map(store::budget::value_size).sum();
    let arguments = if size <= MAX_ARGUMENT_BYTES {
        Bson::Array(args.to_vec())
    } else {
        Bson::Null
    };
    d.insert("function_name", name);
    d.insert("function_call", doc! {"name": name, "arguments": arguments});
    d.insert("messages", messages_of(messages));
}

/// Forwards the log of trigger `name` (`ty`: `DB_TRIGGER`, `AUTH_TRIGGER`,
/// `SCHEDULED_TRIGGER`), whose `function` ran from `started` and failed with `failure` if any.
pub fn trigger(
    state: &State,
    ty: &str,
    name: &str,
    function: &str,
    started: bson::DateTime,
    failure: Option<&str>,
    messages: &[String],
) {
    state.forwarders.emit("trigger", failure.is_none(), || {
        let mut d = log(state, ty, started);
        d.insert("event_subscription_name", name);
        d.insert("function_name", function);
        d.insert("messages", messages_of(messages));
        if let Some(e) = failure {
            d.insert("error", e);
        }
        d
    });
}

/// The last console lines, each cut to what App Services kept.
pub fn messages_of(lines: &[String]) -> Bson {
    let start = lines.len().saturating_sub(MESSAGES);
    Bson::Array(
        lines[start..]
            .iter()
            .map(|l| Bson::String(l[..l.floor_char_boundary(MESSAGE_BYTES)].to_string()))
            .collect(),
    )
}

async fn run(state: Weak<State>, forwarder: Arc<LogForwarder>, mut queue: mpsc::Receiver<Document>) {
    while let Some(first) = queue.recv().await {
        let mut batch = vec![first];
        if forwarder.batch {
            let until = tokio::time::Instant::now() + BATCH_WAIT;
            while batch.len() < MAX_BATCH {
                match tokio::time::timeout_at(until, queue.recv()).await {
                    Ok(Some(log)) => batch.push(log),
                    Ok(None) | Err(_) => break,
                }
            }
        }
        let Some(state) = state.upgrade() else {
            return;
        };
        if let Err(e) = send(&state, &forwarder, batch).await {
            tracing::warn!(forwarder = %forwarder.name, "log forwarding failed: {e}");
        }
    }
}

async fn send(state: &State, forwarder: &LogForwarder, logs: Vec<Document>) -> Result<(), String> {
    match &forwarder.action {
        ForwardTo::Collection {
            data_source,
            database,
            collection,
        } => {
            if *data_source != state.service || bridge::rules::reserved(database, collection).is_some() {
                return Err(format!(
                    "'{data_source}' / '{database}' is not a collection of the app's data"
                ));
            }
            let spec = doc! {"database": database, "collection": collection, "documents": logs};
            let request = bridge::Request::parse("insertMany", &spec).map_err(|e| e.to_string())?;
            state.data.execute(request).await.map(drop).map_err(|e| e.message)
        }
        ForwardTo::Function { name } => {
            let logs = Bson::Array(logs.into_iter().map(Bson::Document).collect());
            let invocation = engine::Invocation::new(name, vec![logs], engine::User::system());
            let outcome = state
                .engine
                .call_on(state.deployment(), invocation)
                .await
                .map_err(|e| e.to_string())?;
            super::functions::log_lines(name, "system (log forwarder)", &outcome.logs);
            outcome.result.map(drop).map_err(|e| e.to_string())
        }
    }
}

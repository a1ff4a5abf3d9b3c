//! Database and scheduled triggers: each enabled trigger of the deployment is a task that runs
//! its function as system, under the same limits as any call.
//!
//! - A **database trigger** reads the data source's change feed (`bridge::feed`) from its
//!   stored resume point, keeps the events its config selects (namespace, `operation_types`,
//!   `match`, `project`, images), and runs its function with each. The resume point is stored
//!   (in writ's own database, collection `triggers`) after the function has finished, so every
//!   event is delivered **at least once**, also across a crash: an event whose function had not
//!   finished runs again after a restart. An ordered trigger runs one event at a time in commit
//!   order; when its function fails it is suspended at that event (the reason is stored and
//!   logged; `writ trigger resume NAME` clears it), so no later event is lost or reordered. An
//!   unordered trigger runs the events available at once concurrently, and a failure is logged.
//! - A **scheduled trigger** runs its function at each time of its CRON schedule (UTC); runs
//!   missed while writ was down run once at start, unless `skip_catchup_events`.
//!
//! On MongoDB several writ processes may serve one app: a trigger runs in the one process that
//! holds its lease (collection `trigger_leases`, renewed every 10 s, taken over 30 s after its
//! holder stopped renewing). The embedded store has one process, so it needs none.

use std::{
    sync::{Arc, Mutex},
    time::Duration,
};

use bridge::feed::Start;
use bson::{Bson, DateTime as BsonDate, Document, doc};
use chrono::{DateTime, Utc};
use engine::{Invocation, User};
use loader::{ChangeTriggers, DatabaseTrigger, ScheduledTrigger};
use tokio::sync::Notify;

use super::State;

/// Where triggers read the time: the system clock, or a clock tests move by hand.
pub trait Clock: Send + Sync + 'static {
    /// The current time.
    fn now(&self) -> DateTime<Utc>;
    /// Waits until the clock reads `when` or later.
    fn sleep_until(&self, when: DateTime<Utc>) -> futures_util::future::BoxFuture<'static, ()>;
}

/// The system clock.
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }

    fn sleep_until(&self, when: DateTime<Utc>) -> futures_util::future::BoxFuture<'static, ()> {
        let wait = (when - Utc::now()).to_std().unwrap_or_default();
        Box::pin(tokio::time::sleep(wait))
    }
}

/// A clock that moves only when told to (tests).
pub struct ManualClock {
    now: Arc<Mutex<DateTime<Utc>>>,
    moved: Arc<Notify>,
}

impl ManualClock {
    /// A clock reading `now`.
    pub fn new(now: DateTime<Utc>) -> Self {
        Self {
            now: Arc::new(Mutex::new(now)),
            moved: Arc::new(Notify::new()),
        }
    }

    /// Moves the clock forward by `by`, waking what waits for a time now reached.
    pub fn advance(&self, by: Duration) {
        let mut now = self.now.lock().unwrap_or_else(|e| e.into_inner());
        *now += chrono::Duration::from_std(by).unwrap_or_default();
        drop(now);
        self.moved.notify_waiters();
    }
}

impl Clock for ManualClock {
    fn now(&self) -> DateTime<Utc> {
        *self.now.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn sleep_until(&self, when: DateTime<Utc>) -> futures_util::future::BoxFuture<'static, ()> {
        let (now, moved) = (self.now.clone(), self.moved.clone());
        Box::pin(async move {
            loop {
                let wake = moved.notified();
                tokio::pin!(wake);
                wake.as_mut().enable();
                if *now.lock().unwrap_or_else(|e| e.into_inner()) >= when {
                    return;
                }
                wake.await;
            }
        })
    }
}

/// The running trigger tasks of the current deployment.
pub struct Runner {
    clock: Arc<dyn Clock>,
    /// Whether leases decide which process runs a trigger (MongoDB).
    leases: bool,
    /// This process's lease owner id.
    owner: String,
    tasks: Mutex<Vec<tokio::task::AbortHandle>>,
}

/// How long a lease lasts without renewal.
const LEASE: Duration = Duration::from_secs(30);

impl Runner {
    /// A runner reading `clock`; `leases` on for data sources several processes share.
    pub fn new(clock: Arc<dyn Clock>, leases: bool) -> Self {
        Self {
            clock,
            leases,
            owner: bson::oid::ObjectId::new().to_hex(),
            tasks: Mutex::new(Vec::new()),
        }
    }

    /// Stops every trigger task and starts those of the current deployment.
    pub fn restart(state: &Arc<State>) {
        let runner = &state.triggers;
        let mut tasks = runner.tasks.lock().unwrap_or_else(|e| e.into_inner());
        for t in tasks.drain(..) {
            t.abort();
        }
        let deployment = state.deployment();
        let Some(triggers) = deployment.extensions.get::<ChangeTriggers>() else {
            return;
        };
        for t in triggers.database.iter().filter(|t| !t.disabled) {
            let (state, t) = (state.clone(), t.clone());
            tasks.push(tokio::spawn(async move { database(state, t).await }).abort_handle());
        }
        for t in triggers.scheduled.iter().filter(|t| !t.disabled) {
            let (state, t) = (state.clone(), t.clone());
            tasks.push(tokio::spawn(async move { scheduled(state, t).await }).abort_handle());
        }
    }
}

impl Drop for Runner {
    fn drop(&mut self) {
        for t in self.tasks.lock().unwrap_or_else(|e| e.into_inner()).drain(..) {
            t.abort();
        }
    }
}

/// A trigger's stored state.
async fn load(state: &State, name: &str) -> Document {
    match state
        .users
        .find_one::<Document>("triggers", doc! {"_id": name})
        .await
    {
        Ok(Some(d)) => d,
        Ok(None) => Document::new(),
        Err(e) => {
            tracing::warn!(trigger = name, error = %e.message, "cannot read the trigger's state");
            Document::new()
        }
    }
}

async fn save(state: &State, name: &str, fields: Document) -> bool {
    let update = doc! {"$set": fields};
    match state
        .users
        .update("triggers", doc! {"_id": name}, update, true)
        .await
    {
        Ok(_) => true,
        Err(e) => {
            tracing::error!(trigger = name, error = %e.message, "cannot store the trigger's state");
            false
        }
    }
}

/// Waits until this process holds `name`'s lease (at once without leases).
async fn acquire(state: &State, name: &str) {
    let runner = &state.triggers;
    if !runner.leases {
        return;
    }
    loop {
        if renew(state, name).await {
            return;
        }
        tokio::time::sleep(Duration::from_secs(5)).await;
    }
}

/// Takes or extends `name`'s lease; false if another live process holds it.
async fn renew(state: &State, name: &str) -> bool {
    let runner = &state.triggers;
    let now = BsonDate::now();
    let expires = BsonDate::from_millis(now.timestamp_millis() + LEASE.as_millis() as i64);
    let filter = doc! {"_id": name, "$or": [{"owner": &runner.owner}, {"expires": {"$lt": now}}]};
    let update = doc! {"$set": {"owner": &runner.owner, "expires": expires}};
    state
        .users
        .update("trigger_leases", filter, update, true)
        .await
        .is_ok()
}

/// The event as trigger `t` delivers it, or `None` when `t` does not take it.
pub fn deliver(t: &DatabaseTrigger, mut event: Document) -> Option<Document> {
    let ns = event.get_document("ns").ok()?;
    let (db, coll) = (ns.get_str("db").ok()?, ns.get_str("coll").ok()?);
    if t.database.as_deref().is_some_and(|d| d != db) || t.collection.as_deref().is_some_and(|c| c != coll) {
        return None;
    }
    let op = event.get_str("operationType").ok()?.to_string();
    if !t.operation_types.contains(&op) {
        return None;
    }
    if op == "update" && !t.full_document {
        event.remove("fullDocument");
    }
    if !t.full_document_before_change {
        event.remove("fullDocumentBeforeChange");
    }
    if !t.filter.is_empty() {
        let filter = store::Filter::parse(&t.filter).ok()?;
        if !filter.matches(&event) {
            return None;
        }
    }
    if !t.project.is_empty()
        && let Ok(Some(projection)) = store::Projection::parse(&t.project)
    {
        event = projection.apply(&event);
    }
    Some(event)
}

/// Runs trigger `name`'s function as system with `args`; the failure, if any. `ty` is its
/// forwarded log's type (`DB_TRIGGER`, `SCHEDULED_TRIGGER`).
async fn run(state: &State, ty: &str, name: &str, function: &str, args: Vec<Bson>) -> Option<String> {
    let at = bson::DateTime::now();
    let call = Invocation::new(function, args, User::system());
    let mut messages = Vec::new();
    let failure = match state.engine.call(call).await {
        Ok(outcome) => {
            super::functions::log_lines(function, &format!("system (trigger {name})"), &outcome.logs);
            messages.extend(outcome.logs.into_iter().map(|l| l.message));
            outcome.result.err().map(|ex| ex.to_string())
        }
        Err(e) => Some(e.to_string()),
    };
    super::forward::trigger(state, ty, name, function, at, failure.as_deref(), &messages);
    match &failure {
        None => tracing::debug!(trigger = name, "trigger ran"),
        Some(error) => tracing::warn!(trigger = name, %error, "trigger function failed"),
    }
    failure
}

/// What a database trigger's task does next.
enum Flow {
    /// Read the stored state and subscribe again (after a suspension or a lost feed).
    Again,
    /// Subscribe again in [`REOPEN`]: the feed could not be opened (e.g. MongoDB without change
    /// streams, or unreachable). Nothing is stored: the trigger is not suspended.
    Later,
    /// Stop: another process holds the lease.
    Stop,
}

/// How long a trigger whose feed could not be opened waits before it tries again.
const REOPEN: Duration = Duration::from_secs(30);

/// Errors that say the resume point is gone, as opposed to a feed that cannot be opened now:
/// `ChangeStreamHistoryLost`, `ChangeStreamFatalError`.
fn lost_resume_point(code: Option<i32>) -> bool {
    matches!(code, Some(286 | 280))
}

async fn database(state: Arc<State>, t: DatabaseTrigger) {
    if t.service != state.service {
        tracing::error!(trigger = %t.name, "the trigger's data source '{}' is not this server's", t.service);
        return;
    }
    loop {
        match database_run(&state, &t).await {
            Flow::Again => tokio::time::sleep(Duration::from_millis(500)).await,
            Flow::Later => tokio::time::sleep(REOPEN).await,
            Flow::Stop => return,
        }
    }
}

async fn database_run(state: &Arc<State>, t: &DatabaseTrigger) -> Flow {
    acquire(state, &t.name).await;
    let mut stored = load(state, &t.name).await;
    if let Ok(reason) = stored.get_str("suspended") {
        tracing::error!(trigger = %t.name, reason, "the trigger is suspended: `writ trigger resume {}` restarts it", t.name);
        // Resumed from another process (MongoDB): start again.
        while stored.get_str("suspended").is_ok() {
            tokio::time::sleep(Duration::from_secs(5)).await;
            stored = load(state, &t.name).await;
        }
        tracing::info!(trigger = %t.name, "trigger resumed");
    }
    let start = match stored.get_document("resume") {
        Ok(token) if !t.skip_catchup_events => Start::After(token.clone()),
        _ => match state.data.position().await {
            // Stored at once, so events committed from here on are delivered after a crash.
            Ok(Some(token)) => {
                save(state, &t.name, doc! {"resume": token.clone()}).await;
                Start::After(token)
            }
            _ => Start::Now,
        },
    };
    let mut changes = match state.data.subscribe(start) {
        Ok(c) => c,
        Err(e) => {
            suspend(
                state,
                &t.name,
                &format!("cannot read the change feed: {}", e.message),
            )
            .await;
            return Flow::Again;
        }
    };
    let mut renewal = tokio::time::interval(Duration::from_secs(10));
    let mut progress = Progress::default();
    // Whether the feed delivered anything: an error before that means it could not be opened.
    let mut opened = false;
    loop {
        if progress.token.is_some() && changes.is_empty() {
            progress.flush(state, &t.name).await;
        }
        let first = tokio::select! {
            item = changes.recv() => item,
            _ = renewal.tick(), if state.triggers.leases => {
                if !renew(state, &t.name).await {
                    tracing::warn!(trigger = %t.name, "lost the trigger's lease to another process");
                    return Flow::Stop;
                }
                continue;
            }
        };
        let Some(first) = first else {
            progress.flush(state, &t.name).await;
            return Flow::Again;
        };
        let mut batch = vec![first];
        if t.unordered {
            while batch.len() < 32 {
                match changes.try_recv() {
                    Ok(item) => batch.push(item),
                    Err(_) => break,
                }
            }
        }
        let mut events = Vec::with_capacity(batch.len());
        let mut broken = None;
        for item in batch {
            match item {
                Ok(event) => {
                    opened = true;
                    events.push(event);
                }
                Err(e) => {
                    broken = Some(e);
                    break;
                }
            }
        }
        if t.unordered {
            let last_token = events.last().and_then(|e| e.get_document("_id").ok().cloned());
            let mut running = tokio::task::JoinSet::new();
            for event in events.into_iter().filter_map(|e| deliver(t, e)) {
                let (state, name, function) = (state.clone(), t.name.clone(), t.function.clone());
                running.spawn(async move {
                    run(
                        &state,
                        "DB_TRIGGER",
                        &name,
                        &function,
                        vec![Bson::Document(event)],
                    )
                    .await
                });
            }
            while running.join_next().await.is_some() {}
            if let Some(token) = last_token {
                progress.done(token);
            }
        } else {
            for event in events {
                let token = event.get_document("_id").ok().cloned();
                if let Some(delivered) = deliver(t, event)
                    && let Some(error) = run(
                        state,
                        "DB_TRIGGER",
                        &t.name,
                        &t.function,
                        vec![Bson::Document(delivered)],
                    )
                    .await
                {
                    // Resumes at this event: what ran before it is done.
                    progress.flush(state, &t.name).await;
                    suspend(state, &t.name, &format!("its function failed: {error}")).await;
                    return Flow::Again;
                }
                if let Some(token) = token {
                    progress.done(token);
                }
            }
        }
        if progress.due() {
            progress.flush(state, &t.name).await;
        }
        if let Some(e) = broken {
            progress.flush(state, &t.name).await;
            if !opened && !lost_resume_point(e.code) {
                tracing::error!(
                    trigger = %t.name,
                    error = %e.message,
                    "cannot open the change feed (on MongoDB, database triggers need a replica set); trying again in {} s",
                    REOPEN.as_secs()
                );
                return Flow::Later;
            }
            if lost_resume_point(e.code) && t.tolerate_resume_errors {
                tracing::warn!(trigger = %t.name, "the resume point was lost; starting from now (tolerate_resume_errors)");
                let mut fields = doc! {};
                if let Ok(Some(token)) = state.data.position().await {
                    fields.insert("resume", token);
                }
                save(state, &t.name, fields).await;
                return Flow::Again;
            }
            suspend(state, &t.name, &format!("the change feed failed: {}", e.message)).await;
            return Flow::Again;
        }
    }
}

/// The last event a database trigger is done with, not yet stored. Storing is a durable write,
/// so it happens when the feed has nothing more waiting, every 256 events or every second,
/// and before a suspension; a crash in between runs those events again (at least once).
struct Progress {
    token: Option<Document>,
    count: usize,
    since: std::time::Instant,
}

impl Default for Progress {
    fn default() -> Self {
        Self {
            token: None,
            count: 0,
            since: std::time::Instant::now(),
        }
    }
}

impl Progress {
    fn done(&mut self, token: Document) {
        self.token = Some(token);
        self.count += 1;
    }

    fn due(&self) -> bool {
        self.token.is_some() && (self.count >= 256 || self.since.elapsed() >= Duration::from_secs(1))
    }

    async fn flush(&mut self, state: &State, name: &str) {
        if let Some(token) = self.token.take() {
            save(state, name, doc! {"resume": token}).await;
        }
        self.count = 0;
        self.since = std::time::Instant::now();
    }
}

async fn suspend(state: &State, name: &str, reason: &str) {
    tracing::error!(
        trigger = name,
        reason,
        "trigger suspended: `writ trigger resume {name}` restarts it"
    );
    save(state, name, doc! {"suspended": reason}).await;
}

async fn scheduled(state: Arc<State>, t: ScheduledTrigger) {
    acquire(&state, &t.name).await;
    let clock = state.triggers.clock.clone();
    let stored = load(&state, &t.name).await;
    let mut last: DateTime<Utc> = match stored.get_datetime("last_run") {
        Ok(d) => DateTime::from_timestamp_millis(d.timestamp_millis()).unwrap_or_else(|| clock.now()),
        Err(_) => {
            let now = clock.now();
            save(
                &state,
                &t.name,
                doc! {"last_run": BsonDate::from_millis(now.timestamp_millis())},
            )
            .await;
            now
        }
    };
    loop {
        let now = clock.now();
        let Some(next) = t.next_after(last) else {
            tracing::error!(trigger = %t.name, "the schedule has no next time");
            return;
        };
        if next > now {
            clock.sleep_until(next).await;
            if state.triggers.leases && !renew(&state, &t.name).await {
                return;
            }
            continue;
        }
        // Due, or missed while writ was down: one run stands for every missed time.
        let due = t.last_at_or_before(now).unwrap_or(next);
        let missed = now - next > chrono::Duration::seconds(60);
        if !(missed && t.skip_catchup_events) {
            run(&state, "SCHEDULED_TRIGGER", &t.name, &t.function, Vec::new()).await;
        }
        last = due;
        save(
            &state,
            &t.name,
            doc! {"last_run": BsonDate::from_millis(due.timestamp_millis())},
        )
        .await;
    }
}

/// Clears trigger `name`'s suspension in app `app_id`'s data on `data`; false if it was not
/// suspended. A running server starts it again within a few seconds.
pub async fn resume(data: Arc<dyn bridge::Executor>, app_id: &str, name: &str) -> anyhow::Result<bool> {
    let users = super::users::Users::new(data, app_id);
    let filter = doc! {"_id": name, "suspended": {"$exists": true}};
    let found = users
        .find_one::<Document>("triggers", filter.clone())
        .await
        .map_err(|e| anyhow::anyhow!("{}", e.message))?;
    if found.is_none() {
        return Ok(false);
    }
    users
        .update("triggers", filter, doc! {"$unset": {"suspended": ""}}, false)
        .await
        .map_err(|e| anyhow::anyhow!("{}", e.message))?;
    Ok(true)
}

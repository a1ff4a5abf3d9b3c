//! [`StoreExecutor`]: operations run by writ's embedded store (`crates/store`).
//!
//! The store is synchronous and commits with fsync. Writes outside a session run on its writer
//! thread, which answers the waiting task directly once their commit group is durable; small
//! plain reads (by `_id`, by an indexed field, of a small collection) run inline within a
//! bound on the work they do; other reads, and those past the bound, run on the blocking
//! thread pool, never on the async runtime's threads. A session's transaction holds the
//! store's write transaction on a thread of its own from `startTransaction` to commit or abort;
//! its operations run there and see its writes. What the store does not implement yet fails
//! with its "not supported by the embedded store; use MongoDB" error.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
};

use bson::{Bson, Document};
use engine::host::HostError;
use store::{Change, Data, FindOptions, Modify, Ns, Store, StoreError};

use crate::{
    BulkTotals, Executor, Op, Outcome, OutcomeFuture, Request, SessionId, Update, WriteModel, keep_going,
};

/// Runs operations on the embedded store.
#[derive(Clone)]
pub struct StoreExecutor {
    store: Arc<Store>,
    transactions: Arc<Mutex<HashMap<SessionId, std::sync::mpsc::Sender<TxnMsg>>>>,
    /// Woken after every commit, for change feed subscribers.
    committed: Arc<tokio::sync::Notify>,
}

impl std::fmt::Debug for StoreExecutor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StoreExecutor").finish_non_exhaustive()
    }
}

impl StoreExecutor {
    /// Wraps an open store.
    pub fn new(store: Arc<Store>) -> Self {
        let committed = Arc::new(tokio::sync::Notify::new());
        let wake = committed.clone();
        store.on_commit(move || wake.notify_waiters());
        Self {
            store,
            transactions: Arc::default(),
            committed,
        }
    }
}

fn ns(n: &Ns) -> Result<Ns, StoreError> {
    Ns::new(&n.db, &n.coll)
}

fn change(update: Update, array_filters: Option<Vec<Document>>) -> Result<Change, StoreError> {
    match update {
        Update::Document(d) => Ok(Change::Operators(d, array_filters.unwrap_or_default())),
        Update::Pipeline(_) if array_filters.is_some() => Err(StoreError::BadValue(
            "arrayFilters may not be specified for pipeline-style updates".into(),
        )),
        Update::Pipeline(stages) => Ok(Change::Pipeline(stages)),
    }
}

/// The collection or database names `db` (or, `None`, the database names) lists; only a
/// plain store call (`store`) can list, not a transaction.
fn names(store: Option<&Store>, db: Option<&str>) -> Result<Vec<String>, StoreError> {
    match (store, db) {
        (None, _) => Err(bad_in_txn("listing collections or databases")),
        (Some(s), Some(db)) => {
            store::check_db_name(db)?;
            s.list_collections(db)
        }
        (Some(s), None) => s.list_databases(),
    }
}

fn bad_in_txn(what: &str) -> StoreError {
    StoreError::BadValue(format!("{what} is not allowed in a transaction"))
}

/// Runs `op` on `target`: the store itself (`store` is then the same store, for listings) or a
/// transaction.
fn run(target: &impl Data, op: Op, store: Option<&Store>) -> Result<Outcome, StoreError> {
    Ok(match op {
        Op::Find {
            ns: n,
            filter,
            projection,
            sort,
            skip,
            limit,
        } => {
            // At most MAX_RESULT_DOCUMENTS, as App Services returned.
            let cap = crate::MAX_RESULT_DOCUMENTS as i64;
            let limit = match limit.unwrap_or(0).unsigned_abs() {
                0 => cap,
                n => (n as i64).min(cap),
            };
            let options = FindOptions {
                sort,
                skip: skip.unwrap_or(0),
                limit,
                projection,
            };
            Outcome::Documents(target.find(&ns(&n)?, &filter, &options)?)
        }
        Op::FindOne {
            ns: n,
            filter,
            projection,
            sort,
        } => {
            let options = FindOptions {
                sort,
                skip: 0,
                limit: 1,
                projection,
            };
            Outcome::Document(target.find(&ns(&n)?, &filter, &options)?.into_iter().next())
        }
        Op::InsertOne { ns: n, document } => {
            let (ids, err) = target.insert(&ns(&n)?, vec![document], true);
            if let Some(e) = err {
                return Err(e);
            }
            Outcome::Inserted(ids.into_iter().next().unwrap_or(Bson::Null))
        }
        Op::InsertMany {
            ns: n,
            documents,
            ordered,
        } => {
            let (ids, err) = target.insert(&ns(&n)?, documents, ordered);
            if let Some(e) = err {
                return Err(e);
            }
            Outcome::InsertedMany(ids)
        }
        Op::Update {
            ns: n,
            filter,
            update,
            upsert,
            array_filters,
            many,
        } => Outcome::Updated(target.update(
            &ns(&n)?,
            &filter,
            &change(update, array_filters)?,
            upsert,
            many,
        )?),
        Op::Delete { ns: n, filter, many } => Outcome::Deleted(target.delete(&ns(&n)?, &filter, many)?),
        Op::FindOneAndUpdate {
            ns: n,
            filter,
            update,
            upsert,
            sort,
            projection,
            return_new,
            array_filters,
        } => {
            let modify = Modify::Change {
                change: change(update, array_filters)?,
                upsert,
                return_new,
            };
            Outcome::Document(target.find_and_modify(
                &ns(&n)?,
                &filter,
                sort.as_ref(),
                projection.as_ref(),
                &modify,
            )?)
        }
        Op::FindOneAndReplace {
            ns: n,
            filter,
            replacement,
            upsert,
            sort,
            projection,
            return_new,
        } => {
            let modify = Modify::Change {
                change: Change::Replace(replacement),
                upsert,
                return_new,
            };
            Outcome::Document(target.find_and_modify(
                &ns(&n)?,
                &filter,
                sort.as_ref(),
                projection.as_ref(),
                &modify,
            )?)
        }
        Op::FindOneAndDelete {
            ns: n,
            filter,
            sort,
            projection,
        } => Outcome::Document(target.find_and_modify(
            &ns(&n)?,
            &filter,
            sort.as_ref(),
            projection.as_ref(),
            &Modify::Delete,
        )?),
        Op::Aggregate { ns: n, pipeline } => {
            let mut docs = target.aggregate(&ns(&n)?, &pipeline)?;
            docs.truncate(crate::MAX_RESULT_DOCUMENTS);
            Outcome::Documents(docs)
        }
        Op::Count {
            ns: n,
            filter,
            skip,
            limit,
        } => Outcome::Count(target.count(&ns(&n)?, &filter, skip.unwrap_or(0), limit.unwrap_or(0))?),
        Op::EstimatedCount { ns: n } => Outcome::Count(target.count(&ns(&n)?, &Document::new(), 0, 0)?),
        Op::Distinct { ns: n, field, filter } => {
            Outcome::Values(target.distinct(&ns(&n)?, &field, &filter)?)
        }
        Op::BulkWrite {
            ns: n,
            models,
            ordered,
        } => {
            let n = ns(&n)?;
            let mut totals = BulkTotals::default();
            let mut first_error = None;
            for (index, model) in models.into_iter().enumerate() {
                let r = match model {
                    WriteModel::InsertOne(d) => match target.insert(&n, vec![d], true) {
                        (_, Some(e)) => Err(e),
                        _ => {
                            totals.inserted += 1;
                            Ok(())
                        }
                    },
                    WriteModel::Update {
                        filter,
                        update,
                        upsert,
                        array_filters,
                        many,
                    } => change(update, array_filters)
                        .and_then(|c| target.update(&n, &filter, &c, upsert, many))
                        .map(|o| totals.add_update(index, o.matched, o.modified, o.upserted_id)),
                    WriteModel::ReplaceOne {
                        filter,
                        replacement,
                        upsert,
                    } => target
                        .update(&n, &filter, &Change::Replace(replacement), upsert, false)
                        .map(|o| totals.add_update(index, o.matched, o.modified, o.upserted_id)),
                    WriteModel::Delete { filter, many } => {
                        target.delete(&n, &filter, many).map(|d| totals.deleted += d)
                    }
                };
                keep_going(&mut first_error, r, ordered)?;
            }
            if let Some(e) = first_error {
                return Err(e);
            }
            Outcome::Bulk(totals)
        }
        Op::ListCollections { db } => {
            let mut names = names(store, Some(&db))?;
            names.sort();
            Outcome::Names(names)
        }
        Op::ListDatabases => {
            let mut names = names(store, None)?;
            names.sort();
            Outcome::Names(names)
        }
        Op::StartTransaction | Op::CommitTransaction | Op::AbortTransaction | Op::EndSession => {
            return Err(StoreError::BadValue("session commands need a session".into()));
        }
    })
}

/// The one place store failures become what a function catches, with MongoDB's codes.
pub fn host_error(e: StoreError) -> HostError {
    if let StoreError::DocumentValidation(message) = e {
        return crate::schema::schema_error(message);
    }
    HostError {
        name: "MongoServerError".into(),
        message: e.to_string(),
        code: Some(e.code()),
        code_name: Some(e.code_name().to_string()),
    }
}

/// Runs `f` as the store work of a request with `deadline` and `validation`: the store stops it
/// at the deadline and asks the validation about every document it writes, on this thread and
/// on the writer thread its writes go to.
fn within_request<T>(
    deadline: Option<std::time::Instant>,
    validation: Option<&crate::schema::Validation>,
    f: impl FnOnce() -> T,
) -> T {
    let check = validation.map(crate::schema::Validation::store_check);
    store::validation::within(check, || store::budget::within(deadline, f))
}

/// How long a transaction may wait for its next operation before it is aborted.
const TRANSACTION_IDLE_LIMIT: std::time::Duration = std::time::Duration::from_secs(60);

/// A message to the thread that holds a session's open transaction.
enum TxnMsg {
    Run(
        Box<Op>,
        Option<std::time::Instant>,
        Option<store::validation::Check>,
        std::sync::mpsc::SyncSender<Result<Outcome, StoreError>>,
    ),
    Commit(std::sync::mpsc::SyncSender<Result<Outcome, StoreError>>),
    Abort(std::sync::mpsc::SyncSender<Result<Outcome, StoreError>>),
}

fn no_transaction() -> StoreError {
    StoreError::BadValue("no transaction is in progress in this session (NoSuchTransaction)".into())
}

/// The thread of one transaction: redb's write transaction lives here from start to end, so
/// the transaction's operations, from any async task, run in it one after another.
fn transaction_thread(
    store: Arc<Store>,
    rx: std::sync::mpsc::Receiver<TxnMsg>,
    started: std::sync::mpsc::SyncSender<Result<Outcome, StoreError>>,
) {
    let mut txn = match store.begin() {
        Ok(t) => {
            let _ = started.send(Ok(Outcome::Done));
            Some(t)
        }
        Err(e) => {
            let _ = started.send(Err(e));
            return;
        }
    };
    // MongoDB aborts transactions older than transactionLifetimeLimitSeconds (60 s by default);
    // here an idle minute ends it, so a function that never commits cannot block other writers.
    while let Ok(msg) = rx.recv_timeout(TRANSACTION_IDLE_LIMIT) {
        match msg {
            TxnMsg::Run(op, deadline, check, reply) => {
                let result = match &txn {
                    Some(t) => store::validation::within(check, || {
                        store::budget::within(deadline, || run(&t.writes(), *op, None))
                    }),
                    None => Err(StoreError::BadValue(
                        "the transaction was aborted by an earlier error (NoSuchTransaction)".into(),
                    )),
                };
                if result.is_err() {
                    // As in MongoDB, an error aborts the transaction.
                    if let Some(t) = txn.take() {
                        let _ = t.abort();
                    }
                }
                let _ = reply.send(result);
            }
            TxnMsg::Commit(reply) => {
                let r = match txn.take() {
                    Some(t) => t.commit().map(|()| Outcome::Done),
                    None => Err(StoreError::BadValue(
                        "the transaction was aborted by an earlier error (NoSuchTransaction)".into(),
                    )),
                };
                let _ = reply.send(r);
                return;
            }
            TxnMsg::Abort(reply) => {
                if let Some(t) = txn.take() {
                    let _ = t.abort();
                }
                let _ = reply.send(Ok(Outcome::Done));
                return;
            }
        }
    }
}

/// Sends a message to a transaction's thread and waits for its answer.
fn ask(
    tx: &std::sync::mpsc::Sender<TxnMsg>,
    message: impl FnOnce(std::sync::mpsc::SyncSender<Result<Outcome, StoreError>>) -> TxnMsg,
) -> Result<Outcome, StoreError> {
    let (reply, answer) = std::sync::mpsc::sync_channel(1);
    tx.send(message(reply)).map_err(|_| no_transaction())?;
    answer.recv().map_err(|_| no_transaction())?
}

impl StoreExecutor {
    /// Runs `request` in a transaction of its own, committed only if all of it succeeds.
    fn bulk_alone(&self, request: Request) -> Result<Outcome, StoreError> {
        within_request(request.deadline, request.validation.as_ref(), || {
            let txn = self.store.begin()?;
            match run(&txn.writes(), request.op, None) {
                Ok(outcome) => txn.commit().map(|()| outcome),
                Err(e) => {
                    txn.abort()?;
                    Err(e)
                }
            }
        })
    }

    fn execute_blocking(&self, request: Request) -> Result<Outcome, StoreError> {
        let validation = request.validation.clone();
        within_request(request.deadline, validation.as_ref(), || {
            self.execute_within(request)
        })
    }

    fn execute_within(
        &self,
        Request {
            op,
            session,
            deadline,
            // Set on this thread by `execute_blocking`, from where the store takes it.
            validation: _,
        }: Request,
    ) -> Result<Outcome, StoreError> {
        let Some(id) = session else {
            return run(self.store.as_ref(), op, Some(&self.store));
        };
        let active = self
            .transactions
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(&id)
            .cloned();
        match op {
            Op::StartTransaction => {
                if active.is_some() {
                    return Err(StoreError::BadValue(
                        "a transaction is already in progress in this session".into(),
                    ));
                }
                let (tx, rx) = std::sync::mpsc::channel();
                let (started, ok) = std::sync::mpsc::sync_channel(1);
                let store = self.store.clone();
                std::thread::Builder::new()
                    .name("writ-store-txn".into())
                    .spawn(move || transaction_thread(store, rx, started))
                    .map_err(|e| StoreError::Storage(e.to_string()))?;
                ok.recv().map_err(|_| no_transaction())??;
                self.transactions
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .insert(id, tx);
                Ok(Outcome::Done)
            }
            Op::CommitTransaction | Op::AbortTransaction => {
                let tx = self
                    .transactions
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .remove(&id)
                    .ok_or_else(no_transaction)?;
                if matches!(op, Op::CommitTransaction) {
                    ask(&tx, TxnMsg::Commit)
                } else {
                    ask(&tx, TxnMsg::Abort)
                }
            }
            Op::EndSession => {
                if let Some(tx) = self
                    .transactions
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .remove(&id)
                {
                    ask(&tx, TxnMsg::Abort)?;
                }
                Ok(Outcome::Done)
            }
            op => match active {
                Some(tx) => ask(&tx, |reply| {
                    TxnMsg::Run(Box::new(op), deadline, store::validation::current(), reply)
                }),
                None => run(self.store.as_ref(), op, Some(&self.store)),
            },
        }
    }
}

/// Whether `op` writes (outside a session, it then runs in the store's commit groups).
fn is_write(op: &Op) -> bool {
    match op {
        Op::InsertOne { .. }
        | Op::InsertMany { .. }
        | Op::Update { .. }
        | Op::Delete { .. }
        | Op::FindOneAndUpdate { .. }
        | Op::FindOneAndReplace { .. }
        | Op::FindOneAndDelete { .. }
        | Op::BulkWrite { .. } => true,
        Op::Find { .. }
        | Op::FindOne { .. }
        | Op::Aggregate { .. }
        | Op::Count { .. }
        | Op::EstimatedCount { .. }
        | Op::Distinct { .. }
        | Op::ListCollections { .. }
        | Op::ListDatabases
        | Op::StartTransaction
        | Op::CommitTransaction
        | Op::AbortTransaction
        | Op::EndSession => false,
    }
}

/// The most units of work ([`store::budget::bounded`]) a read may take on the async runtime's
/// thread: each document or index entry looked at is one, and so is each field condition
/// tested (so about 128 documents against a one-condition filter).
const INLINE_TICKS: u32 = 256;
/// The most bytes of stored documents a read may look at on the async runtime's thread: a
/// document's array elements are not ticks, so this bounds what a crafted filter of
/// [`INLINE_VALUES`] values costs there (measured in release: 0.4-0.7 ms for 16 KiB of
/// array elements against a 14-value `$all`, `$nin`, `$or` or `$nor`; 8 ms at 64 KiB and 30).
const INLINE_BYTES: usize = 16 * 1024;
/// The most values (at any depth) in a filter, projection or sort read on that thread.
const INLINE_VALUES: usize = 16;
/// The query operators a read on that thread may use: each costs little per document.
const INLINE_OPERATORS: [&str; 17] = [
    "$eq",
    "$ne",
    "$gt",
    "$gte",
    "$lt",
    "$lte",
    "$in",
    "$nin",
    "$exists",
    "$and",
    "$or",
    "$nor",
    "$not",
    "$size",
    "$type",
    "$all",
    "$elemMatch",
];

/// Whether `request` is a read small and plain enough to try on the async runtime's thread,
/// within [`INLINE_TICKS`] and [`INLINE_BYTES`] (a point read, a lookup by an indexed field,
/// a small collection): its filter, projection and sort have at most [`INLINE_VALUES`] values,
/// none a long string, a regular expression or code, and no operator outside
/// [`INLINE_OPERATORS`].
fn inline_read(request: &Request) -> bool {
    if request.session.is_some() {
        return false;
    }
    let mut left = INLINE_VALUES;
    let mut plain = |d: Option<&Document>| d.is_none_or(|d| plain_doc(d, &mut left));
    match &request.op {
        Op::FindOne {
            filter,
            projection,
            sort,
            ..
        }
        | Op::Find {
            filter,
            projection,
            sort,
            ..
        } => plain(Some(filter)) && plain(projection.as_ref()) && plain(sort.as_ref()),
        Op::Count { filter, .. } => plain(Some(filter)),
        _ => false,
    }
}

fn plain_doc(d: &Document, left: &mut usize) -> bool {
    d.iter()
        .all(|(k, v)| (!k.starts_with('$') || INLINE_OPERATORS.contains(&k.as_str())) && plain_value(v, left))
}

fn plain_value(v: &Bson, left: &mut usize) -> bool {
    let Some(rest) = left.checked_sub(1) else {
        return false;
    };
    *left = rest;
    match v {
        Bson::Document(d) => plain_doc(d, left),
        Bson::Array(items) => items.iter().all(|v| plain_value(v, left)),
        Bson::String(s) | Bson::Symbol(s) => s.len() <= 1024,
        Bson::Binary(b) => b.bytes.len() <= 1024,
        Bson::RegularExpression(_)
        | Bson::JavaScriptCode(_)
        | Bson::JavaScriptCodeWithScope(_)
        | Bson::DbPointer(_) => false,
        _ => true,
    }
}

/// Fails a read's result past [`crate::MAX_RESULT_BYTES`].
fn within_result_bytes(outcome: Outcome) -> Result<Outcome, HostError> {
    if let Outcome::Documents(docs) = &outcome {
        let mut bytes = crate::ResultBytes::default();
        docs.iter().try_for_each(|d| bytes.add(d))?;
    }
    Ok(outcome)
}

impl Executor for StoreExecutor {
    fn position(&self) -> crate::PositionFuture {
        let position = self
            .store
            .last_change()
            .map(|seq| Some(store::changes::token(seq)))
            .map_err(host_error);
        Box::pin(std::future::ready(position))
    }

    /// The store's change log, read in batches after each commit.
    fn subscribe(&self, start: crate::feed::Start) -> Result<crate::feed::Changes, HostError> {
        let mut after = match start {
            crate::feed::Start::Now => self.store.last_change().map_err(host_error)?,
            crate::feed::Start::After(token) => store::changes::seq_of(&token)
                .ok_or_else(|| HostError::new("invalid resume token: not one of the embedded store's"))?,
        };
        let (tx, rx) = tokio::sync::mpsc::channel(crate::feed::BUFFER);
        let store = self.store.clone();
        let committed = self.committed.clone();
        tokio::spawn(async move {
            loop {
                let wake = committed.notified();
                tokio::pin!(wake);
                wake.as_mut().enable();
                let reader = store.clone();
                let batch = tokio::task::spawn_blocking(move || reader.changes_after(after, 256)).await;
                let batch = match batch {
                    Ok(Ok(b)) => b,
                    Ok(Err(e)) => {
                        let _ = tx.send(Err(host_error(e))).await;
                        return;
                    }
                    Err(_) => {
                        let _ = tx.send(Err(HostError::new("the change log reader failed"))).await;
                        return;
                    }
                };
                if batch.is_empty() {
                    tokio::select! {
                        _ = &mut wake => {}
                        _ = tx.closed() => return,
                    }
                    continue;
                }
                for change in batch {
                    after = change.seq;
                    if tx.send(Ok(change.event)).await.is_err() {
                        return;
                    }
                }
            }
        });
        Ok(rx)
    }

    /// Builds a secondary index on `field` (idempotent): the embedded store has no other way
    /// to get one, and without it every lookup by that field reads the whole collection.
    fn index_field(&self, ns: &Ns, field: &str) -> Result<(), HostError> {
        self.store
            .create_index(ns, field, false)
            .map(drop)
            .map_err(host_error)
    }

    fn execute(&self, request: Request) -> OutcomeFuture {
        let this = self.clone();
        if inline_read(&request) {
            // Most reads (by `_id`, by an indexed field, of a small collection) finish within
            // the bound sooner than a blocking-pool thread wakes; the others start again there.
            let ran = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                store::budget::bounded(INLINE_TICKS, INLINE_BYTES, || {
                    this.execute_blocking(request.clone())
                })
            }));
            match ran {
                Ok(Some(result)) => {
                    let result = result.map_err(host_error).and_then(within_result_bytes);
                    return Box::pin(std::future::ready(result));
                }
                Ok(None) => {}
                Err(_) => {
                    tracing::error!("the embedded store failed on a read");
                    let failed = Err(HostError::new("internal error in the embedded store"));
                    return Box::pin(std::future::ready(failed));
                }
            }
        }
        if request.session.is_none()
            && request.validation.is_some()
            && matches!(request.op, Op::BulkWrite { .. })
        {
            // A user's bulk write under a schema is all or nothing: it runs in a transaction
            // of its own, aborted when one of its documents fails.
            return Box::pin(async move {
                let ran = tokio::task::spawn_blocking(move || this.bulk_alone(request)).await;
                ran.unwrap_or_else(|_| Err(StoreError::Storage("the bulk write failed".into())))
                    .map_err(host_error)
            });
        }
        if request.session.is_none() && is_write(&request.op) {
            // The store's writer runs it in its next commit group and answers this task
            // directly once the group is durable: no blocking-pool thread waits for it.
            let (reply, answer) = tokio::sync::oneshot::channel();
            let op = request.op;
            within_request(request.deadline, request.validation.as_ref(), || {
                self.store.write(
                    move |w| run(&w, op.clone(), None),
                    move |r| {
                        let _ = reply.send(r);
                    },
                )
            });
            return Box::pin(async move {
                match answer.await {
                    Ok(r) => r.map_err(host_error),
                    Err(_) => {
                        tracing::error!("the embedded store failed on a write");
                        Err(HostError::new("internal error in the embedded store"))
                    }
                }
            });
        }
        Box::pin(async move {
            match tokio::task::spawn_blocking(move || this.execute_blocking(request)).await {
                Ok(r) => r.map_err(host_error).and_then(within_result_bytes),
                // A panic is a bug in writ: its text goes to the log, not to the caller.
                Err(e) => {
                    tracing::error!("the embedded store failed on a request: {e}");
                    Err(HostError::new("internal error in the embedded store"))
                }
            }
        })
    }
}

//! [`DriverExecutor`]: operations run by the official MongoDB Rust driver.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use bson::{Bson, Document};
use engine::host::HostError;
use futures_util::TryStreamExt;
use mongodb::{
    Client, ClientSession, Collection,
    error::{Error, ErrorKind, WriteFailure},
    options::{ReturnDocument, UpdateModifications},
};

use crate::{
    BulkTotals, Executor, Op, Outcome, OutcomeFuture, Request, SessionId, Update, UpdateOutcome, WriteModel,
    keep_going,
};

type SharedSession = Arc<tokio::sync::Mutex<ClientSession>>;

/// Sessions unused for this long are ended: no call runs longer than the execution limit.
const SESSION_IDLE: Duration = Duration::from_secs(600);

/// Runs operations on a MongoDB deployment through `mongodb::Client`.
#[derive(Clone)]
pub struct DriverExecutor {
    pub(crate) client: Client,
    sessions: Arc<Mutex<HashMap<SessionId, (SharedSession, Instant)>>>,
    /// Whether change streams ask for pre-images (until the server refuses them).
    pre_images: Arc<std::sync::atomic::AtomicBool>,
}

impl std::fmt::Debug for DriverExecutor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DriverExecutor").finish_non_exhaustive()
    }
}

impl DriverExecutor {
    /// Wraps a connected client.
    pub fn new(client: Client) -> Self {
        Self {
            client,
            sessions: Arc::default(),
            pre_images: Arc::new(true.into()),
        }
    }

    /// The driver session behind `id`, started on first use.
    async fn session(&self, id: SessionId) -> Result<SharedSession, Error> {
        let now = Instant::now();
        {
            let mut sessions = self.sessions.lock().unwrap_or_else(|e| e.into_inner());
            if let Some((s, used)) = sessions.get_mut(&id) {
                *used = now;
                return Ok(s.clone());
            }
            sessions.retain(|_, (_, used)| now.duration_since(*used) < SESSION_IDLE);
        }
        let fresh = Arc::new(tokio::sync::Mutex::new(self.client.start_session().await?));
        let mut sessions = self.sessions.lock().unwrap_or_else(|e| e.into_inner());
        Ok(sessions.entry(id).or_insert((fresh, now)).0.clone())
    }

    /// Connects to `uri` (no round trip is made until the first operation).
    pub async fn connect(uri: &str) -> Result<Self, Error> {
        Ok(Self::new(Client::with_uri_str(uri).await?))
    }

    pub(crate) fn coll(&self, ns: &crate::Ns) -> Collection<Document> {
        self.client.database(&ns.db).collection(&ns.coll)
    }
}

pub(crate) fn modifications(u: Update) -> UpdateModifications {
    match u {
        Update::Document(d) => UpdateModifications::Document(d),
        Update::Pipeline(p) => UpdateModifications::Pipeline(p),
    }
}

fn update_result(r: mongodb::results::UpdateResult) -> Outcome {
    Outcome::Updated(UpdateOutcome {
        matched: r.matched_count,
        modified: r.modified_count,
        upserted_id: r.upserted_id,
    })
}

/// A cursor's documents as App Services returned them: the first
/// [`MAX_RESULT_DOCUMENTS`](crate::MAX_RESULT_DOCUMENTS) (the cursor is closed there), or an
/// error once they pass [`MAX_RESULT_BYTES`](crate::MAX_RESULT_BYTES), so a large result is
/// never gathered whole.
pub(crate) async fn collect(
    cursor: impl futures_util::Stream<Item = Result<Document, Error>>,
) -> Result<Vec<Document>, Error> {
    let mut cursor = std::pin::pin!(cursor);
    let mut docs = Vec::new();
    let mut bytes = crate::ResultBytes::default();
    while docs.len() < crate::MAX_RESULT_DOCUMENTS {
        let Some(d) = cursor.try_next().await? else {
            break;
        };
        bytes.add(&d).map_err(Error::custom)?;
        docs.push(d);
    }
    Ok(docs)
}

/// The one place driver failures become what a function catches: `code` and `codeName` as
/// MongoDB reports them (a duplicate key is code 11000, `DuplicateKey`).
pub fn host_error(e: Error) -> HostError {
    if let Some(e) = e.get_custom::<HostError>() {
        return e.clone();
    }
    let named = |code: i32, name: Option<String>| {
        name.filter(|n| !n.is_empty())
            .or_else(|| (code == 11000).then(|| "DuplicateKey".to_string()))
    };
    let (code, code_name, message) = match e.kind.as_ref() {
        ErrorKind::Command(c) => (
            Some(c.code),
            named(c.code, Some(c.code_name.clone())),
            c.message.clone(),
        ),
        ErrorKind::Write(WriteFailure::WriteError(w)) => (
            Some(w.code),
            named(w.code, w.code_name.clone()),
            w.message.clone(),
        ),
        ErrorKind::Write(WriteFailure::WriteConcernError(w)) => (
            Some(w.code),
            named(w.code, Some(w.code_name.clone())),
            w.message.clone(),
        ),
        ErrorKind::InsertMany(im) => match im.write_errors.as_ref().and_then(|w| w.first()) {
            Some(w) => (
                Some(w.code),
                named(w.code, w.code_name.clone()),
                w.message.clone(),
            ),
            None => (None, None, e.to_string()),
        },
        _ => (None, None, e.to_string()),
    };
    HostError {
        name: if code.is_some() {
            "MongoServerError".into()
        } else {
            "MongoError".into()
        },
        message,
        code,
        code_name,
    }
}

/// Sets an option on a driver action when there is a value for it.
trait Optional: Sized {
    fn optional<T>(self, value: Option<T>, set: impl FnOnce(Self, T) -> Self) -> Self {
        match value {
            Some(v) => set(self, v),
            None => self,
        }
    }
}

impl<A> Optional for A {}

/// Awaits a driver action, inside the request's session when it has one.
macro_rules! exec {
    ($action:expr, $session:expr) => {
        match $session.as_deref_mut() {
            Some(s) => $action.session(s).await,
            None => $action.await,
        }
    };
}

impl DriverExecutor {
    async fn run(
        self,
        Request {
            op,
            session,
            deadline,
            validation,
        }: Request,
    ) -> Result<Outcome, Error> {
        // What is left of the call's time, for MongoDB to stop a read there itself (0 would
        // mean no limit to it).
        let max_time = deadline.map(|d| {
            d.saturating_duration_since(Instant::now())
                .max(Duration::from_millis(1))
        });
        let request_session = session;
        let shared = match session {
            Some(id) => Some(self.session(id).await?),
            None => None,
        };
        let mut guard = match &shared {
            Some(s) => Some(s.lock().await),
            None => None,
        };
        let session = &mut guard;
        if let Some(v) = validation {
            // Set by the rules only on writes that leave documents.
            return self.run_checked(op, session.as_deref_mut(), &v).await;
        }
        Ok(match op {
            Op::Find {
                ns,
                filter,
                projection,
                sort,
                skip,
                limit,
            } => {
                let coll = self.coll(&ns);
                let mut find = coll.find(filter).optional(max_time, |f, t| f.max_time(t));
                if let Some(p) = projection {
                    find = find.projection(p);
                }
                if let Some(s) = sort {
                    find = find.sort(s);
                }
                if let Some(n) = skip {
                    find = find.skip(n);
                }
                if let Some(n) = limit {
                    find = find.limit(n);
                }
                let docs = match session.as_deref_mut() {
                    Some(s) => collect(find.session(&mut *s).await?.stream(s)).await?,
                    None => collect(find.await?).await?,
                };
                Outcome::Documents(docs)
            }
            Op::FindOne {
                ns,
                filter,
                projection,
                sort,
            } => {
                let coll = self.coll(&ns);
                let mut find = coll.find_one(filter).optional(max_time, |f, t| f.max_time(t));
                if let Some(p) = projection {
                    find = find.projection(p);
                }
                if let Some(s) = sort {
                    find = find.sort(s);
                }
                Outcome::Document(exec!(find, session)?)
            }
            Op::InsertOne { ns, document } => {
                let coll = self.coll(&ns);
                let r = exec!(coll.insert_one(document), session)?;
                Outcome::Inserted(r.inserted_id)
            }
            Op::InsertMany {
                ns,
                documents,
                ordered,
            } => {
                let n = documents.len();
                let coll = self.coll(&ns);
                let r = exec!(coll.insert_many(documents).ordered(ordered), session)?;
                let ids: Vec<Bson> = (0..n).filter_map(|i| r.inserted_ids.get(&i).cloned()).collect();
                Outcome::InsertedMany(ids)
            }
            Op::Update {
                ns,
                filter,
                update,
                upsert,
                array_filters,
                many,
            } => {
                let coll = self.coll(&ns);
                let af = array_filters.unwrap_or_default();
                let r = if many {
                    exec!(
                        coll.update_many(filter, modifications(update))
                            .upsert(upsert)
                            .array_filters(af),
                        session
                    )?
                } else {
                    exec!(
                        coll.update_one(filter, modifications(update))
                            .upsert(upsert)
                            .array_filters(af),
                        session
                    )?
                };
                update_result(r)
            }
            Op::Delete { ns, filter, many } => {
                let coll = self.coll(&ns);
                let r = if many {
                    exec!(coll.delete_many(filter), session)?
                } else {
                    exec!(coll.delete_one(filter), session)?
                };
                Outcome::Deleted(r.deleted_count)
            }
            Op::FindOneAndUpdate {
                ns,
                filter,
                update,
                upsert,
                sort,
                projection,
                return_new,
                array_filters,
            } => {
                let coll = self.coll(&ns);
                let mut f = coll
                    .find_one_and_update(filter, modifications(update))
                    .upsert(upsert);
                if let Some(s) = sort {
                    f = f.sort(s);
                }
                if let Some(p) = projection {
                    f = f.projection(p);
                }
                if let Some(af) = array_filters {
                    f = f.array_filters(af);
                }
                let f = f.return_document(if return_new {
                    ReturnDocument::After
                } else {
                    ReturnDocument::Before
                });
                Outcome::Document(exec!(f, session)?)
            }
            Op::FindOneAndReplace {
                ns,
                filter,
                replacement,
                upsert,
                sort,
                projection,
                return_new,
            } => {
                let coll = self.coll(&ns);
                let mut f = coll.find_one_and_replace(filter, replacement).upsert(upsert);
                if let Some(s) = sort {
                    f = f.sort(s);
                }
                if let Some(p) = projection {
                    f = f.projection(p);
                }
                let f = f.return_document(if return_new {
                    ReturnDocument::After
                } else {
                    ReturnDocument::Before
                });
                Outcome::Document(exec!(f, session)?)
            }
            Op::FindOneAndDelete {
                ns,
                filter,
                sort,
                projection,
            } => {
                let coll = self.coll(&ns);
                let mut f = coll.find_one_and_delete(filter);
                if let Some(s) = sort {
                    f = f.sort(s);
                }
                if let Some(p) = projection {
                    f = f.projection(p);
                }
                Outcome::Document(exec!(f, session)?)
            }
            Op::Aggregate { ns, pipeline } => {
                let coll = self.coll(&ns);
                let docs = match session.as_deref_mut() {
                    Some(s) => {
                        let aggregate = coll.aggregate(pipeline).optional(max_time, |a, t| a.max_time(t));
                        collect(aggregate.session(&mut *s).await?.stream(s)).await?
                    }
                    None => {
                        let aggregate = coll.aggregate(pipeline).optional(max_time, |a, t| a.max_time(t));
                        collect(aggregate.await?).await?
                    }
                };
                Outcome::Documents(docs)
            }
            Op::Count {
                ns,
                filter,
                skip,
                limit,
            } => {
                let coll = self.coll(&ns);
                let mut c = coll
                    .count_documents(filter)
                    .optional(max_time, |c, t| c.max_time(t));
                if let Some(n) = skip {
                    c = c.skip(n);
                }
                if let Some(n) = limit {
                    c = c.limit(n);
                }
                Outcome::Count(exec!(c, session)?)
            }
            Op::EstimatedCount { ns } => Outcome::Count(self.coll(&ns).estimated_document_count().await?),
            Op::Distinct { ns, field, filter } => {
                let coll = self.coll(&ns);
                let distinct = coll
                    .distinct(field, filter)
                    .optional(max_time, |d, t| d.max_time(t));
                Outcome::Values(exec!(distinct, session)?)
            }
            Op::BulkWrite { ns, models, ordered } => {
                let coll = self.coll(&ns);
                let mut totals = BulkTotals::default();
                let mut first_error = None;
                for (index, model) in models.into_iter().enumerate() {
                    let r = match model {
                        WriteModel::InsertOne(d) => {
                            exec!(coll.insert_one(d), session).map(|_| totals.inserted += 1)
                        }
                        WriteModel::Update {
                            filter,
                            update,
                            upsert,
                            array_filters,
                            many,
                        } => {
                            let m = modifications(update);
                            let af = array_filters.unwrap_or_default();
                            let r = if many {
                                exec!(
                                    coll.update_many(filter, m).upsert(upsert).array_filters(af),
                                    session
                                )
                            } else {
                                exec!(
                                    coll.update_one(filter, m).upsert(upsert).array_filters(af),
                                    session
                                )
                            };
                            r.map(|r| {
                                totals.add_update(index, r.matched_count, r.modified_count, r.upserted_id)
                            })
                        }
                        WriteModel::ReplaceOne {
                            filter,
                            replacement,
                            upsert,
                        } => exec!(coll.replace_one(filter, replacement).upsert(upsert), session).map(|r| {
                            totals.add_update(index, r.matched_count, r.modified_count, r.upserted_id)
                        }),
                        WriteModel::Delete { filter, many } => {
                            let r = if many {
                                exec!(coll.delete_many(filter), session)
                            } else {
                                exec!(coll.delete_one(filter), session)
                            };
                            r.map(|r| totals.deleted += r.deleted_count)
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
                let mut names = self.client.database(&db).list_collection_names().await?;
                names.sort();
                Outcome::Names(names)
            }
            Op::ListDatabases => {
                let mut names = self.client.list_database_names().await?;
                names.sort();
                Outcome::Names(names)
            }
            Op::StartTransaction => {
                if let Some(s) = session.as_deref_mut() {
                    s.start_transaction().await?;
                }
                Outcome::Done
            }
            Op::CommitTransaction => {
                if let Some(s) = session.as_deref_mut() {
                    s.commit_transaction().await?;
                }
                Outcome::Done
            }
            Op::AbortTransaction => {
                if let Some(s) = session.as_deref_mut() {
                    s.abort_transaction().await?;
                }
                Outcome::Done
            }
            Op::EndSession => {
                // Abort a transaction left open here, before the answer, rather than in the
                // background when the session is dropped: MongoDB holds its writes' locks.
                if let Some(s) = session.as_deref_mut() {
                    let _ = s.abort_transaction().await;
                }
                drop(guard);
                if let Some(id) = request_session {
                    self.sessions
                        .lock()
                        .unwrap_or_else(|e| e.into_inner())
                        .remove(&id);
                }
                Outcome::Done
            }
        })
    }
}

impl Executor for DriverExecutor {
    /// MongoDB's indexes are its operator's to create (as they were with App Services): writ
    /// never changes the schema of a cluster it is pointed at, so this does nothing.
    fn index_field(&self, _ns: &crate::Ns, _field: &str) -> Result<(), HostError> {
        Ok(())
    }

    /// Runs `request`; past its deadline the operation is dropped (its connection closed) and
    /// fails with MongoDB's `MaxTimeMSExpired`, so a call's answer never waits on MongoDB
    /// beyond the call's time (reads also carry the time left as `maxTimeMS`).
    fn execute(&self, request: Request) -> OutcomeFuture {
        let this = self.clone();
        let deadline = request.deadline;
        Box::pin(async move {
            let running = this.run(request);
            match deadline {
                Some(d) => match tokio::time::timeout_at(d.into(), running).await {
                    Ok(r) => r.map_err(host_error),
                    Err(_) => Err(HostError {
                        name: "MongoServerError".into(),
                        message: "operation exceeded time limit".into(),
                        code: Some(50),
                        code_name: Some("MaxTimeMSExpired".into()),
                    }),
                },
                None => running.await.map_err(host_error),
            }
        })
    }

    /// MongoDB's change streams over the whole deployment ([`crate::streams`]).
    fn subscribe(&self, start: crate::feed::Start) -> Result<crate::feed::Changes, HostError> {
        crate::streams::subscribe(self.client.clone(), self.pre_images.clone(), start)
    }

    fn position(&self) -> crate::PositionFuture {
        Box::pin(crate::streams::position(
            self.client.clone(),
            self.pre_images.clone(),
        ))
    }
}

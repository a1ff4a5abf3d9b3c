//! A user's write on a collection with a schema, on MongoDB: every document it leaves is checked
//! ([`Validation`]) before anything of it is committed.
//!
//! Inserts are checked before they are sent. Updates, replacements and upserts run in a
//! transaction (the session's own when it has one in progress, else one started for the
//! write): the documents they will change are read first, changed through a filter that also
//! pins their `_id`s, read back and checked; one that fails aborts the transaction, so the
//! write changes nothing, as App Services rolled back a request whose documents failed their
//! schema. This needs a deployment that has transactions (a replica set, as every Atlas cluster
//! is); a standalone `mongod` answers such writes with MongoDB's own error about it.

use bson::{Bson, Document, doc, oid::ObjectId};
use mongodb::{
    ClientSession, Collection,
    error::{Error, ErrorKind},
    options::ReturnDocument,
};

use crate::{
    BulkTotals, DriverExecutor, Op, Outcome, Update, UpdateOutcome, WriteModel,
    driver::{collect, modifications},
    schema::{Validation, schema_error},
};

/// How long a schema-checked write's transaction runs again after write conflicts.
const RETRY_FOR: std::time::Duration = std::time::Duration::from_secs(5);

/// Which document a findOneAndUpdate/Replace reaches, and what it answers with.
struct FindOne {
    filter: Document,
    sort: Option<Document>,
    upsert: bool,
    return_new: bool,
}

/// What an update or replacement does to each document it reaches.
enum Change {
    Update(Update, Vec<Document>),
    Replace(Document),
}

fn failed(message: String) -> Error {
    Error::custom(schema_error(message))
}

/// `doc` with an `_id` (a new ObjectId first, as the driver would add it) and checked.
fn checked_insert(mut doc: Document, v: &Validation) -> Result<Document, Error> {
    if !doc.contains_key("_id") {
        let mut with_id = doc! { "_id": ObjectId::new() };
        with_id.extend(doc);
        doc = with_id;
    }
    v.check(None, &doc).map_err(failed)?;
    Ok(doc)
}

/// `filter` narrowed to the documents with `ids`, so a write reaches exactly the documents read
/// before it (its positional `$` still sees the original filter).
fn pinned(filter: Document, ids: Vec<Bson>) -> Document {
    doc! { "$and": [filter, { "_id": { "$in": ids } }] }
}

/// `e`, after aborting the transaction `session` has in progress, if any: a write that fails
/// inside a transaction aborts it, as MongoDB's own failures do (and as the embedded store does).
async fn abort_on(session: Option<&mut ClientSession>, e: Error) -> Error {
    if let Some(s) = session {
        // Fails harmlessly when no transaction is in progress.
        let _ = s.abort_transaction().await;
    }
    e
}

/// Whether `e` says the session already has a transaction in progress (the driver keeps that
/// state to itself).
fn in_progress(e: &Error) -> bool {
    matches!(e.kind.as_ref(), ErrorKind::Transaction { message, .. } if message.contains("already in progress"))
}

fn id_of(d: &Document) -> Bson {
    d.get("_id").cloned().unwrap_or(Bson::Null)
}

impl DriverExecutor {
    /// Runs `op`, a write that leaves documents, under `v`; `session` is the request's.
    pub(crate) async fn run_checked(
        &self,
        op: Op,
        session: Option<&mut ClientSession>,
        v: &Validation,
    ) -> Result<Outcome, Error> {
        match op {
            Op::InsertOne { ns, document } => {
                let document = match checked_insert(document, v) {
                    Ok(d) => d,
                    Err(e) => return Err(abort_on(session, e).await),
                };
                let id = id_of(&document);
                let coll = self.coll(&ns);
                let insert = coll.insert_one(document);
                match session {
                    Some(s) => insert.session(s).await?,
                    None => insert.await?,
                };
                Ok(Outcome::Inserted(id))
            }
            Op::InsertMany {
                ns,
                documents,
                ordered,
            } => {
                let checked = documents.into_iter().map(|d| checked_insert(d, v)).collect();
                let documents: Vec<Document> = match checked {
                    Ok(d) => d,
                    Err(e) => return Err(abort_on(session, e).await),
                };
                let ids = documents.iter().map(id_of).collect();
                let coll = self.coll(&ns);
                let insert = coll.insert_many(documents).ordered(ordered);
                match session {
                    Some(s) => insert.session(s).await?,
                    None => insert.await?,
                };
                Ok(Outcome::InsertedMany(ids))
            }
            op => match session {
                Some(s) => match s.start_transaction().await {
                    Ok(()) => self.own_transaction(op, s, v).await,
                    Err(e) if in_progress(&e) => {
                        let r = self.in_transaction(op, s, v).await;
                        if r.is_err() {
                            // As in MongoDB, a failed write aborts the transaction it was in.
                            let _ = s.abort_transaction().await;
                        }
                        r
                    }
                    Err(e) => Err(e),
                },
                None => {
                    let mut s = self.client.start_session().await?;
                    s.start_transaction().await?;
                    self.own_transaction(op, &mut s, v).await
                }
            },
        }
    }

    /// Runs `op` in the transaction just started on `s`, and commits it, or aborts it. A
    /// transaction MongoDB aborted for a conflict with another write
    /// (`TransientTransactionError`) runs again after a short random pause, as
    /// `withTransaction` would, for up to [`RETRY_FOR`].
    async fn own_transaction(&self, op: Op, s: &mut ClientSession, v: &Validation) -> Result<Outcome, Error> {
        let started = std::time::Instant::now();
        let mut attempt = 0u32;
        loop {
            let result = match self.in_transaction(op.clone(), s, v).await {
                Ok(outcome) => s.commit_transaction().await.map(|()| outcome),
                Err(e) => {
                    let _ = s.abort_transaction().await;
                    Err(e)
                }
            };
            match result {
                Err(e) if started.elapsed() < RETRY_FOR && e.contains_label("TransientTransactionError") => {
                    attempt += 1;
                    // Writers that conflicted do not meet again in step.
                    let most = 5u64 << attempt.min(6);
                    let pause = rand::Rng::gen_range(&mut rand::thread_rng(), 1..=most);
                    tokio::time::sleep(std::time::Duration::from_millis(pause)).await;
                    s.start_transaction().await?;
                }
                other => return other,
            }
        }
    }

    async fn in_transaction(&self, op: Op, s: &mut ClientSession, v: &Validation) -> Result<Outcome, Error> {
        Ok(match op {
            Op::Update {
                ns,
                filter,
                update,
                upsert,
                array_filters,
                many,
            } => {
                let change = Change::Update(update, array_filters.unwrap_or_default());
                Outcome::Updated(
                    self.change(&self.coll(&ns), filter, change, upsert, many, s, v)
                        .await?,
                )
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
                let change = Change::Update(update, array_filters.unwrap_or_default());
                let found = FindOne {
                    filter,
                    sort,
                    upsert,
                    return_new,
                };
                Outcome::Document(project(
                    self.find_and_change(&self.coll(&ns), found, change, s, v).await?,
                    projection,
                )?)
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
                let found = FindOne {
                    filter,
                    sort,
                    upsert,
                    return_new,
                };
                let change = Change::Replace(replacement);
                Outcome::Document(project(
                    self.find_and_change(&self.coll(&ns), found, change, s, v).await?,
                    projection,
                )?)
            }
            Op::BulkWrite { ns, models, .. } => {
                // All or nothing: the first failure aborts the transaction, ordered or not.
                let coll = self.coll(&ns);
                let mut totals = BulkTotals::default();
                for (index, model) in models.into_iter().enumerate() {
                    match model {
                        WriteModel::InsertOne(d) => {
                            coll.insert_one(checked_insert(d, v)?).session(&mut *s).await?;
                            totals.inserted += 1;
                        }
                        WriteModel::Update {
                            filter,
                            update,
                            upsert,
                            array_filters,
                            many,
                        } => {
                            let change = Change::Update(update, array_filters.unwrap_or_default());
                            let u = self.change(&coll, filter, change, upsert, many, s, v).await?;
                            totals.add_update(index, u.matched, u.modified, u.upserted_id);
                        }
                        WriteModel::ReplaceOne {
                            filter,
                            replacement,
                            upsert,
                        } => {
                            let change = Change::Replace(replacement);
                            let u = self.change(&coll, filter, change, upsert, false, s, v).await?;
                            totals.add_update(index, u.matched, u.modified, u.upserted_id);
                        }
                        WriteModel::Delete { filter, many } => {
                            let r = if many {
                                coll.delete_many(filter).session(&mut *s).await?
                            } else {
                                coll.delete_one(filter).session(&mut *s).await?
                            };
                            totals.deleted += r.deleted_count;
                        }
                    }
                }
                Outcome::Bulk(totals)
            }
            other => {
                return Err(Error::custom(format!(
                    "{other:?} is not a write that leaves documents"
                )));
            }
        })
    }

    /// An update or replacement of the first (or every) document matching `filter`, each
    /// document it leaves checked.
    #[allow(clippy::too_many_arguments)]
    async fn change(
        &self,
        coll: &Collection<Document>,
        filter: Document,
        change: Change,
        upsert: bool,
        many: bool,
        s: &mut ClientSession,
        v: &Validation,
    ) -> Result<UpdateOutcome, Error> {
        let mut find = coll.find(filter.clone());
        if !many {
            find = find.limit(1);
        }
        let before = collect(find.session(&mut *s).await?.stream(&mut *s)).await?;
        if before.len() >= crate::MAX_RESULT_DOCUMENTS {
            return Err(Error::custom(engine::host::HostError::new(format!(
                "a user's update of {} documents or more at once, on a collection with a schema, is not supported by writ yet: update fewer at a time",
                crate::MAX_RESULT_DOCUMENTS
            ))));
        }
        if before.is_empty() {
            let r = match change {
                Change::Update(u, af) => {
                    coll.update_one(filter, modifications(u))
                        .upsert(upsert)
                        .array_filters(af)
                        .session(&mut *s)
                        .await?
                }
                Change::Replace(r) => {
                    coll.replace_one(filter, r)
                        .upsert(upsert)
                        .session(&mut *s)
                        .await?
                }
            };
            if let Some(id) = &r.upserted_id {
                let after = coll.find_one(doc! { "_id": id.clone() }).session(&mut *s).await?;
                v.check(None, &after.unwrap_or_default()).map_err(failed)?;
            }
            return Ok(UpdateOutcome {
                matched: r.matched_count,
                modified: r.modified_count,
                upserted_id: r.upserted_id,
            });
        }
        let ids: Vec<Bson> = before.iter().map(id_of).collect();
        let r = match change {
            Change::Update(u, af) => {
                coll.update_many(pinned(filter, ids.clone()), modifications(u))
                    .array_filters(af)
                    .session(&mut *s)
                    .await?
            }
            Change::Replace(r) => {
                coll.replace_one(pinned(filter, ids.clone()), r)
                    .session(&mut *s)
                    .await?
            }
        };
        let find = coll.find(doc! { "_id": { "$in": ids } });
        let after = collect(find.session(&mut *s).await?.stream(&mut *s)).await?;
        for old in &before {
            let id = id_of(old);
            if let Some(new) = after.iter().find(|d| store::order::equal(&id_of(d), &id))
                && new != old
            {
                v.check(Some(old), new).map_err(failed)?;
            }
        }
        Ok(UpdateOutcome {
            matched: r.matched_count,
            modified: r.modified_count,
            upserted_id: None,
        })
    }

    /// findOneAndUpdate / findOneAndReplace of the first document `filter` and `sort` give,
    /// the document it leaves checked; the document before or after, as asked.
    async fn find_and_change(
        &self,
        coll: &Collection<Document>,
        FindOne {
            filter,
            sort,
            upsert,
            return_new,
        }: FindOne,
        change: Change,
        s: &mut ClientSession,
        v: &Validation,
    ) -> Result<Option<Document>, Error> {
        let mut find = coll.find_one(filter.clone());
        if let Some(sort) = sort {
            find = find.sort(sort);
        }
        let before = find.session(&mut *s).await?;
        let target = match &before {
            Some(d) => pinned(filter, vec![id_of(d)]),
            None if upsert => filter,
            None => return Ok(None),
        };
        let after = match change {
            Change::Update(u, af) => {
                coll.find_one_and_update(target, modifications(u))
                    .upsert(upsert)
                    .array_filters(af)
                    .return_document(ReturnDocument::After)
                    .session(&mut *s)
                    .await?
            }
            Change::Replace(r) => {
                coll.find_one_and_replace(target, r)
                    .upsert(upsert)
                    .return_document(ReturnDocument::After)
                    .session(&mut *s)
                    .await?
            }
        };
        if let Some(new) = &after
            && before.as_ref() != Some(new)
        {
            v.check(before.as_ref(), new).map_err(failed)?;
        }
        Ok(if return_new { after } else { before })
    }
}

/// `d` through the operation's projection, as MongoDB would have returned it.
fn project(d: Option<Document>, projection: Option<Document>) -> Result<Option<Document>, Error> {
    let Some(spec) = projection else { return Ok(d) };
    let p = store::Projection::parse(&spec).map_err(|e| Error::custom(crate::embedded::host_error(e)))?;
    Ok(match (d, p) {
        (Some(d), Some(p)) => Some(p.apply(&d)),
        (d, _) => d,
    })
}

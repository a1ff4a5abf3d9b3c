//! [`StoreExecutor`]: operations run by writ's embedded store (`crates/store`).
//!
//! The store is synchronous and commits with fsync, so each operation runs on the blocking
//! thread pool, never on the async runtime's threads. What the store does not implement yet
//! fails with its "not supported by the embedded store; use MongoDB" error.

use std::sync::Arc;

use bson::{Bson, Document, doc};
use engine::host::HostError;
use store::{Change, FindOptions, Modify, Ns, Store, StoreError};

use crate::{BulkTotals, Executor, Namespace, Op, OpFuture, Request, Update, WriteModel, count};

/// Runs operations on the embedded store.
#[derive(Clone, Debug)]
pub struct StoreExecutor {
    store: Arc<Store>,
}

impl StoreExecutor {
    /// Wraps an open store.
    pub fn new(store: Arc<Store>) -> Self {
        Self { store }
    }
}

fn ns(n: &Namespace) -> Ns {
    Ns {
        db: n.db.clone(),
        coll: n.coll.clone(),
    }
}

fn unsupported(what: &str) -> StoreError {
    StoreError::Unsupported(what.to_string())
}

fn change(update: Update, array_filters: Option<Vec<Document>>) -> Result<Change, StoreError> {
    match update {
        Update::Document(d) => Ok(Change::Operators(d, array_filters.unwrap_or_default())),
        Update::Pipeline(_) => Err(unsupported("an update with an aggregation pipeline")),
    }
}

fn opt_doc(d: Option<Document>) -> Bson {
    d.map(Bson::Document).unwrap_or(Bson::Null)
}

fn update_result(o: store::UpdateOutcome) -> Bson {
    let mut out = doc! { "matchedCount": count(o.matched), "modifiedCount": count(o.modified) };
    if let Some(id) = o.upserted_id {
        out.insert("upsertedId", id);
    }
    Bson::Document(out)
}

fn run(store: &Store, Request { op, session }: Request) -> Result<Bson, StoreError> {
    if session.is_some() {
        return Err(unsupported("a session (transactions)"));
    }
    Ok(match op {
        Op::Find {
            ns: n,
            filter,
            projection,
            sort,
            skip,
            limit,
        } => {
            let options = FindOptions {
                sort,
                skip: skip.unwrap_or(0),
                limit: limit.unwrap_or(0),
                projection,
            };
            Bson::Array(
                store
                    .find(&ns(&n), &filter, &options)?
                    .into_iter()
                    .map(Bson::Document)
                    .collect(),
            )
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
            opt_doc(store.find(&ns(&n), &filter, &options)?.into_iter().next())
        }
        Op::InsertOne { ns: n, document } => {
            let (ids, err) = store.insert(&ns(&n), vec![document], true);
            if let Some(e) = err {
                return Err(e);
            }
            Bson::Document(doc! { "insertedId": ids.into_iter().next().unwrap_or(Bson::Null) })
        }
        Op::InsertMany {
            ns: n,
            documents,
            ordered,
        } => {
            let (ids, err) = store.insert(&ns(&n), documents, ordered);
            if let Some(e) = err {
                return Err(e);
            }
            Bson::Document(doc! { "insertedIds": ids })
        }
        Op::Update {
            ns: n,
            filter,
            update,
            upsert,
            array_filters,
            many,
        } => update_result(store.update(&ns(&n), &filter, &change(update, array_filters)?, upsert, many)?),
        Op::Delete { ns: n, filter, many } => {
            Bson::Document(doc! { "deletedCount": count(store.delete(&ns(&n), &filter, many)?) })
        }
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
            opt_doc(store.find_and_modify(&ns(&n), &filter, sort.as_ref(), projection.as_ref(), &modify)?)
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
            opt_doc(store.find_and_modify(&ns(&n), &filter, sort.as_ref(), projection.as_ref(), &modify)?)
        }
        Op::FindOneAndDelete {
            ns: n,
            filter,
            sort,
            projection,
        } => opt_doc(store.find_and_modify(
            &ns(&n),
            &filter,
            sort.as_ref(),
            projection.as_ref(),
            &Modify::Delete,
        )?),
        Op::Aggregate { ns: n, pipeline } => Bson::Array(
            store
                .aggregate(&ns(&n), &pipeline)?
                .into_iter()
                .map(Bson::Document)
                .collect(),
        ),
        Op::Count {
            ns: n,
            filter,
            skip,
            limit,
        } => count(store.count(&ns(&n), &filter, skip.unwrap_or(0), limit.unwrap_or(0))?),
        Op::EstimatedCount { ns: n } => count(store.count(&ns(&n), &Document::new(), 0, 0)?),
        Op::Distinct { ns: n, field, filter } => Bson::Array(store.distinct(&ns(&n), &field, &filter)?),
        Op::BulkWrite {
            ns: n,
            models,
            ordered,
        } => {
            let n = ns(&n);
            let mut totals = BulkTotals::default();
            let mut first_error = None;
            for (index, model) in models.into_iter().enumerate() {
                let r = match model {
                    WriteModel::InsertOne(d) => match store.insert(&n, vec![d], true) {
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
                        .and_then(|c| store.update(&n, &filter, &c, upsert, many))
                        .map(|o| totals.add_update(index, o.matched, o.modified, o.upserted_id)),
                    WriteModel::ReplaceOne {
                        filter,
                        replacement,
                        upsert,
                    } => store
                        .update(&n, &filter, &Change::Replace(replacement), upsert, false)
                        .map(|o| totals.add_update(index, o.matched, o.modified, o.upserted_id)),
                    WriteModel::Delete { filter, many } => {
                        store.delete(&n, &filter, many).map(|d| totals.deleted += d)
                    }
                };
                if let Err(e) = r {
                    if ordered {
                        return Err(e);
                    }
                    first_error.get_or_insert(e);
                }
            }
            if let Some(e) = first_error {
                return Err(e);
            }
            totals.into_bson()
        }
        Op::ListCollections { db } => {
            let mut names = store.list_collections(&db)?;
            names.sort();
            Bson::Array(names.into_iter().map(Bson::String).collect())
        }
        Op::ListDatabases => {
            let mut names = store.list_databases()?;
            names.sort();
            Bson::Array(names.into_iter().map(Bson::String).collect())
        }
        Op::StartTransaction | Op::CommitTransaction | Op::AbortTransaction | Op::EndSession => {
            return Err(unsupported("a session (transactions)"));
        }
    })
}

/// The one place store failures become what a function catches, with MongoDB's codes.
pub fn host_error(e: StoreError) -> HostError {
    HostError {
        name: "MongoServerError".into(),
        message: e.to_string(),
        code: Some(e.code()),
        code_name: Some(e.code_name().to_string()),
    }
}

impl Executor for StoreExecutor {
    fn execute(&self, request: Request) -> OpFuture {
        let store = self.store.clone();
        Box::pin(async move {
            match tokio::task::spawn_blocking(move || run(&store, request)).await {
                Ok(r) => r.map_err(host_error),
                Err(e) => Err(HostError::new(format!("the embedded store failed: {e}"))),
            }
        })
    }
}

//! [`DriverExecutor`]: operations run by the official MongoDB Rust driver.

use bson::{Bson, Document, doc};
use engine::host::HostError;
use futures_util::TryStreamExt;
use mongodb::{
    Client, Collection,
    error::{Error, ErrorKind, WriteFailure},
    options::{ReturnDocument, UpdateModifications},
};

use crate::{Executor, Op, OpFuture, Update, WriteModel, count};

/// Runs operations on a MongoDB deployment through `mongodb::Client`.
#[derive(Clone, Debug)]
pub struct DriverExecutor {
    client: Client,
}

impl DriverExecutor {
    /// Wraps a connected client.
    pub fn new(client: Client) -> Self {
        Self { client }
    }

    /// Connects to `uri` (no round trip is made until the first operation).
    pub async fn connect(uri: &str) -> Result<Self, Error> {
        Ok(Self::new(Client::with_uri_str(uri).await?))
    }

    fn coll(&self, ns: &crate::Namespace) -> Collection<Document> {
        self.client.database(&ns.db).collection(&ns.coll)
    }
}

fn modifications(u: Update) -> UpdateModifications {
    match u {
        Update::Document(d) => UpdateModifications::Document(d),
        Update::Pipeline(p) => UpdateModifications::Pipeline(p),
    }
}

fn update_result(r: mongodb::results::UpdateResult) -> Bson {
    let mut out = doc! { "matchedCount": count(r.matched_count), "modifiedCount": count(r.modified_count) };
    if let Some(id) = r.upserted_id {
        out.insert("upsertedId", id);
    }
    Bson::Document(out)
}

fn opt_doc(d: Option<Document>) -> Bson {
    d.map(Bson::Document).unwrap_or(Bson::Null)
}

/// The one place driver failures become what a function catches: `code` and `codeName` as
/// MongoDB reports them (a duplicate key is code 11000, `DuplicateKey`).
pub fn host_error(e: Error) -> HostError {
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

impl DriverExecutor {
    async fn run(self, op: Op) -> Result<Bson, Error> {
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
                let mut find = coll.find(filter);
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
                let docs: Vec<Document> = find.await?.try_collect().await?;
                Bson::Array(docs.into_iter().map(Bson::Document).collect())
            }
            Op::FindOne {
                ns,
                filter,
                projection,
                sort,
            } => {
                let coll = self.coll(&ns);
                let mut find = coll.find_one(filter);
                if let Some(p) = projection {
                    find = find.projection(p);
                }
                if let Some(s) = sort {
                    find = find.sort(s);
                }
                opt_doc(find.await?)
            }
            Op::InsertOne { ns, document } => {
                let r = self.coll(&ns).insert_one(document).await?;
                Bson::Document(doc! { "insertedId": r.inserted_id })
            }
            Op::InsertMany {
                ns,
                documents,
                ordered,
            } => {
                let n = documents.len();
                let r = self.coll(&ns).insert_many(documents).ordered(ordered).await?;
                let ids: Vec<Bson> = (0..n).filter_map(|i| r.inserted_ids.get(&i).cloned()).collect();
                Bson::Document(doc! { "insertedIds": ids })
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
                let r = if many {
                    let mut u = coll.update_many(filter, modifications(update)).upsert(upsert);
                    if let Some(af) = array_filters {
                        u = u.array_filters(af);
                    }
                    u.await?
                } else {
                    let mut u = coll.update_one(filter, modifications(update)).upsert(upsert);
                    if let Some(af) = array_filters {
                        u = u.array_filters(af);
                    }
                    u.await?
                };
                update_result(r)
            }
            Op::Delete { ns, filter, many } => {
                let coll = self.coll(&ns);
                let r = if many {
                    coll.delete_many(filter).await?
                } else {
                    coll.delete_one(filter).await?
                };
                Bson::Document(doc! { "deletedCount": count(r.deleted_count) })
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
                opt_doc(f.await?)
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
                opt_doc(f.await?)
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
                opt_doc(f.await?)
            }
            Op::Aggregate { ns, pipeline } => {
                let docs: Vec<Document> = self.coll(&ns).aggregate(pipeline).await?.try_collect().await?;
                Bson::Array(docs.into_iter().map(Bson::Document).collect())
            }
            Op::Count {
                ns,
                filter,
                skip,
                limit,
            } => {
                let coll = self.coll(&ns);
                let mut c = coll.count_documents(filter);
                if let Some(n) = skip {
                    c = c.skip(n);
                }
                if let Some(n) = limit {
                    c = c.limit(n);
                }
                count(c.await?)
            }
            Op::EstimatedCount { ns } => count(self.coll(&ns).estimated_document_count().await?),
            Op::Distinct { ns, field, filter } => Bson::Array(self.coll(&ns).distinct(field, filter).await?),
            Op::BulkWrite { ns, models, ordered } => {
                let coll = self.coll(&ns);
                let mut first_error = None;
                for model in models {
                    let r = match model {
                        WriteModel::InsertOne(d) => coll.insert_one(d).await.map(drop),
                        WriteModel::Update {
                            filter,
                            update,
                            upsert,
                            array_filters,
                            many,
                        } => {
                            let m = modifications(update);
                            let af = array_filters.unwrap_or_default();
                            if many {
                                coll.update_many(filter, m)
                                    .upsert(upsert)
                                    .array_filters(af)
                                    .await
                                    .map(drop)
                            } else {
                                coll.update_one(filter, m)
                                    .upsert(upsert)
                                    .array_filters(af)
                                    .await
                                    .map(drop)
                            }
                        }
                        WriteModel::ReplaceOne {
                            filter,
                            replacement,
                            upsert,
                        } => coll
                            .replace_one(filter, replacement)
                            .upsert(upsert)
                            .await
                            .map(drop),
                        WriteModel::Delete { filter, many } => {
                            if many {
                                coll.delete_many(filter).await.map(drop)
                            } else {
                                coll.delete_one(filter).await.map(drop)
                            }
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
                Bson::Null
            }
            Op::ListCollections { db } => {
                let mut names = self.client.database(&db).list_collection_names().await?;
                names.sort();
                Bson::Array(names.into_iter().map(Bson::String).collect())
            }
            Op::ListDatabases => {
                let mut names = self.client.list_database_names().await?;
                names.sort();
                Bson::Array(names.into_iter().map(Bson::String).collect())
            }
        })
    }
}

impl Executor for DriverExecutor {
    fn execute(&self, op: Op) -> OpFuture {
        let this = self.clone();
        Box::pin(async move { this.run(op).await.map_err(host_error) })
    }
}

//! What a collection call asks for, as plain `Send` data: the JS layer only builds these, and
//! an [`Executor`](crate::Executor) is the only code that runs them.
//!
//! [`Op::parse`] reads the spec document the JS layer hands over (method arguments gathered into
//! named fields) and names the method and the argument in every error.

use bson::{Bson, Document};
use store::Ns;

/// An update: an update document (`$set`, ...) or an aggregation pipeline.
#[derive(Debug, Clone, PartialEq)]
pub enum Update {
    /// `{ $set: ... }` and the other update operators.
    Document(Document),
    /// An update with an aggregation pipeline.
    Pipeline(Vec<Document>),
}

/// One write of a `bulkWrite`.
#[derive(Debug, Clone, PartialEq)]
pub enum WriteModel {
    /// `{ insertOne: { document } }`
    InsertOne(Document),
    /// `{ updateOne | updateMany: { filter, update, upsert, arrayFilters } }`
    Update {
        filter: Document,
        update: Update,
        upsert: bool,
        array_filters: Option<Vec<Document>>,
        many: bool,
    },
    /// `{ replaceOne: { filter, replacement, upsert } }`
    ReplaceOne {
        filter: Document,
        replacement: Document,
        upsert: bool,
    },
    /// `{ deleteOne | deleteMany: { filter } }`
    Delete { filter: Document, many: bool },
}

/// A collection (or database) operation, ready to execute.
#[derive(Debug, Clone, PartialEq)]
pub enum Op {
    /// `find(...)` with the cursor's `sort`, `skip`, `limit`.
    Find {
        ns: Ns,
        filter: Document,
        projection: Option<Document>,
        sort: Option<Document>,
        skip: Option<u64>,
        limit: Option<i64>,
    },
    /// `findOne(query, projection)`.
    FindOne {
        ns: Ns,
        filter: Document,
        projection: Option<Document>,
        sort: Option<Document>,
    },
    /// `insertOne(document)`.
    InsertOne { ns: Ns, document: Document },
    /// `insertMany(documents)`.
    InsertMany {
        ns: Ns,
        documents: Vec<Document>,
        ordered: bool,
    },
    /// `updateOne` / `updateMany`.
    Update {
        ns: Ns,
        filter: Document,
        update: Update,
        upsert: bool,
        array_filters: Option<Vec<Document>>,
        many: bool,
    },
    /// `deleteOne` / `deleteMany`.
    Delete { ns: Ns, filter: Document, many: bool },
    /// `findOneAndUpdate`.
    FindOneAndUpdate {
        ns: Ns,
        filter: Document,
        update: Update,
        upsert: bool,
        sort: Option<Document>,
        projection: Option<Document>,
        return_new: bool,
        array_filters: Option<Vec<Document>>,
    },
    /// `findOneAndReplace`.
    FindOneAndReplace {
        ns: Ns,
        filter: Document,
        replacement: Document,
        upsert: bool,
        sort: Option<Document>,
        projection: Option<Document>,
        return_new: bool,
    },
    /// `findOneAndDelete`.
    FindOneAndDelete {
        ns: Ns,
        filter: Document,
        sort: Option<Document>,
        projection: Option<Document>,
    },
    /// `aggregate(pipeline)`.
    Aggregate { ns: Ns, pipeline: Vec<Document> },
    /// `count` / `countDocuments`.
    Count {
        ns: Ns,
        filter: Document,
        skip: Option<u64>,
        limit: Option<u64>,
    },
    /// `estimatedDocumentCount()`.
    EstimatedCount { ns: Ns },
    /// `distinct(field, query)`.
    Distinct { ns: Ns, field: String, filter: Document },
    /// `bulkWrite(operations)`.
    BulkWrite {
        ns: Ns,
        models: Vec<WriteModel>,
        ordered: bool,
    },
    /// `db.getCollectionNames()`.
    ListCollections { db: String },
    /// `admin().getDBNames()`.
    ListDatabases,
    /// `session.startTransaction()`.
    StartTransaction,
    /// `session.commitTransaction()`.
    CommitTransaction,
    /// `session.abortTransaction()`.
    AbortTransaction,
    /// `session.endSession()`.
    EndSession,
}

/// Identifies a client session: `startSession()` makes one, operations name it in `{ session }`.
pub type SessionId = bson::oid::ObjectId;

/// An operation and the session it runs in, if any.
#[derive(Debug, Clone, PartialEq)]
pub struct Request {
    /// What to do.
    pub op: Op,
    /// The session (and so the transaction) it belongs to.
    pub session: Option<SessionId>,
    /// When the caller stops waiting for it (its call's deadline); the embedded store stops
    /// a read or write still running then with `MaxTimeMSExpired`. `None`: no limit.
    pub deadline: Option<std::time::Instant>,
    /// The collection schema every document a user's write leaves must satisfy (set by the
    /// rules, never by the caller); `None`: not checked.
    pub validation: Option<crate::schema::Validation>,
}

/// A malformed call: the message names the method and the argument.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{method}: {message}")]
pub struct ParseError {
    /// E.g. `collection.updateOne`.
    pub method: String,
    /// What is wrong.
    pub message: String,
}

struct Spec<'a> {
    method: String,
    doc: &'a Document,
}

impl Spec<'_> {
    fn err(&self, message: impl Into<String>) -> ParseError {
        ParseError {
            method: self.method.clone(),
            message: message.into(),
        }
    }

    fn string(&self, key: &str) -> Result<String, ParseError> {
        match self.doc.get(key) {
            Some(Bson::String(s)) if !s.is_empty() => Ok(s.clone()),
            Some(Bson::String(_)) => Err(self.err(format!("{key} must not be empty"))),
            _ => Err(self.err(format!("{key} must be a string"))),
        }
    }

    fn ns(&self) -> Result<Ns, ParseError> {
        Ok(Ns {
            db: self.string("database")?,
            coll: self.string("collection")?,
        })
    }

    fn opt_doc(&self, key: &str) -> Result<Option<Document>, ParseError> {
        match self.doc.get(key) {
            None | Some(Bson::Null) | Some(Bson::Undefined) => Ok(None),
            Some(Bson::Document(d)) => Ok(Some(d.clone())),
            Some(_) => Err(self.err(format!("{key} must be an object"))),
        }
    }

    fn doc(&self, key: &str) -> Result<Document, ParseError> {
        self.opt_doc(key)?
            .ok_or_else(|| self.err(format!("{key} must be an object")))
    }

    fn filter(&self) -> Result<Document, ParseError> {
        Ok(self.opt_doc("filter")?.unwrap_or_default())
    }

    fn bool(&self, key: &str) -> Result<bool, ParseError> {
        match self.doc.get(key) {
            None | Some(Bson::Null) | Some(Bson::Undefined) => Ok(false),
            Some(Bson::Boolean(b)) => Ok(*b),
            Some(_) => Err(self.err(format!("{key} must be a boolean"))),
        }
    }

    fn opt_int(&self, key: &str) -> Result<Option<i64>, ParseError> {
        let n = match self.doc.get(key) {
            None | Some(Bson::Null) | Some(Bson::Undefined) => return Ok(None),
            Some(Bson::Int32(i)) => i64::from(*i),
            Some(Bson::Int64(i)) => *i,
            Some(Bson::Double(d)) if d.fract() == 0.0 => *d as i64,
            Some(_) => return Err(self.err(format!("{key} must be an integer"))),
        };
        Ok(Some(n))
    }

    fn opt_u64(&self, key: &str) -> Result<Option<u64>, ParseError> {
        match self.opt_int(key)? {
            Some(n) if n < 0 => Err(self.err(format!("{key} must not be negative"))),
            other => Ok(other.map(|n| n as u64)),
        }
    }

    fn docs(&self, key: &str) -> Result<Vec<Document>, ParseError> {
        match self.doc.get(key) {
            Some(Bson::Array(items)) => items
                .iter()
                .enumerate()
                .map(|(i, b)| match b {
                    Bson::Document(d) => Ok(d.clone()),
                    _ => Err(self.err(format!("{key}[{i}] must be an object"))),
                })
                .collect(),
            _ => Err(self.err(format!("{key} must be an array of objects"))),
        }
    }

    fn opt_docs(&self, key: &str) -> Result<Option<Vec<Document>>, ParseError> {
        match self.doc.get(key) {
            None | Some(Bson::Null) | Some(Bson::Undefined) => Ok(None),
            _ => self.docs(key).map(Some),
        }
    }

    fn update(&self, key: &str) -> Result<Update, ParseError> {
        match self.doc.get(key) {
            Some(Bson::Document(d)) => {
                if d.is_empty() {
                    return Err(self.err(format!("{key} must not be empty")));
                }
                if let Some(k) = d.keys().find(|k| !k.starts_with('$')) {
                    return Err(self.err(format!(
                        "{key} must only contain update operators such as $set, found '{k}' (use findOneAndReplace to replace a document)"
                    )));
                }
                Ok(Update::Document(d.clone()))
            }
            Some(Bson::Array(_)) => self.docs(key).map(Update::Pipeline),
            _ => Err(self.err(format!("{key} must be an object or an aggregation pipeline"))),
        }
    }

    fn replacement(&self, key: &str) -> Result<Document, ParseError> {
        let d = self.doc(key)?;
        if let Some(k) = d.keys().find(|k| k.starts_with('$')) {
            return Err(self.err(format!("{key} must not contain update operators, found '{k}'")));
        }
        Ok(d)
    }

    fn only(&self, allowed: &[&str]) -> Result<(), ParseError> {
        const ALWAYS: [&str; 3] = ["database", "collection", "session"];
        match self
            .doc
            .keys()
            .find(|k| !ALWAYS.contains(&k.as_str()) && !allowed.contains(&k.as_str()))
        {
            Some(k) => Err(self.err(format!("option '{k}' is not supported"))),
            None => Ok(()),
        }
    }
}

fn write_model(spec: &Spec<'_>, i: usize, b: &Bson) -> Result<WriteModel, ParseError> {
    let bad = || {
        spec.err(format!(
            "operations[{i}] must be an object with one key such as insertOne"
        ))
    };
    let Bson::Document(d) = b else { return Err(bad()) };
    let (kind, body) = d.iter().next().ok_or_else(bad)?;
    let Bson::Document(body) = body else {
        return Err(bad());
    };
    let inner = Spec {
        method: format!("{}: operations[{i}].{kind}", spec.method),
        doc: body,
    };
    Ok(match kind.as_str() {
        "insertOne" => WriteModel::InsertOne(inner.doc("document")?),
        "updateOne" | "updateMany" => WriteModel::Update {
            filter: inner.filter()?,
            update: inner.update("update")?,
            upsert: inner.bool("upsert")?,
            array_filters: inner.opt_docs("arrayFilters")?,
            many: kind == "updateMany",
        },
        "replaceOne" => WriteModel::ReplaceOne {
            filter: inner.filter()?,
            replacement: inner.replacement("replacement")?,
            upsert: inner.bool("upsert")?,
        },
        "deleteOne" | "deleteMany" => WriteModel::Delete {
            filter: inner.filter()?,
            many: kind == "deleteMany",
        },
        other => return Err(spec.err(format!("operations[{i}]: unknown write '{other}'"))),
    })
}

impl Request {
    /// Builds the request `kind` (a method name) from its spec document.
    pub fn parse(kind: &str, doc: &Document) -> Result<Request, ParseError> {
        let prefix = match kind {
            "getCollectionNames" => "database",
            "getDBNames" => "admin",
            "startTransaction" | "commitTransaction" | "abortTransaction" | "endSession" => "session",
            _ => "collection",
        };
        let s = Spec {
            method: format!("{prefix}.{kind}"),
            doc,
        };
        let bad_session = || s.err("session must be a session from mongodb.startSession()");
        let session = match doc.get("session") {
            None | Some(Bson::Null) | Some(Bson::Undefined) => None,
            Some(Bson::ObjectId(id)) => Some(*id),
            Some(Bson::Document(d)) => match d.get("id") {
                Some(Bson::ObjectId(id)) => Some(*id),
                _ => return Err(bad_session()),
            },
            Some(_) => return Err(bad_session()),
        };
        let op = Op::parse_spec(kind, &s)?;
        let needs_session = matches!(
            op,
            Op::StartTransaction | Op::CommitTransaction | Op::AbortTransaction | Op::EndSession
        );
        if needs_session && session.is_none() {
            return Err(s.err("needs a session"));
        }
        Ok(Request {
            op,
            session,
            deadline: None,
            validation: None,
        })
    }
}

impl Op {
    fn parse_spec(kind: &str, s: &Spec<'_>) -> Result<Op, ParseError> {
        Ok(match kind {
            "find" => {
                s.only(&["filter", "projection", "sort", "skip", "limit"])?;
                Op::Find {
                    ns: s.ns()?,
                    filter: s.filter()?,
                    projection: s.opt_doc("projection")?,
                    sort: s.opt_doc("sort")?,
                    skip: s.opt_u64("skip")?,
                    limit: s.opt_int("limit")?,
                }
            }
            "findOne" => {
                s.only(&["filter", "projection", "sort"])?;
                Op::FindOne {
                    ns: s.ns()?,
                    filter: s.filter()?,
                    projection: s.opt_doc("projection")?,
                    sort: s.opt_doc("sort")?,
                }
            }
            "insertOne" => {
                s.only(&["document"])?;
                Op::InsertOne {
                    ns: s.ns()?,
                    document: s.doc("document")?,
                }
            }
            "insertMany" => {
                s.only(&["documents", "ordered"])?;
                let ordered = s.doc.get("ordered").is_none() || s.bool("ordered")?;
                Op::InsertMany {
                    ns: s.ns()?,
                    documents: s.docs("documents")?,
                    ordered,
                }
            }
            "updateOne" | "updateMany" => {
                s.only(&["filter", "update", "upsert", "arrayFilters"])?;
                Op::Update {
                    ns: s.ns()?,
                    filter: s.filter()?,
                    update: s.update("update")?,
                    upsert: s.bool("upsert")?,
                    array_filters: s.opt_docs("arrayFilters")?,
                    many: kind == "updateMany",
                }
            }
            "deleteOne" | "deleteMany" => {
                s.only(&["filter"])?;
                Op::Delete {
                    ns: s.ns()?,
                    filter: s.filter()?,
                    many: kind == "deleteMany",
                }
            }
            "findOneAndUpdate" => {
                s.only(&[
                    "filter",
                    "update",
                    "upsert",
                    "sort",
                    "projection",
                    "returnNewDocument",
                    "arrayFilters",
                ])?;
                Op::FindOneAndUpdate {
                    ns: s.ns()?,
                    filter: s.filter()?,
                    update: s.update("update")?,
                    upsert: s.bool("upsert")?,
                    sort: s.opt_doc("sort")?,
                    projection: s.opt_doc("projection")?,
                    return_new: s.bool("returnNewDocument")?,
                    array_filters: s.opt_docs("arrayFilters")?,
                }
            }
            "findOneAndReplace" => {
                s.only(&[
                    "filter",
                    "replacement",
                    "upsert",
                    "sort",
                    "projection",
                    "returnNewDocument",
                ])?;
                Op::FindOneAndReplace {
                    ns: s.ns()?,
                    filter: s.filter()?,
                    replacement: s.replacement("replacement")?,
                    upsert: s.bool("upsert")?,
                    sort: s.opt_doc("sort")?,
                    projection: s.opt_doc("projection")?,
                    return_new: s.bool("returnNewDocument")?,
                }
            }
            "findOneAndDelete" => {
                s.only(&["filter", "sort", "projection"])?;
                Op::FindOneAndDelete {
                    ns: s.ns()?,
                    filter: s.filter()?,
                    sort: s.opt_doc("sort")?,
                    projection: s.opt_doc("projection")?,
                }
            }
            "aggregate" => {
                s.only(&["pipeline"])?;
                Op::Aggregate {
                    ns: s.ns()?,
                    pipeline: s.docs("pipeline")?,
                }
            }
            "count" | "countDocuments" => {
                s.only(&["filter", "skip", "limit"])?;
                Op::Count {
                    ns: s.ns()?,
                    filter: s.filter()?,
                    skip: s.opt_u64("skip")?,
                    limit: s.opt_u64("limit")?,
                }
            }
            "estimatedDocumentCount" => {
                s.only(&[])?;
                Op::EstimatedCount { ns: s.ns()? }
            }
            "distinct" => {
                s.only(&["field", "filter"])?;
                Op::Distinct {
                    ns: s.ns()?,
                    field: s.string("field")?,
                    filter: s.filter()?,
                }
            }
            "bulkWrite" => {
                s.only(&["operations", "ordered"])?;
                let ops = match s.doc.get("operations") {
                    Some(Bson::Array(items)) => items
                        .iter()
                        .enumerate()
                        .map(|(i, b)| write_model(s, i, b))
                        .collect::<Result<Vec<_>, _>>()?,
                    _ => return Err(s.err("operations must be an array")),
                };
                let ordered = s.doc.get("ordered").is_none() || s.bool("ordered")?;
                Op::BulkWrite {
                    ns: s.ns()?,
                    models: ops,
                    ordered,
                }
            }
            "getCollectionNames" => Op::ListCollections {
                db: s.string("database")?,
            },
            "getDBNames" => Op::ListDatabases,
            "startTransaction" => Op::StartTransaction,
            "commitTransaction" => Op::CommitTransaction,
            "abortTransaction" => Op::AbortTransaction,
            "endSession" => Op::EndSession,
            other => {
                return Err(ParseError {
                    method: "collection".into(),
                    message: format!("unknown method '{other}'"),
                });
            }
        })
    }
}

//! What no request may do, whatever the rules say. writ's own databases (`__writ_<app id>`:
//! users, sessions, signing keys) and MongoDB's (`admin`, `config`, `local`: the oplog holds
//! every write, writ's own included), and `system.*` collections, are reached by no request,
//! the system user's included: App Services kept its own data outside the app's cluster, so
//! a system function taking a database name from its caller could never reach it there.
//! Users may in addition never reach other collections through pipeline stages, nor run
//! JavaScript on the database server.

use bson::{Bson, Document};

use super::{RuleError, refuse};
use crate::{Executor, Op, Outcome, OutcomeFuture, Request, Update, WriteModel};

/// The prefix of writ's own databases (users, sessions, signing keys): `__writ_<app id>`.
pub const INTERNAL_DB_PREFIX: &str = "__writ_";

/// True for a database writ keeps for itself; no request may reach one.
pub fn is_internal(db: &str) -> bool {
    db.get(..INTERNAL_DB_PREFIX.len())
        .is_some_and(|p| p.eq_ignore_ascii_case(INTERNAL_DB_PREFIX))
}

/// MongoDB's own databases: its users and settings, sessions and transactions, the oplog.
const MONGODB_DBS: [&str; 3] = ["admin", "config", "local"];

/// Why no request may reach database `db`, if none may.
fn reserved_db(db: &str) -> Option<String> {
    if is_internal(db) {
        return Some(format!("'{db}' is writ's own database: no request may reach it"));
    }
    MONGODB_DBS
        .iter()
        .any(|m| m.eq_ignore_ascii_case(db))
        .then(|| format!("'{db}' is MongoDB's own database: no request may reach it"))
}

/// Why no request may reach collection `coll`, if none may (`system.*`: views, profiles,
/// stored JavaScript, users).
fn reserved_coll(coll: &str) -> Option<String> {
    coll.starts_with("system.")
        .then(|| format!("'{coll}' is one of MongoDB's own collections: no request may reach it"))
}

/// Why no request may reach collection `coll` of database `db`, if none may: for the
/// configuration that names a collection writ writes (a log forwarder's, custom user data).
pub fn reserved(db: &str, coll: &str) -> Option<String> {
    reserved_db(db).or_else(|| reserved_coll(coll))
}

/// Whether a listing of databases (`databases`) or of one database's collections shows `name`:
/// not when no request may reach it.
pub(super) fn listed(name: &str, databases: bool) -> bool {
    if databases {
        reserved_db(name).is_none()
    } else {
        reserved_coll(name).is_none()
    }
}

/// Stages that read or write other collections than the one a request names.
const OTHER_COLLECTIONS: [&str; 5] = ["$lookup", "$graphLookup", "$unionWith", "$out", "$merge"];
/// Operators that run JavaScript on the database server.
const SERVER_JS: [&str; 3] = ["$where", "$function", "$accumulator"];
/// Stages that show other clients' operations and sessions (with their filters and values):
/// App Services refused `$currentOp` and `$indexStats` even to the system user.
const OTHER_CLIENTS: [&str; 4] = ["$currentOp", "$indexStats", "$listSessions", "$listLocalSessions"];

fn denied(message: String) -> Result<(), RuleError> {
    Err(refuse("PermissionDenied", message))
}

/// Refuses an operation on a reserved database or collection (above), for anyone.
fn reserved_namespace(op: &Op) -> Result<(), RuleError> {
    let (db, coll) = match op {
        Op::ListCollections { db } => (Some(db.as_str()), None),
        op => match namespace(op) {
            Some(ns) => (Some(ns.db.as_str()), Some(ns.coll.as_str())),
            None => (None, None),
        },
    };
    match db.and_then(reserved_db).or_else(|| coll.and_then(reserved_coll)) {
        Some(why) => denied(why),
        None => Ok(()),
    }
}

/// What no user request may do, whatever the rules say: reach a reserved namespace, reach
/// other collections through pipeline stages (at any depth: `$facet`, `$lookup` pipelines), or
/// run JavaScript on the database server. Walks every filter, update, projection, sort and
/// pipeline of the operation; inserted and replacement documents are data and are not read.
pub(super) fn guard(op: &Op) -> Result<(), RuleError> {
    reserved_namespace(op)?;
    for part in parts(op) {
        if let Some(k) = forbidden_key(part) {
            return denied(if SERVER_JS.contains(&k) {
                format!("{k} (JavaScript on the database server) is not permitted for users")
            } else {
                format!("{k} (other collections) is not permitted for users")
            });
        }
    }
    Ok(())
}

/// What even the system user may not do: reach a reserved namespace, directly or through a
/// stage naming another database or collection (`$out: {db}`, `$merge: {into: {db}}`,
/// `$lookup: {from: {db}}`, at any depth), or list other clients' operations.
pub fn guard_system(op: &Op) -> Result<(), RuleError> {
    reserved_namespace(op)?;
    for part in parts(op) {
        if let Some(why) = reserved_target(part) {
            return denied(why);
        }
    }
    Ok(())
}

/// Runs `request` for the system user: no rules, but never on a reserved namespace
/// ([`guard_system`]); listings leave reserved databases and collections out.
pub fn execute_as_system(executor: &dyn Executor, request: Request) -> Result<OutcomeFuture, RuleError> {
    guard_system(&request.op)?;
    let databases = match request.op {
        Op::ListDatabases => true,
        Op::ListCollections { .. } => false,
        _ => return Ok(executor.execute(request)),
    };
    let result = executor.execute(request);
    Ok(Box::pin(async move {
        result.await.map(|outcome| match outcome {
            Outcome::Names(names) => {
                Outcome::Names(names.into_iter().filter(|n| listed(n, databases)).collect())
            }
            other => other,
        })
    }))
}

/// The documents of `op` that can name operators and stages: filters, updates, projections,
/// sorts, array filters and pipelines (not inserted or replacement documents, which are data).
fn parts(op: &Op) -> Vec<&Document> {
    let mut parts: Vec<&Document> = Vec::new();
    match op {
        Op::Find {
            filter,
            projection,
            sort,
            ..
        }
        | Op::FindOne {
            filter,
            projection,
            sort,
            ..
        }
        | Op::FindOneAndReplace {
            filter,
            projection,
            sort,
            ..
        }
        | Op::FindOneAndDelete {
            filter,
            projection,
            sort,
            ..
        } => parts.extend(
            [Some(filter), projection.as_ref(), sort.as_ref()]
                .into_iter()
                .flatten(),
        ),
        Op::Update {
            filter,
            update: u,
            array_filters,
            ..
        } => {
            parts.push(filter);
            update(u, &mut parts);
            parts.extend(array_filters.iter().flatten());
        }
        Op::FindOneAndUpdate {
            filter,
            update: u,
            sort,
            projection,
            array_filters,
            ..
        } => {
            parts.extend(
                [Some(filter), projection.as_ref(), sort.as_ref()]
                    .into_iter()
                    .flatten(),
            );
            update(u, &mut parts);
            parts.extend(array_filters.iter().flatten());
        }
        Op::Delete { filter, .. } | Op::Count { filter, .. } | Op::Distinct { filter, .. } => {
            parts.push(filter)
        }
        Op::Aggregate { pipeline, .. } => parts.extend(pipeline),
        Op::BulkWrite { models, .. } => {
            for m in models {
                match m {
                    WriteModel::InsertOne(_) => {}
                    WriteModel::Update {
                        filter, update: u, ..
                    } => {
                        parts.push(filter);
                        update(u, &mut parts);
                    }
                    WriteModel::ReplaceOne { filter, .. } | WriteModel::Delete { filter, .. } => {
                        parts.push(filter)
                    }
                }
            }
        }
        Op::InsertOne { .. }
        | Op::InsertMany { .. }
        | Op::EstimatedCount { .. }
        | Op::ListCollections { .. }
        | Op::ListDatabases
        | Op::StartTransaction
        | Op::CommitTransaction
        | Op::AbortTransaction
        | Op::EndSession => {}
    }
    parts
}

/// The first answer `check` gives for a key of `doc`, at any depth (arrays included), in
/// document order: the walk both guards make over an operation's documents.
fn find_key<T>(doc: &Document, check: &dyn Fn(&str, &Bson) -> Option<T>) -> Option<T> {
    fn in_value<T>(v: &Bson, check: &dyn Fn(&str, &Bson) -> Option<T>) -> Option<T> {
        match v {
            Bson::Document(d) => find_key(d, check),
            Bson::Array(items) => items.iter().find_map(|v| in_value(v, check)),
            _ => None,
        }
    }
    doc.iter()
        .find_map(|(k, v)| check(k, v).or_else(|| in_value(v, check)))
}

/// Why a stage in `doc`, at any depth, may not run even for the system user: it names a
/// reserved database or collection as its target or source, or shows other clients' work.
fn reserved_target(doc: &Document) -> Option<String> {
    find_key(doc, &|k, v| {
        if let Some(stage) = OTHER_CLIENTS.iter().find(|s| **s == k) {
            return Some(format!("{stage} (other clients' operations) is not permitted"));
        }
        OTHER_COLLECTIONS
            .contains(&k)
            .then(|| names_reserved(v))
            .flatten()
    })
}

/// Why the operand of a stage that reaches other collections names a reserved one: a
/// collection name (`$out: "system.js"`), or a `{db, coll}` document as `$out`, `$merge`'s
/// `into`, `$lookup`'s `from` or `$unionWith`'s `coll` are.
fn names_reserved(v: &Bson) -> Option<String> {
    match v {
        Bson::String(coll) => reserved_coll(coll),
        Bson::Document(d) => {
            let db = d.get_str("db").ok().and_then(reserved_db);
            db.or_else(|| d.get_str("coll").ok().and_then(reserved_coll))
                .or_else(|| {
                    ["into", "from", "coll"]
                        .iter()
                        .filter_map(|k| d.get(*k))
                        .find_map(names_reserved)
                })
        }
        _ => None,
    }
}

/// The documents of an update: the update document, or the stages of a pipeline update.
fn update<'a>(u: &'a Update, parts: &mut Vec<&'a Document>) {
    match u {
        Update::Document(d) => parts.push(d),
        Update::Pipeline(stages) => parts.extend(stages),
    }
}

/// The first key, at any depth, naming a stage or operator users may not use.
fn forbidden_key(doc: &Document) -> Option<&'static str> {
    find_key(doc, &|k, _| {
        OTHER_COLLECTIONS
            .iter()
            .chain(SERVER_JS.iter())
            .find(|f| **f == k)
            .copied()
    })
}

pub(super) fn namespace(op: &Op) -> Option<&crate::Ns> {
    Some(match op {
        Op::Find { ns, .. }
        | Op::FindOne { ns, .. }
        | Op::InsertOne { ns, .. }
        | Op::InsertMany { ns, .. }
        | Op::Update { ns, .. }
        | Op::Delete { ns, .. }
        | Op::FindOneAndUpdate { ns, .. }
        | Op::FindOneAndReplace { ns, .. }
        | Op::FindOneAndDelete { ns, .. }
        | Op::Aggregate { ns, .. }
        | Op::Count { ns, .. }
        | Op::EstimatedCount { ns }
        | Op::Distinct { ns, .. }
        | Op::BulkWrite { ns, .. } => ns,
        Op::ListCollections { .. }
        | Op::ListDatabases
        | Op::StartTransaction
        | Op::CommitTransaction
        | Op::AbortTransaction
        | Op::EndSession => return None,
    })
}

#[cfg(test)]
mod tests {
    use bson::doc;

    use super::*;

    fn aggregate(pipeline: Vec<Document>) -> Op {
        let spec = doc! {"database": "app", "collection": "c", "pipeline": pipeline};
        Request::parse("aggregate", &spec).expect("parse").op
    }

    #[test]
    fn the_system_user_reaches_other_collections_but_never_reserved_ones() {
        for stage in [
            doc! {"$out": {"db": "ADMIN", "coll": "x"}},
            doc! {"$merge": {"into": "system.js"}},
            doc! {"$merge": {"into": {"db": "__Writ_app", "coll": "keys"}}},
            doc! {"$facet": {"a": [{"$unionWith": {"coll": "c", "pipeline": [{"$lookup": {"from": {"db": "local", "coll": "oplog.rs"}, "pipeline": [], "as": "o"}}]}}]}},
            doc! {"$graphLookup": {"from": "system.profile", "startWith": "$a", "connectFromField": "a", "connectToField": "b", "as": "g"}},
            doc! {"$indexStats": {}},
        ] {
            assert!(guard_system(&aggregate(vec![stage.clone()])).is_err(), "{stage}");
        }
        for stage in [
            doc! {"$out": "copy"},
            doc! {"$merge": {"into": {"db": "other", "coll": "x"}}},
            doc! {"$lookup": {"from": "keys", "localField": "a", "foreignField": "b", "as": "k"}},
            doc! {"$match": {"name": "system.js", "db": "admin"}},
        ] {
            assert_eq!(guard_system(&aggregate(vec![stage.clone()])), Ok(()), "{stage}");
        }
    }
}

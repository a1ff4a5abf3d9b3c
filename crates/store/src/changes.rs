//! The change feed: every write appends its change events, in MongoDB's change event shape,
//! to the `changes` table (sequence number → event) in the same redb transaction as the write
//! itself. So an event exists exactly when its write committed, events are in commit order,
//! an aborted transaction leaves none, and they are as durable as the writes. The log keeps the
//! last [`KEPT`] events (MongoDB's oplog is bounded too); a reader resuming from an older
//! point learns that it was dropped.
//!
//! Each stored event carries both images (`fullDocument` after the write, except for deletes,
//! and `fullDocumentBeforeChange` for updates, replaces and deletes); consumers keep what they
//! were asked for.

use bson::{Bson, DateTime, Document, Timestamp, doc};
use redb::{ReadableTable, TableDefinition, WriteTransaction};

use crate::{Ns, StoreError, order::equal};

/// The change log: sequence number → the event's BSON.
pub(crate) const CHANGES: TableDefinition<u64, &[u8]> = TableDefinition::new("changes");

/// Events kept in the log.
pub const KEPT: u64 = 200_000;

/// What a write did to one document.
pub(crate) enum Kind<'a> {
    /// A new document (inserts and upserts).
    Insert(&'a Document),
    /// An update with operators: the document before and after.
    Update(&'a Document, &'a Document),
    /// A replacement: before and after.
    Replace(&'a Document, &'a Document),
    /// A deletion of this document.
    Delete(&'a Document),
}

/// The resume token of sequence number `seq`: `{_data: "<16 hex digits>"}`.
pub fn token(seq: u64) -> Document {
    doc! {"_data": format!("{seq:016x}")}
}

/// The sequence number of a resume token this store made.
pub fn seq_of(token: &Document) -> Option<u64> {
    let data = token.get_str("_data").ok()?;
    if data.len() != 16 {
        return None;
    }
    u64::from_str_radix(data, 16).ok()
}

/// Databases whose writes the log leaves out: writ's own (users, sessions, keys), which no
/// feed consumer may see.
pub const UNLOGGED_PREFIX: &str = "__writ_";

/// One committed change: its sequence number and its event.
#[derive(Debug, Clone, PartialEq)]
pub struct ChangeRecord {
    /// The position in the log (the resume token's number).
    pub seq: u64,
    /// The event, in MongoDB's change event shape, with both images.
    pub event: Document,
}

/// Appends the event of one document's change to the log of `txn`.
pub(crate) fn record(txn: &WriteTransaction, ns: &Ns, kind: Kind<'_>) -> Result<(), StoreError> {
    if ns
        .db
        .get(..UNLOGGED_PREFIX.len())
        .is_some_and(|p| p.eq_ignore_ascii_case(UNLOGGED_PREFIX))
    {
        return Ok(());
    }
    let mut table = txn.open_table(CHANGES)?;
    let seq = table.last()?.map_or(1, |(k, _)| k.value() + 1);
    let wall = DateTime::now();
    let (op, key_of) = match &kind {
        Kind::Insert(d) => ("insert", *d),
        Kind::Update(_, d) => ("update", *d),
        Kind::Replace(_, d) => ("replace", *d),
        Kind::Delete(d) => ("delete", *d),
    };
    let mut event = doc! {
        "_id": token(seq),
        "operationType": op,
        "clusterTime": Timestamp { time: (wall.timestamp_millis() / 1000) as u32, increment: seq as u32 },
        "wallTime": wall,
        "ns": {"db": &ns.db, "coll": &ns.coll},
        "documentKey": {"_id": key_of.get("_id").cloned().unwrap_or(Bson::Null)},
    };
    match kind {
        Kind::Insert(after) => {
            event.insert("fullDocument", after.clone());
        }
        Kind::Update(before, after) => {
            event.insert("updateDescription", describe(before, after));
            event.insert("fullDocument", after.clone());
            event.insert("fullDocumentBeforeChange", before.clone());
        }
        Kind::Replace(before, after) => {
            event.insert("fullDocument", after.clone());
            event.insert("fullDocumentBeforeChange", before.clone());
        }
        Kind::Delete(before) => {
            event.insert("fullDocumentBeforeChange", before.clone());
        }
    }
    table.insert(seq, event.to_vec()?.as_slice())?;
    if seq % 1024 == 0 && seq > KEPT {
        let cutoff = seq - KEPT;
        table.retain_in(..cutoff, |_, _| false)?;
    }
    Ok(())
}

/// `updateDescription`: the fields an update set (dotted paths into subdocuments and array
/// elements), the fields it removed, and the arrays it shortened.
pub(crate) fn describe(before: &Document, after: &Document) -> Document {
    let mut updated = Document::new();
    let mut removed = Vec::new();
    let mut truncated = Vec::new();
    diff("", before, after, &mut updated, &mut removed, &mut truncated);
    doc! {"updatedFields": updated, "removedFields": removed, "truncatedArrays": truncated}
}

fn diff(
    prefix: &str,
    before: &Document,
    after: &Document,
    updated: &mut Document,
    removed: &mut Vec<Bson>,
    truncated: &mut Vec<Bson>,
) {
    let path = |k: &str| format!("{prefix}{k}");
    for (k, new) in after {
        match (before.get(k), new) {
            (Some(Bson::Document(old)), Bson::Document(new)) => {
                diff(&format!("{}.", path(k)), old, new, updated, removed, truncated)
            }
            (Some(Bson::Array(old)), Bson::Array(new)) => array_diff(&path(k), old, new, updated, truncated),
            (Some(old), new) if same(old, new) => {}
            (_, new) => {
                updated.insert(path(k), new.clone());
            }
        }
    }
    for k in before.keys() {
        if !after.contains_key(k) {
            removed.push(Bson::String(path(k)));
        }
    }
}

fn array_diff(path: &str, old: &[Bson], new: &[Bson], updated: &mut Document, truncated: &mut Vec<Bson>) {
    let common = old.len().min(new.len());
    let changed: Vec<usize> = (0..common).filter(|&i| !same(&old[i], &new[i])).collect();
    if changed.len() > common / 2 && common > 0 {
        updated.insert(path, Bson::Array(new.to_vec()));
        return;
    }
    for i in changed {
        updated.insert(format!("{path}.{i}"), new[i].clone());
    }
    for (i, v) in new.iter().enumerate().skip(common) {
        updated.insert(format!("{path}.{i}"), v.clone());
    }
    if new.len() < old.len() {
        truncated.push(Bson::Document(doc! {"field": path, "newSize": new.len() as i32}));
    }
}

/// Equal as stored bytes would be (a changed numeric type counts as a change).
fn same(a: &Bson, b: &Bson) -> bool {
    a.element_type() == b.element_type() && equal(a, b) && a == b
}

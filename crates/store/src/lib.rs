//! writ's embedded document store: MongoDB's query and update semantics over BSON documents,
//! stored in one `redb` file, so writ runs with no MongoDB process.
//!
//! Layout in redb: per collection `db.coll`, a table `docs:db.coll` from an insertion sequence
//! number to the document's BSON bytes (natural order = insertion order, as users see in
//! MongoDB), and a unique index `ids:db.coll` from the normalized `_id` to that number. A
//! `catalog` table records each collection and its next sequence number. Every write is one
//! redb transaction committed with fsync before it returns: acknowledged writes survive a crash
//! and a crash never leaves half a write.
//!
//! Entry points: [`Store::open`], then [`Store::find`], [`Store::insert`], [`Store::update`],
//! [`Store::delete`], [`Store::find_and_modify`], [`Store::count`], [`Store::distinct`].
//! Semantics live in [`matcher`] (filters), [`update`] (update operators), [`project`]
//! (projections) and [`order`] (BSON comparison). What is not implemented fails with
//! [`StoreError::Unsupported`], which says to use MongoDB; it never silently differs.

pub mod aggregate;
pub mod changes;
mod commit;
pub mod error;
pub mod expr;
mod index;
pub mod matcher;
pub mod order;
mod output;
pub mod path;
pub mod project;
pub mod update;

use std::{cmp::Ordering, path::Path, sync::Arc};

use bson::{Bson, Document, doc, oid::ObjectId};
pub use error::StoreError;
use error::bad;
pub use index::IndexSpec;
pub use matcher::Filter;
use order::{compare, equal};
pub use project::Projection;
use redb::{Database, ReadTransaction, ReadableDatabase, ReadableTable, TableDefinition, WriteTransaction};

const CATALOG: TableDefinition<&str, u64> = TableDefinition::new("catalog");

/// A collection's address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ns {
    /// Database name.
    pub db: String,
    /// Collection name.
    pub coll: String,
}

impl Ns {
    /// The collection `coll` of database `db`, if MongoDB accepts both names (else
    /// `InvalidNamespace`, code 73, as MongoDB answers).
    pub fn new(db: &str, coll: &str) -> Result<Ns, StoreError> {
        check_db_name(db)?;
        let invalid = |why: &str| {
            Err(StoreError::InvalidNamespace(format!(
                "Invalid collection name: '{coll}': {why}"
            )))
        };
        if coll.is_empty() {
            return invalid("it is empty");
        }
        if coll.contains(['$', '\0']) {
            return invalid("it contains '$' or a NUL character");
        }
        if coll.starts_with('.') || coll.ends_with('.') || coll.contains("..") {
            return invalid("it starts or ends with '.' or has an empty part");
        }
        if coll.starts_with("system.") {
            return invalid("system collections are reserved");
        }
        if db.len() + 1 + coll.len() > 255 {
            return invalid("the namespace is longer than 255 bytes");
        }
        Ok(Ns {
            db: db.to_string(),
            coll: coll.to_string(),
        })
    }

    /// `db.coll`
    pub fn full(&self) -> String {
        format!("{}.{}", self.db, self.coll)
    }
}

/// The largest document MongoDB stores, in bytes of BSON.
pub const MAX_DOCUMENT_BYTES: usize = 16 * 1024 * 1024;
/// The deepest nesting of documents and arrays MongoDB stores.
pub const MAX_DEPTH: usize = 100;

/// The BSON of `doc` as stored, if MongoDB would store it: at most [`MAX_DEPTH`] levels deep
/// and [`MAX_DOCUMENT_BYTES`] long (else `too_large` names the refusal).
fn stored_bytes(doc: &Document, too_large: &str) -> Result<Vec<u8>, StoreError> {
    fn depth_ok(v: &Bson, depth: usize) -> bool {
        match v {
            Bson::Document(d) => depth < MAX_DEPTH && d.values().all(|v| depth_ok(v, depth + 1)),
            Bson::Array(a) => depth < MAX_DEPTH && a.iter().all(|v| depth_ok(v, depth + 1)),
            _ => true,
        }
    }
    if !doc.values().all(|v| depth_ok(v, 1)) {
        return Err(StoreError::TooDeep(format!(
            "the document is nested deeper than the maximum of {MAX_DEPTH} levels"
        )));
    }
    let bytes = doc.to_vec()?;
    if bytes.len() > MAX_DOCUMENT_BYTES {
        return Err(StoreError::TooLarge(format!(
            "{too_large}: size in bytes: {}, max size: {MAX_DOCUMENT_BYTES}",
            bytes.len()
        )));
    }
    Ok(bytes)
}

/// Refuses database names MongoDB refuses: empty, 64 bytes or more, or containing one of
/// `/\. "$` or NUL.
pub fn check_db_name(db: &str) -> Result<(), StoreError> {
    let invalid = |why: &str| {
        Err(StoreError::InvalidNamespace(format!(
            "Invalid database name: '{db}': {why}"
        )))
    };
    if db.is_empty() {
        return invalid("it is empty");
    }
    if db.len() >= 64 {
        return invalid("it must be shorter than 64 bytes");
    }
    if db.contains(['/', '\\', '.', ' ', '"', '$', '\0']) {
        return invalid("it contains one of / \\ . space \" $ or NUL");
    }
    Ok(())
}

/// Options of a find.
#[derive(Debug, Clone, Default)]
pub struct FindOptions {
    /// Sort specification (`{ field: 1 | -1 }`).
    pub sort: Option<Document>,
    /// Documents to skip.
    pub skip: u64,
    /// Maximum documents to return (0 or negative limits as MongoDB: `|n|`, 0 = all).
    pub limit: i64,
    /// Projection.
    pub projection: Option<Document>,
}

/// What an update did.
#[derive(Debug, Clone, PartialEq)]
pub struct UpdateOutcome {
    /// Documents the filter matched.
    pub matched: u64,
    /// Documents actually changed.
    pub modified: u64,
    /// The `_id` of the document an upsert inserted.
    pub upserted_id: Option<Bson>,
}

/// How an update changes documents.
#[derive(Debug, Clone)]
pub enum Change {
    /// Update operators (`{ $set: ... }`) and the `arrayFilters` for `$[id]` paths.
    Operators(Document, Vec<Document>),
    /// A replacement document (keeps `_id`).
    Replace(Document),
}

/// What `find_and_modify` does to the document it finds.
#[derive(Debug, Clone)]
pub enum Modify {
    /// Update or replace it; `upsert` inserts when nothing matches; `return_new` returns the
    /// post-image.
    Change {
        change: Change,
        upsert: bool,
        return_new: bool,
    },
    /// Delete it.
    Delete,
}

/// What reads run against: a snapshot, or a transaction's own view (which sees its writes).
#[derive(Clone, Copy)]
enum Snap<'a> {
    Read(&'a ReadTransaction),
    Write(&'a WriteTransaction),
}

impl Snap<'_> {
    fn scan(self, ns: &Ns, filter: &Filter, raw: &Document) -> Result<Vec<(u64, Document)>, StoreError> {
        match self {
            Snap::Read(t) => Store::scan(t, ns, filter, raw),
            Snap::Write(t) => Store::scan_write(t, ns, filter, raw),
        }
    }
}

/// A multi-operation transaction (a MongoDB session's transaction): its reads see its own
/// writes, other readers see none of them until [`Transaction::commit`], and other writers wait.
/// Dropping it without committing aborts it.
pub struct Transaction {
    txn: WriteTransaction,
    committed: commit::Listener,
}

impl Transaction {
    /// The transaction's operations.
    pub fn writes(&self) -> Writes<'_> {
        Writes { txn: &self.txn }
    }

    /// Makes every write of the transaction durable and visible, at once.
    pub fn commit(self) -> Result<(), StoreError> {
        self.txn.commit()?;
        self.committed.notify();
        Ok(())
    }

    /// Discards every write of the transaction.
    pub fn abort(self) -> Result<(), StoreError> {
        Ok(self.txn.abort()?)
    }
}

/// Operations inside a write transaction: a session's [`Transaction`], or the commit group a
/// [`Store::write`] runs in. Reads see the transaction's own writes.
#[derive(Clone, Copy)]
pub struct Writes<'a> {
    txn: &'a WriteTransaction,
}

impl Writes<'_> {
    /// Finds documents, seeing this transaction's writes.
    pub fn find(
        &self,
        ns: &Ns,
        filter: &Document,
        options: &FindOptions,
    ) -> Result<Vec<Document>, StoreError> {
        Store::find_in(Snap::Write(self.txn), ns, filter, options)
    }

    /// Counts matching documents.
    pub fn count(&self, ns: &Ns, filter: &Document, skip: u64, limit: u64) -> Result<u64, StoreError> {
        Store::count_in(Snap::Write(self.txn), ns, filter, skip, limit)
    }

    /// Distinct values of a field.
    pub fn distinct(&self, ns: &Ns, field: &str, filter: &Document) -> Result<Vec<Bson>, StoreError> {
        Store::distinct_in(Snap::Write(self.txn), ns, field, filter)
    }

    /// Runs an aggregation pipeline; a final `$out` or `$merge` writes in this transaction.
    pub fn aggregate(&self, ns: &Ns, pipeline: &[Document]) -> Result<Vec<Document>, StoreError> {
        match output::output_stage(pipeline) {
            Some(stage) => {
                let docs = Store::aggregate_in(Snap::Write(self.txn), ns, &pipeline[..pipeline.len() - 1])?;
                output::write(self.txn, ns, stage, docs).map(|()| Vec::new())
            }
            None => Store::aggregate_in(Snap::Write(self.txn), ns, pipeline),
        }
    }

    /// Inserts documents.
    pub fn insert(&self, ns: &Ns, docs: Vec<Document>, ordered: bool) -> (Vec<Bson>, Option<StoreError>) {
        Store::insert_txn(self.txn, ns, docs, ordered)
    }

    /// Updates documents.
    pub fn update(
        &self,
        ns: &Ns,
        filter: &Document,
        change: &Change,
        upsert: bool,
        multi: bool,
    ) -> Result<UpdateOutcome, StoreError> {
        Store::update_txn(self.txn, ns, filter, change, upsert, multi)
    }

    /// Deletes documents.
    pub fn delete(&self, ns: &Ns, filter: &Document, multi: bool) -> Result<u64, StoreError> {
        Store::delete_txn(self.txn, ns, filter, multi)
    }

    /// findOneAndUpdate / findOneAndReplace / findOneAndDelete.
    pub fn find_and_modify(
        &self,
        ns: &Ns,
        filter: &Document,
        sort: Option<&Document>,
        projection: Option<&Document>,
        modify: &Modify,
    ) -> Result<Option<Document>, StoreError> {
        Store::find_and_modify_txn(self.txn, ns, filter, sort, projection, modify)
    }
}

/// The embedded store.
pub struct Store {
    db: Arc<Database>,
    committer: commit::Committer,
    /// Called after every commit that may have added change events.
    committed: commit::Listener,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store").finish_non_exhaustive()
    }
}

fn docs_table(ns: &str) -> String {
    format!("docs:{ns}")
}

fn ids_table(ns: &str) -> String {
    format!("ids:{ns}")
}

/// The index key of an `_id`: values MongoDB considers equal (`1`, `1.0`, `NumberLong(1)`) get
/// the same key.
pub(crate) fn id_key(id: &Bson) -> Result<Vec<u8>, StoreError> {
    fn norm(v: &Bson) -> Bson {
        match v {
            Bson::Int32(i) => Bson::Int64(i64::from(*i)),
            Bson::Double(d) if d.fract() == 0.0 && d.abs() < 9.2e18 => Bson::Int64(*d as i64),
            Bson::Document(d) => Bson::Document(d.iter().map(|(k, v)| (k.clone(), norm(v))).collect()),
            Bson::Array(a) => Bson::Array(a.iter().map(norm).collect()),
            other => other.clone(),
        }
    }
    Ok(doc! { "": norm(id) }.to_vec()?)
}

fn decode(bytes: &[u8]) -> Result<Document, StoreError> {
    Ok(Document::from_reader(bytes)?)
}

/// The sequence number the `_id` index gives for `id` (none or one).
fn id_seqs(ids: &impl ReadableTable<&'static [u8], u64>, id: &Bson) -> Result<Vec<u64>, StoreError> {
    Ok(ids
        .get(id_key(id)?.as_slice())?
        .map(|s| s.value())
        .into_iter()
        .collect())
}

/// The documents among `seqs` (or all, in natural order) that match `filter`.
fn matching(
    docs: &impl ReadableTable<u64, &'static [u8]>,
    seqs: Option<Vec<u64>>,
    filter: &Filter,
) -> Result<Vec<(u64, Document)>, StoreError> {
    let mut out = Vec::new();
    let mut keep = |seq: u64, bytes: &[u8]| -> Result<(), StoreError> {
        if filter.excludes_raw(bson::RawDocument::from_bytes(bytes)?) {
            return Ok(());
        }
        let d = decode(bytes)?;
        if filter.matches(&d) {
            out.push((seq, d));
        }
        Ok(())
    };
    match seqs {
        Some(seqs) => {
            for seq in seqs {
                if let Some(bytes) = docs.get(seq)? {
                    keep(seq, bytes.value())?;
                }
            }
        }
        None => {
            for entry in docs.iter()? {
                let (seq, bytes) = entry?;
                keep(seq.value(), bytes.value())?;
            }
        }
    }
    Ok(out)
}

/// The sort key of a document for one field: arrays sort by their smallest element ascending,
/// their largest descending, as MongoDB does; a missing field sorts as null.
/// True when an update left a document as it was, as its bytes would show: doubles by their
/// bits (a NaN is unchanged though NaN != NaN; -0 is not 0). MongoDB counts and writes only
/// real changes.
fn same(new: &Document, old: &Document) -> bool {
    fn same_value(a: &Bson, b: &Bson) -> bool {
        match (a, b) {
            (Bson::Double(x), Bson::Double(y)) => x.to_bits() == y.to_bits(),
            (Bson::Document(x), Bson::Document(y)) => same(x, y),
            (Bson::Array(x), Bson::Array(y)) => {
                x.len() == y.len() && x.iter().zip(y).all(|(p, q)| same_value(p, q))
            }
            _ => a == b,
        }
    }
    new.len() == old.len()
        && new
            .iter()
            .zip(old)
            .all(|((ka, va), (kb, vb))| ka == kb && same_value(va, vb))
}

fn sort_value(doc: &Document, path: &str, descending: bool) -> Bson {
    let values = path::values_at(doc, path);
    let mut flat: Vec<&Bson> = Vec::new();
    for v in &values {
        match v {
            Bson::Array(a) if !a.is_empty() => flat.extend(a.iter()),
            // MongoDB sorts an empty array below null and missing fields (only MinKey is lower).
            Bson::Array(_) => flat.push(&Bson::MinKey),
            other => flat.push(other),
        }
    }
    let pick = if descending {
        flat.into_iter().max_by(|a, b| compare(a, b))
    } else {
        flat.into_iter().min_by(|a, b| compare(a, b))
    };
    pick.cloned().unwrap_or(Bson::Null)
}

pub(crate) fn parse_sort(sort: &Document) -> Result<Vec<(String, bool)>, StoreError> {
    sort.iter()
        .map(|(k, v)| match order::as_f64(v) {
            Some(1.0) => Ok((k.clone(), false)),
            Some(-1.0) => Ok((k.clone(), true)),
            _ => match v {
                Bson::Document(_) => Err(StoreError::Unsupported(format!("the sort option {{{k}: {v}}}"))),
                _ => Err(bad(format!("bad sort specification for '{k}': {v}"))),
            },
        })
        .collect()
}

pub(crate) fn sort_docs(docs: &mut [(u64, Document)], spec: &[(String, bool)]) {
    docs.sort_by(|(_, a), (_, b)| {
        for (path, desc) in spec {
            let o = compare(&sort_value(a, path, *desc), &sort_value(b, path, *desc));
            if o != Ordering::Equal {
                return if *desc { o.reverse() } else { o };
            }
        }
        Ordering::Equal
    });
}

impl Store {
    /// Opens (or creates) the store in directory `dir`.
    pub fn open(dir: &Path) -> Result<Store, StoreError> {
        std::fs::create_dir_all(dir)?;
        let db = Database::create(dir.join("writ.redb"))?;
        let txn = db.begin_write()?;
        txn.open_table(CATALOG)?;
        txn.commit()?;
        let db = Arc::new(db);
        let committed = commit::Listener::default();
        let committer = commit::Committer::start(db.clone(), committed.clone())?;
        Ok(Store {
            db,
            committer,
            committed,
        })
    }

    /// Documents of `ns` matching `filter`, with their sequence numbers, in natural order; an
    /// `_id` or indexed equality in `raw` (the filter as written) reads through its index.
    fn scan(
        txn: &ReadTransaction,
        ns: &Ns,
        filter: &Filter,
        raw: &Document,
    ) -> Result<Vec<(u64, Document)>, StoreError> {
        let name = ns.full();
        let docs = match txn.open_table(TableDefinition::<u64, &[u8]>::new(&docs_table(&name))) {
            Ok(t) => t,
            Err(redb::TableError::TableDoesNotExist(_)) => return Ok(Vec::new()),
            Err(e) => return Err(e.into()),
        };
        let seqs = match Self::id_hint(raw) {
            Some(id) => Some(id_seqs(
                &txn.open_table(TableDefinition::<&[u8], u64>::new(&ids_table(&name)))?,
                id,
            )?),
            None => {
                let specs = match txn.open_table(index::INDEXES) {
                    Ok(t) => t
                        .get(name.as_str())?
                        .map(|v| index::parse_specs(v.value()))
                        .transpose()?
                        .unwrap_or_default(),
                    Err(redb::TableError::TableDoesNotExist(_)) => Vec::new(),
                    Err(e) => return Err(e.into()),
                };
                index::lookup(&specs, raw, |n| {
                    match txn.open_multimap_table(index::def(&index::table(&name, n))) {
                        Ok(t) => Ok(Some(t)),
                        Err(redb::TableError::TableDoesNotExist(_)) => Ok(None),
                        Err(e) => Err(e.into()),
                    }
                })?
            }
        };
        matching(&docs, seqs, filter)
    }

    /// [`Store::scan`] inside a write transaction (which sees its own writes).
    fn scan_write(
        txn: &WriteTransaction,
        ns: &Ns,
        filter: &Filter,
        raw: &Document,
    ) -> Result<Vec<(u64, Document)>, StoreError> {
        let name = ns.full();
        let docs = txn.open_table(TableDefinition::<u64, &[u8]>::new(&docs_table(&name)))?;
        let seqs = match Self::id_hint(raw) {
            Some(id) => Some(id_seqs(
                &txn.open_table(TableDefinition::<&[u8], u64>::new(&ids_table(&name)))?,
                id,
            )?),
            None => index::lookup(&index::specs(txn, &name)?, raw, |n| {
                Ok(Some(
                    txn.open_multimap_table(index::def(&index::table(&name, n)))?,
                ))
            })?,
        };
        matching(&docs, seqs, filter)
    }

    /// The `_id` equality of a filter, used to answer through the `_id` index.
    fn id_hint(filter: &Document) -> Option<&Bson> {
        match filter.get("_id") {
            Some(Bson::Document(d)) if d.keys().next().is_some_and(|k| k.starts_with('$')) => {
                match d.get("$eq") {
                    Some(v) if d.len() == 1 => Some(v),
                    _ => None,
                }
            }
            Some(Bson::RegularExpression(_)) => None,
            other => other,
        }
    }

    /// Finds documents.
    fn find_in(
        snap: Snap<'_>,
        ns: &Ns,
        filter: &Document,
        options: &FindOptions,
    ) -> Result<Vec<Document>, StoreError> {
        let parsed = Filter::parse(filter)?;
        let projection = match &options.projection {
            Some(p) => Projection::parse(p)?,
            None => None,
        };
        let sort = options.sort.as_ref().map(parse_sort).transpose()?;
        let mut docs = snap.scan(ns, &parsed, filter)?;
        if let Some(spec) = &sort {
            sort_docs(&mut docs, spec);
        }
        let limit = options.limit.unsigned_abs() as usize;
        let iter = docs.into_iter().skip(options.skip as usize);
        let taken: Vec<Document> = if limit > 0 {
            iter.take(limit).map(|(_, d)| d).collect()
        } else {
            iter.map(|(_, d)| d).collect()
        };
        Ok(match projection {
            Some(p) => taken.iter().map(|d| p.apply(d)).collect(),
            None => taken,
        })
    }

    /// Counts matching documents.
    fn count_in(
        snap: Snap<'_>,
        ns: &Ns,
        filter: &Document,
        skip: u64,
        limit: u64,
    ) -> Result<u64, StoreError> {
        let parsed = Filter::parse(filter)?;
        let n = snap.scan(ns, &parsed, filter)?.len() as u64;
        let n = n.saturating_sub(skip);
        Ok(if limit > 0 { n.min(limit) } else { n })
    }

    /// Distinct values of `field` among matching documents (array values contribute elements).
    fn distinct_in(snap: Snap<'_>, ns: &Ns, field: &str, filter: &Document) -> Result<Vec<Bson>, StoreError> {
        let parsed = Filter::parse(filter)?;
        let mut out: Vec<Bson> = Vec::new();
        for (_, d) in snap.scan(ns, &parsed, filter)? {
            for v in path::values_at(&d, field) {
                let items: Vec<&Bson> = match v {
                    Bson::Array(a) => a.iter().collect(),
                    other => vec![other],
                };
                for item in items {
                    if !out.iter().any(|o| equal(o, item)) {
                        out.push(item.clone());
                    }
                }
            }
        }
        out.sort_by(compare);
        Ok(out)
    }

    fn ensure_collection(txn: &WriteTransaction, name: &str) -> Result<u64, StoreError> {
        let mut catalog = txn.open_table(CATALOG)?;
        let next = catalog.get(name)?.map(|v| v.value());
        match next {
            Some(n) => Ok(n),
            None => {
                catalog.insert(name, 0)?;
                Ok(0)
            }
        }
    }

    /// Inserts one prepared document (with `_id`) in an open transaction.
    fn insert_in(txn: &WriteTransaction, ns: &Ns, doc: &Document) -> Result<(), StoreError> {
        let bytes = stored_bytes(doc, "object to insert too large")?;
        let name = ns.full();
        let seq = Self::ensure_collection(txn, &name)?;
        let id = doc.get("_id").cloned().unwrap_or(Bson::Null);
        let key = id_key(&id)?;
        let mut ids = txn.open_table(TableDefinition::<&[u8], u64>::new(&ids_table(&name)))?;
        if ids.get(key.as_slice())?.is_some() {
            return Err(StoreError::DuplicateKey {
                ns: name,
                index: "_id_".into(),
                key: format!("{{ _id: {} }}", id.clone().into_relaxed_extjson()),
            });
        }
        // Unique secondary indexes are checked before anything is written.
        index::add(txn, &name, &index::specs(txn, &name)?, doc, seq)?;
        ids.insert(key.as_slice(), seq)?;
        let mut docs = txn.open_table(TableDefinition::<u64, &[u8]>::new(&docs_table(&name)))?;
        docs.insert(seq, bytes.as_slice())?;
        txn.open_table(CATALOG)?.insert(name.as_str(), seq + 1)?;
        changes::record(txn, ns, changes::Kind::Insert(doc))
    }

    fn with_id(mut doc: Document) -> Result<Document, StoreError> {
        match doc.get("_id") {
            None => {
                let mut out = doc! { "_id": ObjectId::new() };
                out.extend(doc);
                Ok(out)
            }
            Some(Bson::Array(_)) => Err(bad("The '_id' value cannot be of type array")),
            Some(Bson::RegularExpression(_)) => Err(bad("can't use a regex for _id")),
            Some(_) => {
                if let Some(bad_key) = doc.keys().find(|k| k.starts_with('$')) {
                    return Err(bad(format!(
                        "Document can't have $ prefixed field names: {bad_key}"
                    )));
                }
                Ok(std::mem::take(&mut doc))
            }
        }
    }

    /// Inserts documents (an `_id` is generated where missing). Ordered inserts stop at the
    /// first error; unordered ones go on. Returns the ids inserted and the first error.
    fn insert_txn(
        txn: &WriteTransaction,
        ns: &Ns,
        docs: Vec<Document>,
        ordered: bool,
    ) -> (Vec<Bson>, Option<StoreError>) {
        let run = || -> Result<(Vec<Bson>, Option<StoreError>), StoreError> {
            let mut ids = Vec::with_capacity(docs.len());
            let mut first_error = None;
            for d in docs {
                let prepared = Self::with_id(d).and_then(|d| Self::insert_in(txn, ns, &d).map(|()| d));
                match prepared {
                    Ok(d) => ids.push(d.get("_id").cloned().unwrap_or(Bson::Null)),
                    Err(e) => {
                        first_error.get_or_insert(e);
                        if ordered {
                            break;
                        }
                    }
                }
            }
            Ok((ids, first_error))
        };
        run().unwrap_or_else(|e| (Vec::new(), Some(e)))
    }

    fn write_back(
        txn: &WriteTransaction,
        ns: &Ns,
        seq: u64,
        old: &Document,
        new: &Document,
        replace: bool,
    ) -> Result<(), StoreError> {
        let name = ns.full();
        let old_id = old.get("_id").cloned().unwrap_or(Bson::Null);
        let new_id = new.get("_id").cloned().unwrap_or(Bson::Null);
        if !equal(&old_id, &new_id) {
            return Err(StoreError::ImmutableId);
        }
        let bytes = stored_bytes(new, "Resulting document after update is larger than the limit")?;
        let specs = index::specs(txn, &name)?;
        index::remove(txn, &name, &specs, old, seq)?;
        if let Err(e) = index::add(txn, &name, &specs, new, seq) {
            index::add(txn, &name, &specs, old, seq)?;
            return Err(e);
        }
        let mut docs = txn.open_table(TableDefinition::<u64, &[u8]>::new(&docs_table(&name)))?;
        docs.insert(seq, bytes.as_slice())?;
        let kind = if replace {
            changes::Kind::Replace(old, new)
        } else {
            changes::Kind::Update(old, new)
        };
        changes::record(txn, ns, kind)
    }

    fn changed(
        old: &Document,
        change: &Change,
        inserting: bool,
        query: Option<&Filter>,
    ) -> Result<Document, StoreError> {
        match change {
            Change::Operators(u, array_filters) => {
                let mut d = old.clone();
                let positional = update::Positional::new(query, array_filters)?;
                update::apply_positional(&mut d, u, inserting, &positional)?;
                Ok(d)
            }
            Change::Replace(r) => {
                if r.keys().any(|k| k.starts_with('$')) {
                    return Err(bad("the replacement document must not contain update operators"));
                }
                let mut d = Document::new();
                if let Some(id) = old.get("_id") {
                    d.insert("_id", id.clone());
                }
                for (k, v) in r {
                    if k == "_id" && old.get("_id").is_some_and(|id| !equal(id, v)) {
                        return Err(StoreError::ImmutableId);
                    }
                    d.insert(k.clone(), v.clone());
                }
                Ok(d)
            }
        }
    }

    /// The document an upsert inserts: the filter's equalities, then the change.
    fn upsert_doc(filter: &Filter, change: &Change) -> Result<Document, StoreError> {
        let mut base = Document::new();
        let mut eqs = Vec::new();
        filter.equalities(&mut eqs);
        for (path, v) in eqs {
            match change {
                Change::Operators(..) => {
                    update::apply(&mut base, &doc! { "$set": { path: v } }, true)?;
                }
                // A replacement keeps only the filter's `_id`, as MongoDB does.
                Change::Replace(_) if path == "_id" => {
                    base.insert("_id", v);
                }
                Change::Replace(_) => {}
            }
        }
        let seeded_id = base.get("_id").cloned();
        let mut d = Self::changed(&base, change, true, None)?;
        if let (Change::Replace(_), Some(id)) = (change, seeded_id) {
            d.insert("_id", id);
        }
        Self::with_id(d)
    }

    /// Updates the first (or every, with `multi`) matching document.
    fn update_txn(
        txn: &WriteTransaction,
        ns: &Ns,
        filter: &Document,
        change: &Change,
        upsert: bool,
        multi: bool,
    ) -> Result<UpdateOutcome, StoreError> {
        let parsed = Filter::parse(filter)?;
        Self::ensure_collection(txn, &ns.full())?;
        let mut found = Self::scan_write(txn, ns, &parsed, filter)?;
        if !multi {
            found.truncate(1);
        }
        let mut outcome = UpdateOutcome {
            matched: found.len() as u64,
            modified: 0,
            upserted_id: None,
        };
        for (seq, old) in &found {
            let written = Self::changed(old, change, false, Some(&parsed)).and_then(|new| {
                if !same(&new, old) {
                    Self::write_back(txn, ns, *seq, old, &new, matches!(change, Change::Replace(_)))?;
                    outcome.modified += 1;
                }
                Ok(())
            });
            // The documents changed before a failure stay changed (the caller commits them,
            // as MongoDB keeps them outside a transaction).
            written?;
        }
        if found.is_empty() && upsert {
            let d = Self::upsert_doc(&parsed, change)?;
            Self::insert_in(txn, ns, &d)?;
            outcome.upserted_id = d.get("_id").cloned();
        }
        Ok(outcome)
    }

    /// Deletes the first (or every) matching document; returns how many.
    fn delete_txn(
        txn: &WriteTransaction,
        ns: &Ns,
        filter: &Document,
        multi: bool,
    ) -> Result<u64, StoreError> {
        let parsed = Filter::parse(filter)?;
        Self::ensure_collection(txn, &ns.full())?;
        let mut found = Self::scan_write(txn, ns, &parsed, filter)?;
        if !multi {
            found.truncate(1);
        }
        Self::remove(txn, ns, &found)?;
        Ok(found.len() as u64)
    }

    fn remove(txn: &WriteTransaction, ns: &Ns, found: &[(u64, Document)]) -> Result<(), StoreError> {
        let name = ns.full();
        let mut docs = txn.open_table(TableDefinition::<u64, &[u8]>::new(&docs_table(&name)))?;
        let mut ids = txn.open_table(TableDefinition::<&[u8], u64>::new(&ids_table(&name)))?;
        let specs = index::specs(txn, &name)?;
        for (seq, d) in found {
            index::remove(txn, &name, &specs, d, *seq)?;
            docs.remove(*seq)?;
            let key = id_key(d.get("_id").unwrap_or(&Bson::Null))?;
            ids.remove(key.as_slice())?;
            changes::record(txn, ns, changes::Kind::Delete(d))?;
        }
        Ok(())
    }

    /// findOneAndUpdate / findOneAndReplace / findOneAndDelete.
    fn find_and_modify_txn(
        txn: &WriteTransaction,
        ns: &Ns,
        filter: &Document,
        sort: Option<&Document>,
        projection: Option<&Document>,
        modify: &Modify,
    ) -> Result<Option<Document>, StoreError> {
        let parsed = Filter::parse(filter)?;
        let projection = projection.map(Projection::parse).transpose()?.flatten();
        let sort = sort.map(parse_sort).transpose()?;
        Self::ensure_collection(txn, &ns.full())?;
        let mut found = Self::scan_write(txn, ns, &parsed, filter)?;
        if let Some(spec) = &sort {
            sort_docs(&mut found, spec);
        }
        found.truncate(1);
        let result = match (modify, found.pop()) {
            (Modify::Delete, Some((seq, old))) => {
                Self::remove(txn, ns, &[(seq, old.clone())])?;
                Some(old)
            }
            (Modify::Delete, None) => None,
            (
                Modify::Change {
                    change, return_new, ..
                },
                Some((seq, old)),
            ) => {
                let new = Self::changed(&old, change, false, Some(&parsed))?;
                if !same(&new, &old) {
                    Self::write_back(txn, ns, seq, &old, &new, matches!(change, Change::Replace(_)))?;
                }
                Some(if *return_new { new } else { old })
            }
            (
                Modify::Change {
                    change,
                    upsert: true,
                    return_new,
                },
                None,
            ) => {
                let d = Self::upsert_doc(&parsed, change)?;
                Self::insert_in(txn, ns, &d)?;
                return_new.then_some(d)
            }
            (Modify::Change { .. }, None) => None,
        };
        Ok(match (result, projection) {
            (Some(d), Some(p)) => Some(p.apply(&d)),
            (r, _) => r,
        })
    }

    /// Runs an aggregation pipeline over `ns`; `$lookup` reads collections of the same database.
    fn aggregate_in(snap: Snap<'_>, ns: &Ns, pipeline: &[Document]) -> Result<Vec<Document>, StoreError> {
        // A leading $match is answered while scanning.
        let (first, rest) = match pipeline.first().and_then(|s| s.get_document("$match").ok()) {
            Some(m) => (Some(m.clone()), &pipeline[1..]),
            None => (None, pipeline),
        };
        let filter = first.clone().unwrap_or_default();
        let parsed = Filter::parse(&filter)?;
        let docs = snap
            .scan(ns, &parsed, &filter)?
            .into_iter()
            .map(|(_, d)| d)
            .collect();
        let read = |coll: &str| -> Result<Vec<Document>, StoreError> {
            let other = Ns {
                db: ns.db.clone(),
                coll: coll.to_string(),
            };
            Ok(snap
                .scan(&other, &Filter::And(Vec::new()), &Document::new())?
                .into_iter()
                .map(|(_, d)| d)
                .collect())
        };
        aggregate::run(docs, rest, &read)
    }

    /// Starts a transaction; other writes wait until it commits or aborts.
    pub fn begin(&self) -> Result<Transaction, StoreError> {
        Ok(Transaction {
            txn: self.db.begin_write()?,
            committed: self.committed.clone(),
        })
    }

    /// Calls `f` (which must not block) after every commit that may have added change events,
    /// on the committing thread; replaces any earlier listener.
    pub fn on_commit(&self, f: impl Fn() + Send + Sync + 'static) {
        self.committed.set(Arc::new(f));
    }

    /// Up to `limit` committed changes after sequence number `after`, in commit order.
    /// `Err(StoreError::ChangeLogTruncated)` when events after `after` were already dropped.
    pub fn changes_after(&self, after: u64, limit: usize) -> Result<Vec<changes::ChangeRecord>, StoreError> {
        let read = self.db.begin_read()?;
        let table = match read.open_table(changes::CHANGES) {
            Ok(t) => t,
            Err(redb::TableError::TableDoesNotExist(_)) => return Ok(Vec::new()),
            Err(e) => return Err(e.into()),
        };
        if let Some((first, _)) = table.first()?
            && first.value() > after + 1
            && after > 0
        {
            return Err(StoreError::ChangeLogTruncated(after));
        }
        let mut out = Vec::new();
        for entry in table.range(after + 1..)?.take(limit) {
            let (seq, bytes) = entry?;
            out.push(changes::ChangeRecord {
                seq: seq.value(),
                event: decode(bytes.value())?,
            });
        }
        Ok(out)
    }

    /// The sequence number of the last committed change (0 before the first).
    pub fn last_change(&self) -> Result<u64, StoreError> {
        let read = self.db.begin_read()?;
        match read.open_table(changes::CHANGES) {
            Ok(t) => Ok(t.last()?.map_or(0, |(k, _)| k.value())),
            Err(redb::TableError::TableDoesNotExist(_)) => Ok(0),
            Err(e) => Err(e.into()),
        }
    }

    /// Runs one write in its own transaction and commits it, even when it fails part way: like
    /// MongoDB outside a transaction, what a multi-document write did before failing stays.
    /// Writes from concurrent callers share one commit (see [`commit`]).
    fn autocommit<T: Send + 'static>(
        &self,
        write: impl Fn(&WriteTransaction) -> Result<T, StoreError> + Send + 'static,
    ) -> Result<T, StoreError> {
        self.committer.run(write)
    }

    /// Runs `write` in the next commit group, as [`Store::insert`] and the other writes do,
    /// without waiting: `done` gets its result on the store's writer thread once the group is
    /// durable, so it must only hand the result on (a channel send), never block. `write` runs
    /// again if another write of its group panics; only its last run is committed.
    pub fn write<T: Send + 'static>(
        &self,
        write: impl Fn(Writes<'_>) -> Result<T, StoreError> + Send + 'static,
        done: impl FnOnce(Result<T, StoreError>) + Send + 'static,
    ) {
        self.committer.submit(move |txn| write(Writes { txn }), done);
    }

    /// Finds documents.
    pub fn find(
        &self,
        ns: &Ns,
        filter: &Document,
        options: &FindOptions,
    ) -> Result<Vec<Document>, StoreError> {
        Self::find_in(Snap::Read(&self.db.begin_read()?), ns, filter, options)
    }

    /// Counts matching documents.
    pub fn count(&self, ns: &Ns, filter: &Document, skip: u64, limit: u64) -> Result<u64, StoreError> {
        Self::count_in(Snap::Read(&self.db.begin_read()?), ns, filter, skip, limit)
    }

    /// Distinct values of `field` among matching documents (array values contribute elements).
    pub fn distinct(&self, ns: &Ns, field: &str, filter: &Document) -> Result<Vec<Bson>, StoreError> {
        Self::distinct_in(Snap::Read(&self.db.begin_read()?), ns, field, filter)
    }

    /// Runs an aggregation pipeline over `ns`; `$lookup` reads collections of the same database.
    pub fn aggregate(&self, ns: &Ns, pipeline: &[Document]) -> Result<Vec<Document>, StoreError> {
        if output::output_stage(pipeline).is_some() {
            // Reads and writes in one committed write, like any other write.
            let (ns, pipeline) = (ns.clone(), pipeline.to_vec());
            return self.autocommit(move |txn| Writes { txn }.aggregate(&ns, &pipeline));
        }
        Self::aggregate_in(Snap::Read(&self.db.begin_read()?), ns, pipeline)
    }

    /// Inserts documents (an `_id` is generated where missing). Ordered inserts stop at the
    /// first error; unordered ones go on. Returns the ids inserted and the first error.
    pub fn insert(&self, ns: &Ns, docs: Vec<Document>, ordered: bool) -> (Vec<Bson>, Option<StoreError>) {
        let ns = ns.clone();
        match self.autocommit(move |txn| Ok(Self::insert_txn(txn, &ns, docs.clone(), ordered))) {
            Ok(r) => r,
            Err(e) => (Vec::new(), Some(e)),
        }
    }

    /// Updates the first (or every, with `multi`) matching document.
    pub fn update(
        &self,
        ns: &Ns,
        filter: &Document,
        change: &Change,
        upsert: bool,
        multi: bool,
    ) -> Result<UpdateOutcome, StoreError> {
        let (ns, filter, change) = (ns.clone(), filter.clone(), change.clone());
        self.autocommit(move |txn| Self::update_txn(txn, &ns, &filter, &change, upsert, multi))
    }

    /// Deletes the first (or every) matching document; returns how many.
    pub fn delete(&self, ns: &Ns, filter: &Document, multi: bool) -> Result<u64, StoreError> {
        let (ns, filter) = (ns.clone(), filter.clone());
        self.autocommit(move |txn| Self::delete_txn(txn, &ns, &filter, multi))
    }

    /// findOneAndUpdate / findOneAndReplace / findOneAndDelete.
    pub fn find_and_modify(
        &self,
        ns: &Ns,
        filter: &Document,
        sort: Option<&Document>,
        projection: Option<&Document>,
        modify: &Modify,
    ) -> Result<Option<Document>, StoreError> {
        let (ns, filter, modify) = (ns.clone(), filter.clone(), modify.clone());
        let (sort, projection) = (sort.cloned(), projection.cloned());
        self.autocommit(move |txn| {
            Self::find_and_modify_txn(txn, &ns, &filter, sort.as_ref(), projection.as_ref(), &modify)
        })
    }

    /// Creates an index on `field` (`{ field: 1 }`), unique if asked, over the documents already
    /// there; returns its name. Creating an index that exists is a no-op; one that the existing
    /// documents violate fails with code 11000 and leaves nothing behind.
    pub fn create_index(&self, ns: &Ns, field: &str, unique: bool) -> Result<String, StoreError> {
        if field.is_empty() || field.starts_with('$') {
            return Err(bad(format!("invalid index key '{field}'")));
        }
        let ns = ns.clone();
        let field = field.to_string();
        self.autocommit(move |txn| {
            let name = ns.full();
            Self::ensure_collection(txn, &name)?;
            let mut specs = index::specs(txn, &name)?;
            let index_name = format!("{field}_1");
            if let Some(existing) = specs.iter().find(|s| s.name == index_name) {
                if existing.unique != unique {
                    return Err(bad(format!(
                        "an index named {index_name} already exists with different options"
                    )));
                }
                return Ok(index_name);
            }
            let spec = IndexSpec {
                name: index_name.clone(),
                field: field.clone(),
                unique,
            };
            let all = Self::scan_write(txn, &ns, &Filter::And(Vec::new()), &Document::new())?;
            for (seq, d) in &all {
                if let Err(e) = index::add(txn, &name, std::slice::from_ref(&spec), d, *seq) {
                    txn.delete_multimap_table(index::def(&index::table(&name, &index_name)))?;
                    return Err(e);
                }
            }
            specs.push(spec);
            index::save_specs(txn, &name, &specs)?;
            Ok(index_name)
        })
    }

    /// The secondary indexes of `ns`.
    pub fn indexes(&self, ns: &Ns) -> Result<Vec<IndexSpec>, StoreError> {
        let txn = self.db.begin_read()?;
        match txn.open_table(index::INDEXES) {
            Ok(t) => Ok(t
                .get(ns.full().as_str())?
                .map(|v| index::parse_specs(v.value()))
                .transpose()?
                .unwrap_or_default()),
            Err(redb::TableError::TableDoesNotExist(_)) => Ok(Vec::new()),
            Err(e) => Err(e.into()),
        }
    }

    fn catalog(&self) -> Result<Vec<String>, StoreError> {
        let txn = self.db.begin_read()?;
        let catalog = txn.open_table(CATALOG)?;
        let mut names = Vec::new();
        for entry in catalog.iter()? {
            names.push(entry?.0.value().to_string());
        }
        Ok(names)
    }

    /// Collection names of database `db`.
    pub fn list_collections(&self, db: &str) -> Result<Vec<String>, StoreError> {
        let prefix = format!("{db}.");
        Ok(self
            .catalog()?
            .into_iter()
            .filter_map(|n| n.strip_prefix(&prefix).map(str::to_string))
            .collect())
    }

    /// Names of databases with at least one collection.
    pub fn list_databases(&self) -> Result<Vec<String>, StoreError> {
        let mut dbs: Vec<String> = self
            .catalog()?
            .into_iter()
            .filter_map(|n| n.split_once('.').map(|(d, _)| d.to_string()))
            .collect();
        dbs.dedup();
        Ok(dbs)
    }
}

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
//! Entry points: [`Store::open`], then the operations of [`Data`] (`find`, `insert`,
//! `update`, `delete`, `find_and_modify`, `count`, `distinct`, `aggregate`) on the store or,
//! inside a [`Transaction`], on its [`Writes`]. Files: `layout` (tables and keys), `scan`
//! (reads), `sort`, `write` (writes and their change events), `data` (the operations),
//! `commit` (group commit), `changes` (the change log).
//! Semantics live in [`matcher`] (filters), [`update`] (update operators), [`project`]
//! (projections) and [`order`] (BSON comparison). What is not implemented fails with
//! [`StoreError::Unsupported`], which says to use MongoDB; it never silently differs.

pub mod aggregate;
pub mod budget;
pub mod changes;
mod commit;
mod data;
pub mod error;
pub mod expr;
pub mod geo;
mod index;
pub mod keyed;
mod layout;
pub mod matcher;
pub mod order;
mod output;
pub mod path;
pub mod project;
mod scan;
mod sort;
pub mod update;
pub mod validation;
mod write;

use std::{path::Path, sync::Arc};

use bson::{Bson, Document};
pub use data::{Data, Transaction, Writes};
pub use error::StoreError;
use error::bad;
pub use index::IndexSpec;
pub use matcher::Filter;
pub use project::Projection;
use redb::{Database, ReadableDatabase, ReadableTable, TableDefinition, WriteTransaction};

pub(crate) const CATALOG: TableDefinition<&str, u64> = TableDefinition::new("catalog");

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
pub(crate) fn stored_bytes(doc: &Document, too_large: &str) -> Result<Vec<u8>, StoreError> {
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
    /// An aggregation pipeline of `$addFields/$set`, `$project/$unset` and
    /// `$replaceRoot/$replaceWith` stages, run over the document (keeps `_id`).
    Pipeline(Vec<Document>),
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

/// The most memory redb's own page cache takes, unless the store is opened with another bound.
pub const CACHE_BYTES: usize = 256 * 1024 * 1024;

/// Creates `dir` (and its missing parents) for this user alone, if it does not exist: the
/// store holds password hashes and writ's signing key. A directory that exists is the
/// operator's and keeps its mode.
fn private_dir(dir: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::DirBuilderExt;
    if dir.is_dir() {
        return Ok(());
    }
    std::fs::DirBuilder::new().recursive(true).mode(0o700).create(dir)
}

/// Makes the store's file readable by this user alone when it was just created, and by no
/// other users than its owner and group when it already existed.
fn private_file(file: &Path, fresh: bool) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(file)?.permissions().mode() & 0o777;
    let private = if fresh { 0o600 } else { mode & 0o770 };
    if private != mode {
        std::fs::set_permissions(file, std::fs::Permissions::from_mode(private))?;
    }
    Ok(())
}

impl Store {
    /// Opens (or creates) the store in directory `dir`.
    pub fn open(dir: &Path) -> Result<Store, StoreError> {
        Self::open_with_cache(dir, CACHE_BYTES)
    }

    /// Opens (or creates) the store in directory `dir`, its page cache holding at most
    /// `cache_bytes`.
    pub fn open_with_cache(dir: &Path, cache_bytes: usize) -> Result<Store, StoreError> {
        private_dir(dir)?;
        let file = dir.join("writ.redb");
        let fresh = !file.exists();
        // redb caches the pages it reads and writes (1 GiB by default); the kernel caches the
        // file too.
        let db = Database::builder().set_cache_size(cache_bytes).create(&file)?;
        private_file(&file, fresh)?;
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
                event: layout::decode(bytes.value())?,
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
        let (deadline, check) = (budget::deadline(), validation::current());
        self.committer
            .run(move |txn| validation::within(check.clone(), || budget::within(deadline, || write(txn))))
    }

    /// Runs `write` in the next commit group, as [`Store::insert`] and the other writes do,
    /// without waiting: `done` gets its result on the store's writer thread once the group is
    /// durable, so it must only hand the result on (a channel send), never block. `write` runs
    /// again if another write of its group panics; only its last run is committed. The
    /// caller's deadline ([`budget::within`]) and document validator ([`validation::within`])
    /// go with it to the writer thread.
    pub fn write<T: Send + 'static>(
        &self,
        write: impl Fn(Writes<'_>) -> Result<T, StoreError> + Send + 'static,
        done: impl FnOnce(Result<T, StoreError>) + Send + 'static,
    ) {
        let (deadline, check) = (budget::deadline(), validation::current());
        self.committer.submit(
            move |txn| {
                validation::within(check.clone(), || {
                    budget::within(deadline, || write(Writes { txn }))
                })
            },
            done,
        );
    }

    /// Creates an index on `field` (`{ field: 1 }`), unique if asked, over the documents already
    /// there; returns its name. Creating an index that exists (`_id`'s always does) is a no-op;
    /// one that the existing documents violate fails with code 11000 and leaves nothing behind.
    pub fn create_index(&self, ns: &Ns, field: &str, unique: bool) -> Result<String, StoreError> {
        if field.is_empty() || field.starts_with('$') {
            return Err(bad(format!("invalid index key '{field}'")));
        }
        if field == "_id" {
            // Documents are keyed by `_id` already: MongoDB's `_id_` index, always there.
            return Ok("_id_".into());
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
            let all = Self::scan_write(txn, &ns, &Filter::And(Vec::new()), &Document::new(), 0)?;
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
        index::read_specs(&self.db.begin_read()?, &ns.full())
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

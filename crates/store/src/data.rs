//! The operations of the store ([`Data`]), on the store itself and inside a transaction.

use bson::{Bson, Document};
use redb::{ReadableDatabase, WriteTransaction};

use crate::{Change, FindOptions, Modify, Ns, Store, StoreError, UpdateOutcome, commit, output, scan::Snap};

/// The operations a plain store call and a transaction both offer: [`Store`] runs each as its
/// own durable write (reads on a snapshot), [`Writes`] inside a transaction (reads see it).
pub trait Data {
    /// Finds documents.
    fn find(&self, ns: &Ns, filter: &Document, options: &FindOptions) -> Result<Vec<Document>, StoreError>;
    /// Counts matching documents (`skip`, `limit`: 0 for none).
    fn count(&self, ns: &Ns, filter: &Document, skip: u64, limit: u64) -> Result<u64, StoreError>;
    /// Distinct values of a field among matching documents.
    fn distinct(&self, ns: &Ns, field: &str, filter: &Document) -> Result<Vec<Bson>, StoreError>;
    /// Runs an aggregation pipeline; a final `$out` or `$merge` writes its result.
    fn aggregate(&self, ns: &Ns, pipeline: &[Document]) -> Result<Vec<Document>, StoreError>;
    /// Inserts documents: the ids inserted, and the error that stopped the rest (ordered) or
    /// the first error (unordered).
    fn insert(&self, ns: &Ns, docs: Vec<Document>, ordered: bool) -> (Vec<Bson>, Option<StoreError>);
    /// Updates one or (`multi`) every matching document, or upserts.
    fn update(
        &self,
        ns: &Ns,
        filter: &Document,
        change: &Change,
        upsert: bool,
        multi: bool,
    ) -> Result<UpdateOutcome, StoreError>;
    /// Deletes one or (`multi`) every matching document; how many.
    fn delete(&self, ns: &Ns, filter: &Document, multi: bool) -> Result<u64, StoreError>;
    /// findOneAndUpdate / findOneAndReplace / findOneAndDelete.
    fn find_and_modify(
        &self,
        ns: &Ns,
        filter: &Document,
        sort: Option<&Document>,
        projection: Option<&Document>,
        modify: &Modify,
    ) -> Result<Option<Document>, StoreError>;
}

/// A multi-operation transaction (a MongoDB session's transaction): its reads see its own
/// writes, other readers see none of them until [`Transaction::commit`], and other writers wait.
/// Dropping it without committing aborts it.
pub struct Transaction {
    pub(crate) txn: WriteTransaction,
    pub(crate) committed: commit::Listener,
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
    pub(crate) txn: &'a WriteTransaction,
}

impl Data for Writes<'_> {
    /// Finds documents, seeing this transaction's writes.
    fn find(&self, ns: &Ns, filter: &Document, options: &FindOptions) -> Result<Vec<Document>, StoreError> {
        Store::find_in(Snap::Write(self.txn), ns, filter, options)
    }

    /// Counts matching documents.
    fn count(&self, ns: &Ns, filter: &Document, skip: u64, limit: u64) -> Result<u64, StoreError> {
        Store::count_in(Snap::Write(self.txn), ns, filter, skip, limit)
    }

    /// Distinct values of a field.
    fn distinct(&self, ns: &Ns, field: &str, filter: &Document) -> Result<Vec<Bson>, StoreError> {
        Store::distinct_in(Snap::Write(self.txn), ns, field, filter)
    }

    /// Runs an aggregation pipeline; a final `$out` or `$merge` writes in this transaction.
    fn aggregate(&self, ns: &Ns, pipeline: &[Document]) -> Result<Vec<Document>, StoreError> {
        match output::output_stage(pipeline) {
            Some(stage) => {
                let docs = Store::aggregate_in(Snap::Write(self.txn), ns, &pipeline[..pipeline.len() - 1])?;
                output::write(self.txn, ns, stage, docs).map(|()| Vec::new())
            }
            None => Store::aggregate_in(Snap::Write(self.txn), ns, pipeline),
        }
    }

    /// Inserts documents.
    fn insert(&self, ns: &Ns, docs: Vec<Document>, ordered: bool) -> (Vec<Bson>, Option<StoreError>) {
        Store::insert_txn(self.txn, ns, docs, ordered)
    }

    /// Updates documents.
    fn update(
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
    fn delete(&self, ns: &Ns, filter: &Document, multi: bool) -> Result<u64, StoreError> {
        Store::delete_txn(self.txn, ns, filter, multi)
    }

    /// findOneAndUpdate / findOneAndReplace / findOneAndDelete.
    fn find_and_modify(
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

impl Data for Store {
    /// Finds documents.
    fn find(&self, ns: &Ns, filter: &Document, options: &FindOptions) -> Result<Vec<Document>, StoreError> {
        Self::find_in(Snap::Read(&self.db.begin_read()?), ns, filter, options)
    }

    /// Counts matching documents.
    fn count(&self, ns: &Ns, filter: &Document, skip: u64, limit: u64) -> Result<u64, StoreError> {
        Self::count_in(Snap::Read(&self.db.begin_read()?), ns, filter, skip, limit)
    }

    /// Distinct values of `field` among matching documents (array values contribute elements).
    fn distinct(&self, ns: &Ns, field: &str, filter: &Document) -> Result<Vec<Bson>, StoreError> {
        Self::distinct_in(Snap::Read(&self.db.begin_read()?), ns, field, filter)
    }

    /// Runs an aggregation pipeline over `ns`; `$lookup` reads collections of the same database.
    fn aggregate(&self, ns: &Ns, pipeline: &[Document]) -> Result<Vec<Document>, StoreError> {
        if output::output_stage(pipeline).is_some() {
            // Reads and writes in one committed write, like any other write.
            let (ns, pipeline) = (ns.clone(), pipeline.to_vec());
            return self.autocommit(move |txn| Writes { txn }.aggregate(&ns, &pipeline));
        }
        Self::aggregate_in(Snap::Read(&self.db.begin_read()?), ns, pipeline)
    }

    /// Inserts documents (an `_id` is generated where missing). Ordered inserts stop at the
    /// first error; unordered ones go on. Returns the ids inserted and the first error.
    fn insert(&self, ns: &Ns, docs: Vec<Document>, ordered: bool) -> (Vec<Bson>, Option<StoreError>) {
        let ns = ns.clone();
        match self.autocommit(move |txn| Ok(Self::insert_txn(txn, &ns, docs.clone(), ordered))) {
            Ok(r) => r,
            Err(e) => (Vec::new(), Some(e)),
        }
    }

    /// Updates the first (or every, with `multi`) matching document.
    fn update(
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
    fn delete(&self, ns: &Ns, filter: &Document, multi: bool) -> Result<u64, StoreError> {
        let (ns, filter) = (ns.clone(), filter.clone());
        self.autocommit(move |txn| Self::delete_txn(txn, &ns, &filter, multi))
    }

    /// findOneAndUpdate / findOneAndReplace / findOneAndDelete.
    fn find_and_modify(
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
}

//! Writes inside a redb write transaction: inserts, updates, upserts, deletes and
//! find-and-modify, each also recording its change events.

use bson::{Bson, Document, doc, oid::ObjectId};
use redb::{ReadableTable, TableDefinition, WriteTransaction};

use crate::{
    CATALOG, Change, Filter, Modify, Ns, Projection, Store, StoreError, UpdateOutcome, changes,
    error::bad,
    index,
    layout::{docs_table, id_key, ids_table},
    order::equal,
    sort::{parse_sort, sort_docs},
    stored_bytes, update, validation,
};

/// The sort key of a document for one field: arrays sort by their smallest element ascending,
/// their largest descending, as MongoDB does; a missing field sorts as null.
/// True when an update left a document as it was, as its bytes would show: doubles by their
/// bits (a NaN is unchanged though NaN != NaN; -0 is not 0). MongoDB counts and writes only
/// real changes.
pub(crate) fn same(new: &Document, old: &Document) -> bool {
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

impl Store {
    pub(crate) fn ensure_collection(txn: &WriteTransaction, name: &str) -> Result<u64, StoreError> {
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
    pub(crate) fn insert_in(txn: &WriteTransaction, ns: &Ns, doc: &Document) -> Result<(), StoreError> {
        validation::check(None, doc)?;
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

    pub(crate) fn with_id(mut doc: Document) -> Result<Document, StoreError> {
        match doc.get("_id") {
            None => {
                let mut out = doc! { "_id": ObjectId::new() };
                out.extend(doc);
                Ok(out)
            }
            Some(Bson::Array(_)) => Err(bad("The '_id' value cannot be of type array")),
            Some(Bson::RegularExpression(_)) => Err(bad("can't use a regex for _id")),
            // Top-level `$...` fields are allowed in what an insert or upsert adds, as in
            // MongoDB 5.0 and later (an update of an existing document may not write them).
            Some(_) => Ok(std::mem::take(&mut doc)),
        }
    }

    /// Inserts documents (an `_id` is generated where missing). Ordered inserts stop at the
    /// first error; unordered ones go on. Returns the ids inserted and the first error.
    pub(crate) fn insert_txn(
        txn: &WriteTransaction,
        ns: &Ns,
        docs: Vec<Document>,
        ordered: bool,
    ) -> (Vec<Bson>, Option<StoreError>) {
        let run = || -> Result<(Vec<Bson>, Option<StoreError>), StoreError> {
            // Under a validator, every document is checked before the first is written.
            let docs = if validation::active() {
                let prepared = docs
                    .into_iter()
                    .map(Self::with_id)
                    .collect::<Result<Vec<_>, _>>()?;
                for d in &prepared {
                    crate::budget::tick()?;
                    validation::check(None, d)?;
                }
                prepared
            } else {
                docs
            };
            let mut ids = Vec::with_capacity(docs.len());
            let mut first_error = None;
            for d in docs {
                if let Err(e) = crate::budget::tick() {
                    first_error.get_or_insert(e);
                    break;
                }
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

    pub(crate) fn write_back(
        txn: &WriteTransaction,
        ns: &Ns,
        seq: u64,
        old: &Document,
        new: &Document,
        replace: bool,
    ) -> Result<(), StoreError> {
        // Past the deadline, `new` may have been computed with a condition cut short (an
        // array filter or `$pull` answering "no match"): the document is then not written.
        crate::budget::tick()?;
        let name = ns.full();
        let old_id = old.get("_id").cloned().unwrap_or(Bson::Null);
        let new_id = new.get("_id").cloned().unwrap_or(Bson::Null);
        if !equal(&old_id, &new_id) {
            return Err(StoreError::ImmutableId);
        }
        validation::check(Some(old), new)?;
        let bytes = stored_bytes(new, "Resulting document after update is larger than the limit")?;
        let specs = index::touched(&index::specs(txn, &name)?, old, new)?;
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

    pub(crate) fn changed(
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
            Change::Pipeline(stages) => piped(old, stages),
        }
    }

    /// The document an upsert inserts: the filter's equalities, then the change.
    pub(crate) fn upsert_doc(filter: &Filter, change: &Change) -> Result<Document, StoreError> {
        let mut base = Document::new();
        let mut eqs = Vec::new();
        filter.equalities(&mut eqs);
        for (path, v) in eqs {
            match change {
                Change::Operators(..) | Change::Pipeline(_) => {
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
    pub(crate) fn update_txn(
        txn: &WriteTransaction,
        ns: &Ns,
        filter: &Document,
        change: &Change,
        upsert: bool,
        multi: bool,
    ) -> Result<UpdateOutcome, StoreError> {
        let parsed = Filter::parse(filter)?;
        Self::ensure_collection(txn, &ns.full())?;
        let found = Self::targets(txn, ns, &parsed, filter, multi)?;
        let mut outcome = UpdateOutcome {
            matched: found.len() as u64,
            modified: 0,
            upserted_id: None,
        };
        if found.len() > 1 && validation::active() {
            // Every document the update leaves is checked before the first is written, so a
            // failure changes none of them.
            for (seq, kept) in found.iter() {
                crate::budget::tick()?;
                let old = match kept {
                    Some(d) => std::borrow::Cow::Borrowed(d),
                    None => std::borrow::Cow::Owned(Self::doc_at(txn, ns, *seq)?),
                };
                let new = Self::changed(&old, change, false, Some(&parsed))?;
                if !same(&new, &old) {
                    validation::check(Some(&old), &new)?;
                }
            }
        }
        for (seq, kept) in found.iter() {
            crate::budget::tick()?;
            let old = match kept {
                Some(d) => std::borrow::Cow::Borrowed(d),
                None => std::borrow::Cow::Owned(Self::doc_at(txn, ns, *seq)?),
            };
            let written = Self::changed(&old, change, false, Some(&parsed)).and_then(|new| {
                if !same(&new, &old) {
                    Self::write_back(txn, ns, *seq, &old, &new, matches!(change, Change::Replace(_)))?;
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
    pub(crate) fn delete_txn(
        txn: &WriteTransaction,
        ns: &Ns,
        filter: &Document,
        multi: bool,
    ) -> Result<u64, StoreError> {
        let parsed = Filter::parse(filter)?;
        Self::ensure_collection(txn, &ns.full())?;
        let found = Self::targets(txn, ns, &parsed, filter, multi)?;
        let n = found.len() as u64;
        Self::remove(txn, ns, found)?;
        Ok(n)
    }

    /// The documents a write of the first (or every) match changes: each kept while those kept
    /// are small together, else only its sequence number, to be read again when it is written,
    /// so a write to a large part of a collection holds little at once.
    fn targets(
        txn: &WriteTransaction,
        ns: &Ns,
        parsed: &Filter,
        raw: &Document,
        multi: bool,
    ) -> Result<Vec<(u64, Option<Document>)>, StoreError> {
        const KEPT_BYTES: usize = 1024 * 1024;
        let mut out = Vec::new();
        let mut kept = 0;
        Self::visit_write(txn, ns, parsed, raw, &mut |seq, bytes, d| {
            crate::budget::charge(std::mem::size_of::<(u64, Option<Document>)>())?;
            let keep = kept < KEPT_BYTES;
            if keep {
                kept += bytes.len();
                crate::budget::charge(bytes.len())?;
            }
            out.push((seq, keep.then_some(d)));
            Ok(multi)
        })?;
        Ok(out)
    }

    /// The document stored at `seq` in `ns`.
    fn doc_at(txn: &WriteTransaction, ns: &Ns, seq: u64) -> Result<Document, StoreError> {
        let docs = txn.open_table(TableDefinition::<u64, &[u8]>::new(&docs_table(&ns.full())))?;
        let bytes = docs
            .get(seq)?
            .ok_or_else(|| StoreError::Storage(format!("document {seq} of {} is gone", ns.full())))?;
        crate::layout::decode(bytes.value())
    }

    /// Removes the documents at `found`'s sequence numbers (those not given are read again).
    pub(crate) fn remove(
        txn: &WriteTransaction,
        ns: &Ns,
        found: Vec<(u64, Option<Document>)>,
    ) -> Result<(), StoreError> {
        let name = ns.full();
        let mut docs = txn.open_table(TableDefinition::<u64, &[u8]>::new(&docs_table(&name)))?;
        let mut ids = txn.open_table(TableDefinition::<&[u8], u64>::new(&ids_table(&name)))?;
        let specs = index::specs(txn, &name)?;
        for (seq, kept) in found {
            crate::budget::tick()?;
            let d = match kept {
                Some(d) => d,
                None => match docs.get(seq)? {
                    Some(bytes) => crate::layout::decode(bytes.value())?,
                    None => continue,
                },
            };
            index::remove(txn, &name, &specs, &d, seq)?;
            docs.remove(seq)?;
            let key = id_key(d.get("_id").unwrap_or(&Bson::Null))?;
            ids.remove(key.as_slice())?;
            changes::record(txn, ns, changes::Kind::Delete(&d))?;
        }
        Ok(())
    }

    /// findOneAndUpdate / findOneAndReplace / findOneAndDelete.
    pub(crate) fn find_and_modify_txn(
        txn: &WriteTransaction,
        ns: &Ns,
        filter: &Document,
        sort: Option<&Document>,
        projection: Option<&Document>,
        modify: &Modify,
    ) -> Result<Option<Document>, StoreError> {
        let parsed = Filter::parse(filter)?;
        let projection = projection
            .map(|p| Projection::parse_for(p, Some(filter)))
            .transpose()?
            .flatten();
        let sort = sort.map(parse_sort).transpose()?;
        Self::ensure_collection(txn, &ns.full())?;
        let take = if sort.is_some() { 0 } else { 1 };
        let mut found = Self::scan_write(txn, ns, &parsed, filter, take)?;
        if let Some(spec) = &sort {
            sort_docs(&mut found, spec);
        }
        found.truncate(1);
        let result = match (modify, found.pop()) {
            (Modify::Delete, Some((seq, old))) => {
                Self::remove(txn, ns, vec![(seq, Some(old.clone()))])?;
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
}

/// `old` through an update pipeline: only the stages MongoDB allows in one, and the result
/// keeps `old`'s `_id` (taking it when the pipeline dropped it).
fn piped(old: &Document, stages: &[Document]) -> Result<Document, StoreError> {
    const ALLOWED: [&str; 6] = [
        "$addFields",
        "$set",
        "$project",
        "$unset",
        "$replaceRoot",
        "$replaceWith",
    ];
    for stage in stages {
        if let Some(name) = stage.keys().find(|k| !ALLOWED.contains(&k.as_str())) {
            return Err(bad(format!(
                "{name} is not allowed to be used within an update; only $addFields, $set, $project, $unset, $replaceRoot and $replaceWith are"
            )));
        }
    }
    let no_other_collections = |_: &str| -> Result<Vec<Document>, StoreError> {
        Err(bad("an update pipeline reads no other collection"))
    };
    let mut out = crate::aggregate::run(vec![old.clone()], stages, &no_other_collections)?;
    let mut new = match (out.pop(), out.is_empty()) {
        (Some(d), true) => d,
        _ => return Err(bad("an update pipeline must produce one document")),
    };
    match (old.get("_id"), new.get("_id")) {
        (Some(a), Some(b)) if !equal(a, b) => return Err(StoreError::ImmutableId),
        (Some(id), None) => {
            let mut with_id = doc! { "_id": id.clone() };
            with_id.extend(new);
            new = with_id;
        }
        _ => {}
    }
    Ok(new)
}

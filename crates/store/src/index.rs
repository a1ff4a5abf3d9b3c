//! Secondary indexes on one field: a redb multimap from the field's normalized value to the
//! documents' sequence numbers. Arrays index each element (multikey), a missing field indexes
//! as null, as in MongoDB. A unique index refuses a second document with the same key
//! (code 11000). Equality on an indexed field is answered through the index.

use bson::{Bson, Document, doc};
use redb::{
    MultimapTableDefinition, ReadableMultimapTable, ReadableTable, TableDefinition, WriteTransaction,
};

use crate::{error::StoreError, layout::id_key, path::values_at};

/// Index specifications per collection: `db.coll` → `{ indexes: [{ name, field, unique }] }`.
pub(crate) const INDEXES: TableDefinition<&str, &[u8]> = TableDefinition::new("indexes");

/// One secondary index.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IndexSpec {
    /// Its name (`email_1`).
    pub name: String,
    /// The indexed field (a dotted path).
    pub field: String,
    /// Whether two documents may not share a key.
    pub unique: bool,
}

pub(crate) fn table(ns: &str, name: &str) -> String {
    format!("ix:{ns}:{name}")
}

pub(crate) fn def(name: &str) -> MultimapTableDefinition<'_, &'static [u8], u64> {
    MultimapTableDefinition::new(name)
}

/// The specifications stored as `bytes` (read in place: every read and write through an
/// index parses them).
pub(crate) fn parse_specs(bytes: &[u8]) -> Result<Vec<IndexSpec>, StoreError> {
    let d = bson::RawDocument::from_bytes(bytes)?;
    let list = d
        .get_array("indexes")
        .map_err(|e| StoreError::Storage(e.to_string()))?;
    let mut specs = Vec::new();
    for item in list {
        let Some(s) = item?.as_document() else {
            continue;
        };
        let text = |key: &str| s.get_str(key).map(str::to_string).unwrap_or_default();
        specs.push(IndexSpec {
            name: text("name"),
            field: text("field"),
            unique: s.get_bool("unique").unwrap_or(false),
        });
    }
    Ok(specs)
}

/// The index specifications of `ns` in a read transaction (none when no collection has any).
pub(crate) fn read_specs(txn: &redb::ReadTransaction, ns: &str) -> Result<Vec<IndexSpec>, StoreError> {
    match txn.open_table(INDEXES) {
        Ok(t) => Ok(t
            .get(ns)?
            .map(|v| parse_specs(v.value()))
            .transpose()?
            .unwrap_or_default()),
        Err(redb::TableError::TableDoesNotExist(_)) => Ok(Vec::new()),
        Err(e) => Err(e.into()),
    }
}

/// The index specifications of `ns` in a write transaction.
pub(crate) fn specs(txn: &WriteTransaction, ns: &str) -> Result<Vec<IndexSpec>, StoreError> {
    let table = txn.open_table(INDEXES)?;
    let bytes = table.get(ns)?.map(|v| v.value().to_vec());
    bytes.map_or(Ok(Vec::new()), |b| parse_specs(&b))
}

pub(crate) fn save_specs(txn: &WriteTransaction, ns: &str, specs: &[IndexSpec]) -> Result<(), StoreError> {
    let list: Vec<Bson> = specs
        .iter()
        .map(|s| Bson::Document(doc! { "name": &s.name, "field": &s.field, "unique": s.unique }))
        .collect();
    let bytes = doc! { "indexes": list }.to_vec()?;
    txn.open_table(INDEXES)?.insert(ns, bytes.as_slice())?;
    Ok(())
}

/// The index keys of `doc` for `field`.
pub(crate) fn keys(doc: &Document, field: &str) -> Result<Vec<Vec<u8>>, StoreError> {
    let mut values: Vec<&Bson> = Vec::new();
    for v in values_at(doc, field) {
        match v {
            Bson::Array(items) if !items.is_empty() => values.extend(items.iter()),
            other => values.push(other),
        }
    }
    let mut out = Vec::with_capacity(values.len().max(1));
    if values.is_empty() {
        out.push(id_key(&Bson::Null)?);
    }
    for v in values {
        out.push(id_key(v)?);
    }
    out.sort_unstable();
    out.dedup();
    Ok(out)
}

/// Adds `doc` (at `seq`) to every index of `ns`. Unique indexes are all checked before anything
/// is written, so a refused document leaves every index as it was.
pub(crate) fn add(
    txn: &WriteTransaction,
    ns: &str,
    specs: &[IndexSpec],
    doc: &Document,
    seq: u64,
) -> Result<(), StoreError> {
    let mut planned = Vec::with_capacity(specs.len());
    for spec in specs {
        let doc_keys = keys(doc, &spec.field)?;
        if spec.unique {
            let t = txn.open_multimap_table(def(&table(ns, &spec.name)))?;
            for key in &doc_keys {
                let taken = t
                    .get(key.as_slice())?
                    .filter_map(Result::ok)
                    .any(|s| s.value() != seq);
                if taken {
                    let value = values_at(doc, &spec.field)
                        .first()
                        .map(|v| (*v).clone())
                        .unwrap_or(Bson::Null);
                    return Err(StoreError::DuplicateKey {
                        ns: ns.to_string(),
                        index: spec.name.clone(),
                        key: format!("{{ {}: {} }}", spec.field, value.into_relaxed_extjson()),
                    });
                }
            }
        }
        planned.push((table(ns, &spec.name), doc_keys));
    }
    for (name, doc_keys) in planned {
        let mut t = txn.open_multimap_table(def(&name))?;
        for key in doc_keys {
            t.insert(key.as_slice(), seq)?;
        }
    }
    Ok(())
}

/// The indexes among `specs` whose keys differ between `old` and `new`: only their entries
/// change when a document is rewritten (an update that leaves the indexed fields alone writes
/// no index page).
pub(crate) fn touched(
    specs: &[IndexSpec],
    old: &Document,
    new: &Document,
) -> Result<Vec<IndexSpec>, StoreError> {
    let mut out = Vec::new();
    for spec in specs {
        if keys(old, &spec.field)? != keys(new, &spec.field)? {
            out.push(spec.clone());
        }
    }
    Ok(out)
}

/// Removes `doc` (at `seq`) from every index of `ns`.
pub(crate) fn remove(
    txn: &WriteTransaction,
    ns: &str,
    specs: &[IndexSpec],
    doc: &Document,
    seq: u64,
) -> Result<(), StoreError> {
    for spec in specs {
        let name = table(ns, &spec.name);
        let mut t = txn.open_multimap_table(def(&name))?;
        for key in keys(doc, &spec.field)? {
            t.remove(key.as_slice(), seq)?;
        }
    }
    Ok(())
}

/// The top-level conditions of a filter an index could answer, each with the keys it matches:
/// `field: value` or `field: { $eq: value }` one, `field: { $in: [values] }` each of them; only
/// scalar values (a document, array or regular expression matches by more than its key).
pub(crate) fn keyed(filter: &Document) -> Vec<(&str, Vec<&Bson>)> {
    let scalar = |v: &Bson| !matches!(v, Bson::Document(_) | Bson::Array(_) | Bson::RegularExpression(_));
    filter
        .iter()
        .filter(|(k, _)| !k.starts_with('$') && k.as_str() != "_id")
        .filter_map(|(k, v)| {
            let values = match v {
                Bson::Document(d) if d.keys().next().is_some_and(|k| k.starts_with('$')) => {
                    match (d.len(), d.get("$eq"), d.get("$in")) {
                        (1, Some(v), _) => vec![v],
                        (1, _, Some(Bson::Array(list))) => list.iter().collect(),
                        _ => return None,
                    }
                }
                other => vec![other],
            };
            values.iter().all(|v| scalar(v)).then_some((k.as_str(), values))
        })
        .collect()
}

/// Calls `each`, until it says stop, with the sequence numbers an index gives for the
/// filter's first indexed condition (see [`keyed`]), in natural order; false when no index
/// applies. One value's numbers stream from the index (redb keeps them sorted), so a read
/// that wants one document of a key many share reads one entry, not all of them; several
/// values' (`$in`) are gathered and sorted first.
pub(crate) fn lookup<M>(
    specs: &[IndexSpec],
    filter: &Document,
    open: impl Fn(&str) -> Result<Option<M>, StoreError>,
    each: &mut dyn FnMut(u64) -> Result<bool, StoreError>,
) -> Result<bool, StoreError>
where
    M: redb::ReadableMultimapTable<&'static [u8], u64>,
{
    for (field, values) in keyed(filter) {
        let Some(spec) = specs.iter().find(|s| s.field == field) else {
            continue;
        };
        let Some(t) = open(&spec.name)? else { continue };
        if let [value] = values[..] {
            for seq in t.get(id_key(value)?.as_slice())? {
                crate::budget::tick()?;
                if !each(seq?.value())? {
                    break;
                }
            }
            return Ok(true);
        }
        let mut seqs = Vec::new();
        for value in values {
            let key = id_key(value)?;
            for seq in t.get(key.as_slice())? {
                crate::budget::tick()?;
                seqs.push(seq?.value());
            }
        }
        seqs.sort_unstable();
        seqs.dedup();
        for seq in seqs {
            if !each(seq)? {
                break;
            }
        }
        return Ok(true);
    }
    Ok(false)
}

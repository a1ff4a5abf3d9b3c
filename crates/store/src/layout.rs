//! How documents lie in redb: per collection, `docs:<ns>` from an insertion sequence number
//! to the document's bytes and `ids:<ns>` from the normalized `_id` to that number.

use bson::{Bson, Document, doc};
use redb::ReadableTable;

use crate::StoreError;

pub(crate) fn docs_table(ns: &str) -> String {
    format!("docs:{ns}")
}

pub(crate) fn ids_table(ns: &str) -> String {
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

pub(crate) fn decode(bytes: &[u8]) -> Result<Document, StoreError> {
    Ok(Document::from_reader(bytes)?)
}

/// The sequence number the `_id` index gives for `id` (none or one).
pub(crate) fn id_seqs(
    ids: &impl ReadableTable<&'static [u8], u64>,
    id: &Bson,
) -> Result<Vec<u64>, StoreError> {
    Ok(ids
        .get(id_key(id)?.as_slice())?
        .map(|s| s.value())
        .into_iter()
        .collect())
}

//! Sorting documents by a sort specification, in MongoDB's order: an array sorts by its
//! smallest element (largest, descending), an empty array below null and missing fields.

use std::cmp::Ordering;

use bson::{Bson, Document};

use crate::{
    StoreError,
    error::bad,
    order::{self, compare},
    path,
};

pub(crate) fn sort_value(doc: &Document, path: &str, descending: bool) -> Bson {
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

//! The output stages of a pipeline, `$out` and `$merge`: the documents the stages before them
//! produced are written to a collection of the store, in the same write transaction. The
//! pipeline then returns no documents, as in MongoDB.

use bson::{Bson, Document, doc};
use redb::WriteTransaction;

use crate::{Change, Ns, Store, StoreError, error::bad, order::equal};

/// A pipeline's last stage when it writes its output: `$out` or `$merge`.
pub(crate) fn output_stage(pipeline: &[Document]) -> Option<&Document> {
    let last = pipeline.last()?;
    (last.contains_key("$out") || last.contains_key("$merge")).then_some(last)
}

/// The collection a `$out`/`$merge` target names: a name in `ns`'s database, or `{db, coll}`.
fn target(ns: &Ns, spec: &Bson, what: &str) -> Result<Ns, StoreError> {
    match spec {
        Bson::String(coll) => Ns::new(&ns.db, coll),
        Bson::Document(d) => {
            let db = d.get_str("db").unwrap_or(&ns.db);
            let coll = d
                .get_str("coll")
                .map_err(|_| bad(format!("{what} needs a collection name ('coll')")))?;
            Ns::new(db, coll)
        }
        _ => Err(bad(format!("{what} must name a collection"))),
    }
}

/// Writes `docs` as `stage` says.
pub(crate) fn write(
    txn: &WriteTransaction,
    ns: &Ns,
    stage: &Document,
    docs: Vec<Document>,
) -> Result<(), StoreError> {
    // Past the deadline a stage may have stopped matching early: nothing is written then.
    crate::budget::tick()?;
    if let Some(spec) = stage.get("$out") {
        let into = target(ns, spec, "$out")?;
        // The collection is replaced by the output, all at once (one transaction).
        Store::delete_txn(txn, &into, &doc! {}, true)?;
        let (_, error) = Store::insert_txn(txn, &into, docs, true);
        return error.map_or(Ok(()), Err);
    }
    let spec = stage.get("$merge").cloned().unwrap_or(Bson::Null);
    let (into, on, matched, not_matched) = match &spec {
        Bson::String(_) => (
            target(ns, &spec, "$merge")?,
            vec!["_id".to_string()],
            "merge",
            "insert",
        ),
        Bson::Document(d) => {
            let into = target(ns, d.get("into").unwrap_or(&Bson::Null), "$merge")?;
            let on = match d.get("on") {
                None => vec!["_id".to_string()],
                Some(Bson::String(f)) => vec![f.clone()],
                Some(Bson::Array(fs)) => fs.iter().filter_map(|f| f.as_str().map(str::to_string)).collect(),
                Some(_) => return Err(bad("$merge: 'on' must be a field name or an array of them")),
            };
            let matched = match d.get("whenMatched") {
                None => "merge",
                Some(Bson::String(s)) => s.as_str(),
                Some(_) => {
                    return Err(StoreError::Unsupported(
                        "$merge with a whenMatched pipeline".into(),
                    ));
                }
            };
            let not_matched = d.get_str("whenNotMatched").unwrap_or("insert");
            (into, on, matched, not_matched)
        }
        _ => return Err(bad("$merge must name a collection")),
    };
    for doc in docs {
        let mut filter = Document::new();
        for field in &on {
            let value = crate::path::get_path(&doc, field)
                .cloned()
                .ok_or_else(|| bad(format!("$merge: a document has no '{field}', which 'on' names")))?;
            filter.insert(field.clone(), value);
        }
        let existing = Store::scan_write(txn, &into, &crate::Filter::parse(&filter)?, &filter, 1)?;
        match (existing.first(), matched, not_matched) {
            (Some(_), "replace", _) => {
                let mut replacement = doc.clone();
                replacement.remove("_id");
                Store::update_txn(txn, &into, &filter, &Change::Replace(replacement), false, false)?;
            }
            (Some(_), "keepExisting", _) => {}
            (Some((_, old)), "merge", _) => {
                let mut fields = doc.clone();
                if fields
                    .get("_id")
                    .is_some_and(|id| old.get("_id").is_some_and(|o| equal(id, o)))
                {
                    fields.remove("_id");
                }
                if !fields.is_empty() {
                    Store::update_txn(
                        txn,
                        &into,
                        &filter,
                        &Change::Operators(doc! {"$set": fields}, vec![]),
                        false,
                        false,
                    )?;
                }
            }
            (Some(_), "fail", _) => {
                return Err(bad(
                    "$merge: a document matched an existing one (whenMatched: fail)",
                ));
            }
            (Some(_), other, _) => return Err(bad(format!("$merge: unknown whenMatched '{other}'"))),
            (None, _, "insert") => {
                let (_, error) = Store::insert_txn(txn, &into, vec![doc], true);
                if let Some(e) = error {
                    return Err(e);
                }
            }
            (None, _, "discard") => {}
            (None, _, "fail") => {
                return Err(bad("$merge: a document matched none (whenNotMatched: fail)"));
            }
            (None, _, other) => return Err(bad(format!("$merge: unknown whenNotMatched '{other}'"))),
        }
    }
    Ok(())
}

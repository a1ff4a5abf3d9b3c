//! What an operation produced, typed, as both executors report it, and **the** one place it
//! becomes the result App Services gave functions and clients (`{matchedCount,
//! modifiedCount, upsertedId}`, `{insertedId}`, a document or null, ...).

use bson::{Bson, Document, doc};
pub use store::UpdateOutcome;

/// An operation's result.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// `find`, `aggregate`: the documents.
    Documents(Vec<Document>),
    /// `findOne` and the `findOneAnd*` methods: the document, if there is one.
    Document(Option<Document>),
    /// `insertOne`: the inserted `_id`.
    Inserted(Bson),
    /// `insertMany`: the inserted `_id`s, in order.
    InsertedMany(Vec<Bson>),
    /// `updateOne`, `updateMany`.
    Updated(UpdateOutcome),
    /// `deleteOne`, `deleteMany`: how many.
    Deleted(u64),
    /// `count`, `countDocuments`, `estimatedDocumentCount`.
    Count(u64),
    /// `distinct`: the values.
    Values(Vec<Bson>),
    /// `getCollectionNames`, `getDBNames`: the names, sorted.
    Names(Vec<String>),
    /// `bulkWrite` and the bulk builders' `execute`.
    Bulk(BulkTotals),
    /// Session and transaction commands.
    Done,
}

impl Outcome {
    /// The result App Services returned for this outcome.
    pub fn into_bson(self) -> Bson {
        match self {
            Outcome::Documents(docs) => Bson::Array(docs.into_iter().map(Bson::Document).collect()),
            Outcome::Document(d) => d.map_or(Bson::Null, Bson::Document),
            Outcome::Inserted(id) => Bson::Document(doc! { "insertedId": id }),
            Outcome::InsertedMany(ids) => Bson::Document(doc! { "insertedIds": ids }),
            Outcome::Updated(u) => {
                let mut out = doc! { "matchedCount": count(u.matched), "modifiedCount": count(u.modified) };
                if let Some(id) = u.upserted_id {
                    out.insert("upsertedId", id);
                }
                Bson::Document(out)
            }
            Outcome::Deleted(n) => Bson::Document(doc! { "deletedCount": count(n) }),
            Outcome::Count(n) => count(n),
            Outcome::Values(values) => Bson::Array(values),
            Outcome::Names(names) => Bson::Array(names.into_iter().map(Bson::String).collect()),
            Outcome::Bulk(totals) => totals.into_bson(),
            Outcome::Done => Bson::Null,
        }
    }
}

/// A count as functions see it: Int32 when it fits (realm-core reads counts as Int32).
pub fn count(n: u64) -> Bson {
    match i32::try_from(n) {
        Ok(i) => Bson::Int32(i),
        Err(_) => Bson::Int64(n as i64),
    }
}

/// The counts of a bulk write, in the Node driver's `BulkWriteResult` names.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct BulkTotals {
    /// Documents inserted.
    pub inserted: u64,
    /// Documents the updates and replacements matched.
    pub matched: u64,
    /// Documents they changed.
    pub modified: u64,
    /// Documents deleted.
    pub deleted: u64,
    /// `(index of the write, _id)` of each upserted document.
    pub upserted: Vec<(usize, Bson)>,
}

impl BulkTotals {
    /// Counts one update or replacement, the write at `index`.
    pub fn add_update(&mut self, index: usize, matched: u64, modified: u64, upserted_id: Option<Bson>) {
        self.matched += matched;
        self.modified += modified;
        if let Some(id) = upserted_id {
            self.upserted.push((index, id));
        }
    }

    fn into_bson(self) -> Bson {
        let mut ids = Document::new();
        for (i, id) in &self.upserted {
            ids.insert(i.to_string(), id.clone());
        }
        Bson::Document(doc! {
            "insertedCount": count(self.inserted),
            "matchedCount": count(self.matched),
            "modifiedCount": count(self.modified),
            "deletedCount": count(self.deleted),
            "upsertedCount": count(self.upserted.len() as u64),
            "upsertedIds": ids,
        })
    }
}

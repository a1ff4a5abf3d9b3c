//! `context.services.get("mongodb-atlas")`: the database, collection and cursor objects of App
//! Services functions, executed by the official MongoDB driver (or, later, the embedded store).
//!
//! The JS side (`prelude.js`) only gathers each method's arguments into a spec; [`Request::parse`]
//! turns the spec into a plain `Send` [`Request`] with errors naming the method and argument; an
//! [`Executor`] runs it on the async runtime. That split is the seam: [`DriverExecutor`] runs
//! operations on MongoDB, and any other backend implements the same trait.

mod driver;
mod embedded;
pub mod feed;
mod field_rules;
mod ops;
pub mod rules;
mod service;

use bson::{Bson, Document, doc};
pub use driver::DriverExecutor;
pub use embedded::StoreExecutor;
pub use ops::{Op, ParseError, Request, SessionId, Update, WriteModel};
pub use rules::{RuleEnv, RuleError, Rules};
pub use service::MongoService;
/// The database and collection an operation addresses: the store's type, shared by both executors.
pub use store::Ns;

use engine::host::HostError;
/// The future an [`Executor`] returns: the App Services-shaped result of one operation.
pub use engine::host::OpFuture;

/// Runs operations against a backend. The one place that talks to a database.
pub trait Executor: Send + Sync + 'static {
    /// Starts a request; the future resolves to the result shape App Services returns for it.
    fn execute(&self, request: Request) -> OpFuture;

    /// Subscribes to the committed changes of every app database from `start` (see
    /// [`feed`]); must be called within the async runtime.
    fn subscribe(&self, start: feed::Start) -> Result<feed::Changes, HostError> {
        let _ = start;
        Err(HostError::new("this data source has no change feed"))
    }

    /// The resume token of the last committed change, where the data source can tell
    /// (`None`: subscribe from [`feed::Start::Now`]).
    fn position(&self) -> Result<Option<Document>, HostError> {
        Ok(None)
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
#[derive(Default)]
pub(crate) struct BulkTotals {
    pub inserted: u64,
    matched: u64,
    modified: u64,
    pub deleted: u64,
    upserted: Vec<(usize, Bson)>,
}

impl BulkTotals {
    pub fn add_update(&mut self, index: usize, matched: u64, modified: u64, upserted_id: Option<Bson>) {
        self.matched += matched;
        self.modified += modified;
        if let Some(id) = upserted_id {
            self.upserted.push((index, id));
        }
    }

    pub fn into_bson(self) -> Bson {
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

/// One write of a bulk write is done: an ordered bulk write stops at its first error, an
/// unordered one goes on and keeps the first error to report at the end.
pub(crate) fn keep_going<E>(
    first_error: &mut Option<E>,
    result: Result<(), E>,
    ordered: bool,
) -> Result<(), E> {
    match result {
        Err(e) if ordered => Err(e),
        Err(e) => {
            first_error.get_or_insert(e);
            Ok(())
        }
        Ok(()) => Ok(()),
    }
}

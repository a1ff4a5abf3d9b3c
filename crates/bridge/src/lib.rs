//! `context.services.get("mongodb-atlas")`: the database, collection and cursor objects of App
//! Services functions, executed by the official MongoDB driver (or, later, the embedded store).
//!
//! The JS side (`prelude.js`) only gathers each method's arguments into a spec; [`Request::parse`]
//! turns the spec into a plain `Send` [`Request`] with errors naming the method and argument; an
//! [`Executor`] runs it on the async runtime. That split is the seam: [`DriverExecutor`] runs
//! operations on MongoDB, and any other backend implements the same trait.

mod driver;
mod driver_checked;
mod embedded;
pub mod feed;
mod field_rules;
mod ops;
mod outcome;
pub mod rules;
pub mod schema;
mod service;
mod streams;

use bson::Document;
pub use driver::DriverExecutor;
pub use embedded::StoreExecutor;
pub use ops::{Op, ParseError, Request, SessionId, Update, WriteModel};
pub use outcome::{BulkTotals, Outcome, UpdateOutcome, count};
pub use rules::{RuleEnv, RuleError, Rules};
pub use service::MongoService;
/// The database and collection an operation addresses: the store's type, shared by both executors.
pub use store::Ns;

use engine::host::HostError;
/// The future a host service's operation returns to a function: its App Services-shaped
/// result.
pub use engine::host::OpFuture;

/// The most documents one query returns, as on App Services (its documented limit, 50,000):
/// the documents past it are left out.
pub const MAX_RESULT_DOCUMENTS: usize = 50_000;

/// The most bytes one query's documents may take: what a worker process accepts in one
/// message. A larger result fails with [`result_too_large`] rather than being gathered whole.
pub const MAX_RESULT_BYTES: usize = 48_000_000;

/// The error of a query whose documents pass [`MAX_RESULT_BYTES`].
pub fn result_too_large() -> HostError {
    HostError::new(format!(
        "the operation's result is too large: its documents pass {MAX_RESULT_BYTES} bytes; narrow the query or read it in parts (limit, skip, a range of _id)"
    ))
}

/// The bytes of a query's documents so far, checked against [`MAX_RESULT_BYTES`] as they are
/// gathered (both executors).
#[derive(Default)]
pub(crate) struct ResultBytes(usize);

impl ResultBytes {
    /// Counts one more document; fails once the result passes the limit.
    pub(crate) fn add(&mut self, d: &Document) -> Result<(), HostError> {
        self.0 += store::budget::doc_size(d);
        if self.0 > MAX_RESULT_BYTES {
            Err(result_too_large())
        } else {
            Ok(())
        }
    }
}

/// The future an [`Executor`] returns: what one operation produced.
pub type OutcomeFuture =
    std::pin::Pin<Box<dyn std::future::Future<Output = Result<Outcome, HostError>> + Send>>;

/// The future [`Executor::position`] returns.
pub type PositionFuture =
    std::pin::Pin<Box<dyn std::future::Future<Output = Result<Option<Document>, HostError>> + Send>>;

/// Runs operations against a backend. The one place that talks to a database.
pub trait Executor: Send + Sync + 'static {
    /// Starts a request; the future resolves to what it produced ([`Outcome::into_bson`] gives
    /// the result App Services returned for it).
    fn execute(&self, request: Request) -> OutcomeFuture;

    /// Subscribes to the committed changes of every app database from `start` (see
    /// [`feed`]); must be called within the async runtime.
    fn subscribe(&self, start: feed::Start) -> Result<feed::Changes, HostError> {
        let _ = start;
        Err(HostError::new("this data source has no change feed"))
    }

    /// The resume token of the present point of the change feed, where the data source can
    /// tell (`None`: subscribe from [`feed::Start::Now`]): a consumer that stores it and later
    /// subscribes after it misses no change committed in between.
    fn position(&self) -> PositionFuture {
        Box::pin(std::future::ready(Ok(None)))
    }

    /// Makes finding documents of `ns` by `field` (equality or `$in`) go through an index,
    /// where writ keeps the data source's indexes itself. Blocking: call it off the async
    /// runtime.
    fn index_field(&self, ns: &Ns, field: &str) -> Result<(), HostError>;
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

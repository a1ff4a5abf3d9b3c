//! The change feed seam: committed writes as MongoDB change events, in commit order, for
//! database triggers and clients' `watch()`. The embedded store reads its change log
//! (`store::changes`); MongoDB serves change streams (a replica set is needed). One consumer
//! API over both: [`Executor::subscribe`](crate::Executor::subscribe).

use bson::Document;
use engine::host::HostError;
use tokio::sync::mpsc;

/// Where a subscription starts.
#[derive(Debug, Clone, PartialEq)]
pub enum Start {
    /// With the next change committed from now on.
    Now,
    /// After the event whose resume token (`_id`) this is.
    After(Document),
}

/// The events of a subscription, in commit order, each with its resume token as `_id`, the
/// post-image as `fullDocument` (not for deletes) and, where known, the pre-image as
/// `fullDocumentBeforeChange`. An `Err` ends the subscription (e.g. the resume point is no
/// longer in the log: code 286, `ChangeStreamHistoryLost`). Dropping the receiver ends it.
pub type Changes = mpsc::Receiver<Result<Document, HostError>>;

/// How many events a subscription buffers before its reader catches up.
pub const BUFFER: usize = 256;

/// The feed's own databases never appear: writ's (`__writ_*`).
pub fn visible(event: &Document) -> bool {
    let db = event
        .get_document("ns")
        .and_then(|ns| ns.get_str("db"))
        .unwrap_or_default();
    !crate::rules::is_internal(db)
}

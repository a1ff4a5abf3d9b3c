//! A check every document a write leaves must pass: the caller's document validator (writ's
//! schemas for a user's writes), set for the operations it runs on this thread with
//! [`within`], like [`crate::budget::within`]'s deadline, and carried with them to the writer
//! thread.
//!
//! The store asks it before it writes anything: for each document an insert adds, and for each
//! document an update, replacement or upsert leaves (with what was there before). A document
//! that fails stops the operation with [`StoreError::DocumentValidation`]; an `updateMany` or
//! `insertMany` checks every document before it writes the first, so a failure leaves all of
//! them as they were. Deletes are not checked. Without a check set (system writes, writ's own
//! data) nothing is asked.

use std::{cell::RefCell, sync::Arc};

use bson::Document;

use crate::StoreError;

/// A document validator: `Err` says why the document (after the write; with what was there
/// before, for an update) may not be written.
pub type Check = Arc<dyn Fn(Option<&Document>, &Document) -> Result<(), String> + Send + Sync>;

thread_local! {
    static CHECK: RefCell<Option<Check>> = const { RefCell::new(None) };
}

/// Runs `f` with `check` as the validator of the writes it does on this thread; the previous
/// one is back afterwards.
pub fn within<T>(check: Option<Check>, f: impl FnOnce() -> T) -> T {
    struct Restore(Option<Check>);
    impl Drop for Restore {
        fn drop(&mut self) {
            CHECK.set(self.0.take());
        }
    }
    let _restore = Restore(CHECK.replace(check));
    f()
}

/// The validator set on this thread, to carry to the thread that writes.
pub fn current() -> Option<Check> {
    CHECK.with_borrow(|c| c.clone())
}

/// Whether a validator is set.
pub(crate) fn active() -> bool {
    CHECK.with_borrow(|c| c.is_some())
}

/// Asks the validator, if one is set, about `after` (and `before`).
pub(crate) fn check(before: Option<&Document>, after: &Document) -> Result<(), StoreError> {
    CHECK.with_borrow(|c| match c {
        Some(check) => check(before, after).map_err(StoreError::DocumentValidation),
        None => Ok(()),
    })
}

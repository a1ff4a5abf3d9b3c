//! How long a store operation may run. The caller sets a deadline for the work it asks of
//! the store on this thread ([`within`]); every loop over documents, index entries or array
//! elements ticks ([`tick`]), and past the deadline the operation fails with MongoDB's
//! `MaxTimeMSExpired` instead of running on after its caller gave up. Like MongoDB's
//! `maxTimeMS`, a write stopped this way keeps what it already wrote.

use std::cell::Cell;
use std::time::Instant;

use crate::StoreError;

thread_local! {
    static DEADLINE: Cell<Option<Instant>> = const { Cell::new(None) };
    static TICKS: Cell<u32> = const { Cell::new(0) };
}

/// Ticks between two readings of the clock (~25 ns each here): a tick can be one document
/// tested against a filter of many thousands of branches, so the clock is read often.
const CHECK_EVERY: u32 = 16;

/// Runs `f` with `deadline` (`None`: no limit) as the limit of the store work it does on this
/// thread; the previous limit is back afterwards.
pub fn within<T>(deadline: Option<Instant>, f: impl FnOnce() -> T) -> T {
    struct Restore(Option<Instant>);
    impl Drop for Restore {
        fn drop(&mut self) {
            DEADLINE.set(self.0);
        }
    }
    let _restore = Restore(DEADLINE.replace(deadline));
    TICKS.set(0);
    f()
}

/// The deadline of the work this thread is doing, for work it hands to another thread.
pub fn deadline() -> Option<Instant> {
    DEADLINE.get()
}

/// One unit of work done: fails once this thread's deadline has passed (checked on every
/// [`CHECK_EVERY`]th tick, so a tick costs a counter increment).
pub(crate) fn tick() -> Result<(), StoreError> {
    let n = TICKS.get().wrapping_add(1);
    TICKS.set(n);
    if n.is_multiple_of(CHECK_EVERY) {
        check()
    } else {
        Ok(())
    }
}

/// Fails if this thread's deadline has passed.
pub(crate) fn check() -> Result<(), StoreError> {
    match DEADLINE.get() {
        Some(deadline) if Instant::now() >= deadline => Err(StoreError::TimeLimit),
        _ => Ok(()),
    }
}

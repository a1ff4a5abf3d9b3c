//! What a store operation may spend: time and memory. The caller runs the work it asks of the
//! store on this thread inside [`within`], with a deadline.
//!
//! Time: every loop over documents, index entries or array elements ticks ([`tick`]), and past
//! the deadline the operation fails with MongoDB's `MaxTimeMSExpired` instead of running on
//! after its caller gave up. Like MongoDB's `maxTimeMS`, a write stopped this way keeps what it
//! already wrote.
//!
//! Memory: the store holds the documents a read returns, and each stage of an aggregation
//! builds its output in memory. What an operation keeps is charged ([`charge`]): one stage may
//! hold [`STAGE_BYTES`] (MongoDB's limit for a stage without `allowDiskUse`), and all the
//! operations running in this process [`TOTAL_BYTES`] together, so no call, however many
//! operations it starts at once, can take the server's memory. Work outside [`within`] (the
//! server's own) is not charged.

use std::cell::Cell;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::time::Instant;

use crate::StoreError;

/// The bytes one stage of an operation may hold: MongoDB's 100 MB for a blocking stage.
pub const STAGE_BYTES: u64 = 100 * 1024 * 1024;
/// The bytes all operations running in this process may hold together.
pub const TOTAL_BYTES: u64 = 1024 * 1024 * 1024;

/// What all running operations hold now.
static HELD: AtomicU64 = AtomicU64::new(0);

/// One operation's charges: its current stage's, and the stage before it (its input).
#[derive(Clone, Copy)]
struct Usage {
    stage: u64,
    input: u64,
    limit: u64,
}

thread_local! {
    static DEADLINE: Cell<Option<Instant>> = const { Cell::new(None) };
    static TICKS: Cell<u32> = const { Cell::new(0) };
    static USAGE: Cell<Option<Usage>> = const { Cell::new(None) };
    static NOW: Cell<Option<bson::DateTime>> = const { Cell::new(None) };
    static BOUND: Cell<Option<Bound>> = const { Cell::new(None) };
}

/// What a [`bounded`] read may still do.
#[derive(Clone, Copy)]
struct Bound {
    ticks: u32,
    bytes: usize,
    spent: bool,
}

/// Runs `f`, a read, with at most `ticks` units of work ([`tick`]) and `bytes` of stored
/// documents looked at ([`read`]): `None` if it needed more (what `f` returned is then dropped,
/// even a success, since code that swallowed the [`StoreError::Unbounded`] of a tick may have
/// answered early). For reads tried on a thread that must not wait long.
pub fn bounded<T>(ticks: u32, bytes: usize, f: impl FnOnce() -> T) -> Option<T> {
    struct Restore(Option<Bound>);
    impl Drop for Restore {
        fn drop(&mut self) {
            BOUND.set(self.0);
        }
    }
    let _restore = Restore(BOUND.replace(Some(Bound {
        ticks,
        bytes,
        spent: false,
    })));
    let out = f();
    match BOUND.get() {
        Some(b) if !b.spent => Some(out),
        _ => None,
    }
}

/// Fails with [`StoreError::Unbounded`] once this thread's [`bounded`] read has spent its bound
/// (and on every later call): `spend` takes from it and says whether there was enough.
fn within_bound(spend: impl FnOnce(&mut Bound) -> bool) -> Result<(), StoreError> {
    let Some(mut b) = BOUND.get() else {
        return Ok(());
    };
    if !b.spent && !spend(&mut b) {
        b.spent = true;
    }
    BOUND.set(Some(b));
    if b.spent {
        Err(StoreError::Unbounded)
    } else {
        Ok(())
    }
}

/// A stored document of `bytes` is about to be looked at: fails past a [`bounded`] read's bytes.
pub(crate) fn read(bytes: usize) -> Result<(), StoreError> {
    within_bound(|b| take(&mut b.bytes, bytes))
}

/// Takes `n` from `left`; false (and `left` unchanged) when it holds less.
fn take<T: Copy + std::ops::Sub<Output = T> + PartialOrd>(left: &mut T, n: T) -> bool {
    let enough = *left >= n;
    if enough {
        *left = *left - n;
    }
    enough
}

/// Ticks between two readings of the clock (~25 ns each here): a tick can be one document
/// tested against a filter of many thousands of branches, so the clock is read often.
const CHECK_EVERY: u32 = 16;

/// Runs `f` as one operation with `deadline` (`None`: no limit) as the limit of the store work
/// it does on this thread, its memory charged from zero against [`STAGE_BYTES`] per stage;
/// the previous limits are back afterwards.
pub fn within<T>(deadline: Option<Instant>, f: impl FnOnce() -> T) -> T {
    within_memory(deadline, STAGE_BYTES, f)
}

/// [`within`], with `stage_bytes` as the most one stage of the operation may hold.
pub fn within_memory<T>(deadline: Option<Instant>, stage_bytes: u64, f: impl FnOnce() -> T) -> T {
    struct Restore(Option<Instant>, Option<Usage>, Option<bson::DateTime>);
    impl Drop for Restore {
        fn drop(&mut self) {
            DEADLINE.set(self.0);
            NOW.set(self.2);
            if let Some(u) = USAGE.replace(self.1) {
                HELD.fetch_sub(u.stage + u.input, Relaxed);
            }
        }
    }
    let usage = Usage {
        stage: 0,
        input: 0,
        limit: stage_bytes,
    };
    let _restore = Restore(
        DEADLINE.replace(deadline),
        USAGE.replace(Some(usage)),
        NOW.replace(None),
    );
    TICKS.set(0);
    f()
}

/// `$$NOW`: the time this thread's operation first asked for it, the same in every stage
/// and document of the operation, as in MongoDB (outside an operation, the present time).
pub(crate) fn now() -> bson::DateTime {
    NOW.get().unwrap_or_else(|| {
        let now = bson::DateTime::now();
        if USAGE.get().is_some() {
            NOW.set(Some(now));
        }
        now
    })
}

/// The deadline of the work this thread is doing, for work it hands to another thread.
pub fn deadline() -> Option<Instant> {
    DEADLINE.get()
}

/// One unit of work done: fails once this thread's deadline has passed (checked on every
/// [`CHECK_EVERY`]th tick, so a tick costs a counter increment).
pub(crate) fn tick() -> Result<(), StoreError> {
    within_bound(|b| take(&mut b.ticks, 1))?;
    let n = TICKS.get().wrapping_add(1);
    TICKS.set(n);
    if !n.is_multiple_of(CHECK_EVERY) {
        return Ok(());
    }
    let checked = check();
    if checked.is_err() {
        // Once passed, every later tick fails too: code that stops early on a failed tick
        // without returning the error (a geometry test answering "no match") leaves the next
        // tick of its caller to fail the operation.
        TICKS.set(n.wrapping_sub(1));
    }
    checked
}

/// Fails if this thread's deadline has passed.
pub(crate) fn check() -> Result<(), StoreError> {
    match DEADLINE.get() {
        Some(deadline) if Instant::now() >= deadline => Err(StoreError::TimeLimit),
        _ => Ok(()),
    }
}

/// The operation now holds `bytes` more: fails past its stage's limit or the process's.
pub(crate) fn charge(bytes: usize) -> Result<(), StoreError> {
    let Some(mut usage) = USAGE.get() else {
        return Ok(());
    };
    let bytes = bytes as u64;
    usage.stage += bytes;
    USAGE.set(Some(usage));
    let held = HELD.fetch_add(bytes, Relaxed) + bytes;
    if usage.stage > usage.limit {
        Err(StoreError::MemoryLimit(usage.limit))
    } else if held > TOTAL_BYTES {
        Err(StoreError::Busy(TOTAL_BYTES))
    } else {
        Ok(())
    }
}

/// Runs `f`, a pipeline inside a stage (`$facet`, `$lookup`'s, `$unionWith`'s), with stage
/// accounting of its own under the same limits; what it held is freed when it returns (the
/// caller charges what it keeps of the result).
pub(crate) fn nested<T>(f: impl FnOnce() -> T) -> T {
    struct Restore(Option<Usage>);
    impl Drop for Restore {
        fn drop(&mut self) {
            if let Some(u) = USAGE.replace(self.0) {
                HELD.fetch_sub(u.stage + u.input, Relaxed);
            }
        }
    }
    let outer = USAGE.get();
    let _restore = Restore(outer);
    USAGE.set(outer.map(|u| Usage {
        stage: 0,
        input: 0,
        limit: u.limit,
    }));
    f()
}

/// The most one stage of this thread's operation may hold ([`STAGE_BYTES`] outside one).
pub(crate) fn stage_limit() -> u64 {
    USAGE.get().map_or(STAGE_BYTES, |u| u.limit)
}

/// The operation starts its next stage: what the stage before the last held is freed, and the
/// last stage's output is the new stage's input.
pub(crate) fn next_stage() {
    if let Some(usage) = USAGE.get() {
        HELD.fetch_sub(usage.input, Relaxed);
        USAGE.set(Some(Usage {
            stage: 0,
            input: usage.stage,
            ..usage
        }));
    }
}

/// About how many bytes `d` takes in memory once decoded: each field's value slot, key and
/// hash-table entry besides what its value owns. What an operation holds is charged by this;
/// the BSON size ([`doc_size`]) is several times smaller for many small values.
pub fn held_doc_size(d: &bson::Document) -> usize {
    const ENTRY: usize = std::mem::size_of::<bson::Bson>() + std::mem::size_of::<String>() + 16;
    std::mem::size_of::<bson::Document>()
        + d.iter()
            .map(|(k, v)| ENTRY + k.len() + held_size(v))
            .sum::<usize>()
}

/// About how many bytes `v` owns in memory besides its own slot (which its container counts).
pub fn held_size(v: &bson::Bson) -> usize {
    use bson::Bson;
    match v {
        Bson::String(s) | Bson::JavaScriptCode(s) | Bson::Symbol(s) => s.len(),
        Bson::Document(d) => held_doc_size(d),
        Bson::Array(a) => a
            .iter()
            .map(|v| std::mem::size_of::<Bson>() + held_size(v))
            .sum::<usize>(),
        Bson::Binary(b) => b.bytes.len(),
        Bson::RegularExpression(r) => r.pattern.as_str().len() + r.options.as_str().len(),
        Bson::JavaScriptCodeWithScope(c) => c.code.len() + held_doc_size(&c.scope),
        _ => 0,
    }
}

/// About how many bytes `d` takes as BSON (the size of a result on the wire).
pub fn doc_size(d: &bson::Document) -> usize {
    d.iter().map(|(k, v)| k.len() + 1 + value_size(v)).sum::<usize>() + 5
}

/// About how many bytes `v` takes as BSON.
pub fn value_size(v: &bson::Bson) -> usize {
    use bson::Bson;
    match v {
        Bson::String(s) | Bson::JavaScriptCode(s) | Bson::Symbol(s) => s.len() + 5,
        Bson::Document(d) => doc_size(d),
        Bson::Array(a) => a.iter().map(|v| 4 + value_size(v)).sum::<usize>() + 5,
        Bson::Binary(b) => b.bytes.len() + 5,
        Bson::RegularExpression(r) => r.pattern.as_str().len() + r.options.as_str().len() + 2,
        Bson::JavaScriptCodeWithScope(c) => c.code.len() + doc_size(&c.scope) + 8,
        Bson::DbPointer(_) | Bson::Decimal128(_) => 16,
        _ => 8,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn charges_are_freed_when_the_operation_ends() {
        let before = HELD.load(Relaxed);
        let err = within(None, || {
            charge(60 * 1024 * 1024)?;
            next_stage();
            charge(60 * 1024 * 1024)?;
            next_stage();
            charge(60 * 1024 * 1024)?;
            charge(60 * 1024 * 1024)
        });
        assert!(matches!(err, Err(StoreError::MemoryLimit(_))), "{err:?}");
        // Other tests charge at the same time; this one's charges are gone.
        assert!(HELD.load(Relaxed) < before + 60 * 1024 * 1024);
        assert!(
            charge(usize::MAX / 2).is_ok(),
            "outside an operation nothing is charged"
        );
    }

    #[test]
    fn held_sizes_count_each_value_s_slot() {
        let ints = bson::Bson::Array((0..1000).map(bson::Bson::Int32).collect());
        let slot = std::mem::size_of::<bson::Bson>();
        assert!(held_size(&ints) >= 1000 * slot, "{}", held_size(&ints));
        assert!(value_size(&ints) < 1000 * slot / 4, "{}", value_size(&ints));
        let text = bson::Bson::String("x".repeat(1 << 20));
        assert_eq!(held_size(&text), 1 << 20);
    }

    #[test]
    fn sizes_are_near_the_bson_size() {
        let d = bson::doc! { "a": "x".repeat(1000), "b": [1, 2, {"c": 3.5}], "d": {"e": true} };
        let real = d.to_vec().unwrap().len();
        let estimate = doc_size(&d);
        assert!(
            estimate >= real / 2 && estimate <= real * 2,
            "{estimate} vs {real}"
        );
    }
}

//! The allocator that enforces a worker process's memory limit.
//!
//! Boa has no heap limit and a failed allocation aborts a Rust process, so the limit is kept
//! where every byte passes: the global allocator. A binary that runs workers installs
//! [`Counting`] as its `#[global_allocator]`. It counts live bytes only once [`enable`] has been
//! called (in a worker process); past the ceiling the worker exits at once with
//! [`EXIT_MEMORY`], the kernel takes back every page, and the engine reports the call's
//! `ExecutionMemoryLimitExceeded`. In any other process it is the system allocator plus one
//! relaxed load per allocation.

use std::{
    alloc::{GlobalAlloc, Layout, System},
    sync::atomic::{AtomicBool, AtomicIsize, Ordering::Relaxed},
};

/// The exit code of a worker that passed its memory limit.
pub const EXIT_MEMORY: i32 = 86;

static ON: AtomicBool = AtomicBool::new(false);
static LIVE: AtomicIsize = AtomicIsize::new(0);
static PEAK: AtomicIsize = AtomicIsize::new(0);
static CEILING: AtomicIsize = AtomicIsize::new(isize::MAX);

/// The system allocator, counting live bytes against a ceiling once enabled.
pub struct Counting;

#[inline]
fn grow(by: usize) {
    let by = by as isize;
    let now = LIVE.fetch_add(by, Relaxed).saturating_add(by);
    if now > CEILING.load(Relaxed) {
        // No allocation, no unwinding: the parent reads the exit code.
        unsafe { libc::_exit(EXIT_MEMORY) }
    }
    PEAK.fetch_max(now, Relaxed);
}

#[inline]
fn shrink(by: usize) {
    LIVE.fetch_sub(by as isize, Relaxed);
}

// SAFETY: every method forwards to `System` with the same arguments; the counters never
// change what is allocated.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if ON.load(Relaxed) {
            grow(layout.size());
        }
        unsafe { System.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        if ON.load(Relaxed) {
            grow(layout.size());
        }
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        if ON.load(Relaxed) {
            shrink(layout.size());
        }
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        if ON.load(Relaxed) {
            if new_size > layout.size() {
                grow(new_size - layout.size());
            } else {
                shrink(layout.size() - new_size);
            }
        }
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

/// Starts counting; called once, first thing in a worker process.
pub fn enable() {
    ON.store(true, Relaxed);
}

/// Whether this process counts its allocations (its binary installed [`Counting`] and
/// enabled it).
pub fn counting() -> bool {
    ON.load(Relaxed) && LIVE.load(Relaxed) != 0
}

/// Lets the process hold at most `limit` bytes more than it holds now, and restarts the peak.
/// Returns the bytes held now.
pub fn limit_from_now(limit: u64) -> isize {
    let now = LIVE.load(Relaxed);
    PEAK.store(now, Relaxed);
    let limit = isize::try_from(limit).unwrap_or(isize::MAX);
    CEILING.store(now.saturating_add(limit), Relaxed);
    now
}

/// The most bytes held at once since the last [`limit_from_now`].
pub fn peak() -> isize {
    PEAK.load(Relaxed)
}

/// The bytes held now.
pub fn live() -> isize {
    LIVE.load(Relaxed)
}

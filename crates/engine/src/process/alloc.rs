//! The allocator that enforces each call's memory limit in a worker process.
//!
//! Boa has no heap limit and a failed allocation aborts a Rust process, so the limit is kept
//! where every byte passes: the global allocator. A binary that runs workers installs
//! [`Counting`] as its `#[global_allocator]`. Once [`enable`] has been called (in a worker
//! process) it counts, per thread, the bytes allocated minus the bytes freed: a call runs on its
//! slot's thread, whose JavaScript heap is that thread's alone, so the count is the call's.
//! Past the thread's ceiling the process exits at once with [`exit_code_memory`] of the
//! thread's slot, the kernel takes back every page, and the engine reports
//! `ExecutionMemoryLimitExceeded` to that slot's call. In any other process it is the system
//! allocator plus one relaxed load per allocation.

use std::{
    alloc::{GlobalAlloc, Layout, System},
    cell::Cell,
    sync::atomic::{AtomicBool, Ordering::Relaxed},
};

/// The exit code of a worker that passed a memory limit on a thread with no slot.
pub const EXIT_MEMORY: i32 = 86;
/// Exit codes `EXIT_MEMORY_SLOTS + slot`: slot `slot`'s call passed its memory limit.
const EXIT_MEMORY_SLOTS: i32 = 100;
/// Exit codes `EXIT_STACK_SLOTS + slot`: slot `slot`'s call overflowed its stack.
const EXIT_STACK_SLOTS: i32 = 160;
/// The most slots (concurrent calls) one worker process may have: its exit codes name them.
pub const MAX_SLOTS: usize = 60;

static ON: AtomicBool = AtomicBool::new(false);

/// One thread's counters.
struct Counters {
    live: Cell<isize>,
    peak: Cell<isize>,
    ceiling: Cell<isize>,
    /// The slot whose calls this thread runs, or -1.
    slot: Cell<i32>,
}

thread_local! {
    // Const-initialized and without a destructor: usable from the allocator and from a signal
    // handler on this thread at any time.
    static THREAD: Counters = const {
        Counters {
            live: Cell::new(0),
            peak: Cell::new(0),
            ceiling: Cell::new(isize::MAX),
            slot: Cell::new(-1),
        }
    };
}

/// The system allocator, counting live bytes per thread against a ceiling once enabled.
pub struct Counting;

#[inline]
fn grow(by: usize) {
    let by = by as isize;
    let _ = THREAD.try_with(|t| {
        let now = t.live.get().saturating_add(by);
        t.live.set(now);
        if now > t.ceiling.get() {
            // No allocation, no unwinding: the parent reads the exit code.
            unsafe { libc::_exit(exit_code_memory(t.slot.get())) }
        }
        if now > t.peak.get() {
            t.peak.set(now);
        }
    });
}

#[inline]
fn shrink(by: usize) {
    let _ = THREAD.try_with(|t| t.live.set(t.live.get().saturating_sub(by as isize)));
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

/// Marks this thread as the one that runs slot `slot`'s calls: its exit codes name the slot.
pub fn set_slot(slot: usize) {
    THREAD.with(|t| t.slot.set(slot as i32));
}

/// The exit code that says slot `slot` (or, for -1, an unknown thread) passed its memory limit.
fn exit_code_memory(slot: i32) -> i32 {
    if (0..MAX_SLOTS as i32).contains(&slot) {
        EXIT_MEMORY_SLOTS + slot
    } else {
        EXIT_MEMORY
    }
}

/// The exit code that says this thread's slot overflowed its stack.
pub(crate) fn exit_code_stack() -> i32 {
    let slot = THREAD.try_with(|t| t.slot.get()).unwrap_or(-1);
    if (0..MAX_SLOTS as i32).contains(&slot) {
        EXIT_STACK_SLOTS + slot
    } else {
        super::child::EXIT_STACK
    }
}

/// What a worker's exit code says about why it ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExitReason {
    /// A call passed its memory limit: the one in `slot`, when known.
    Memory(Option<usize>),
    /// A call overflowed its stack: the one in `slot`, when known.
    Stack(Option<usize>),
    /// Anything else (a crash, a kill, a clean exit).
    Other,
}

/// Reads a worker's exit code.
pub fn exit_reason(code: Option<i32>) -> ExitReason {
    let slot = |base: i32, c: i32| usize::try_from(c - base).ok().filter(|s| *s < MAX_SLOTS);
    match code {
        Some(EXIT_MEMORY) => ExitReason::Memory(None),
        Some(c) if c == super::child::EXIT_STACK => ExitReason::Stack(None),
        Some(c) if slot(EXIT_MEMORY_SLOTS, c).is_some() => ExitReason::Memory(slot(EXIT_MEMORY_SLOTS, c)),
        Some(c) if slot(EXIT_STACK_SLOTS, c).is_some() => ExitReason::Stack(slot(EXIT_STACK_SLOTS, c)),
        _ => ExitReason::Other,
    }
}

/// Lets this thread hold at most `limit` bytes more than it holds now, and restarts its peak.
/// Returns the bytes held now.
pub fn limit_from_now(limit: u64) -> isize {
    THREAD.with(|t| {
        let now = t.live.get();
        t.peak.set(now);
        let limit = isize::try_from(limit).unwrap_or(isize::MAX);
        t.ceiling.set(now.saturating_add(limit));
        now
    })
}

/// The most bytes this thread held at once since its last [`limit_from_now`].
pub fn peak() -> isize {
    THREAD.with(|t| t.peak.get())
}

/// The bytes this thread holds now.
pub fn live() -> isize {
    THREAD.with(|t| t.live.get())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exit_codes_name_the_slot() {
        assert_eq!(
            exit_reason(Some(exit_code_memory(3))),
            ExitReason::Memory(Some(3))
        );
        assert_eq!(exit_reason(Some(exit_code_memory(-1))), ExitReason::Memory(None));
        assert_eq!(
            exit_reason(Some(EXIT_STACK_SLOTS + 59)),
            ExitReason::Stack(Some(59))
        );
        assert_eq!(exit_reason(Some(87)), ExitReason::Stack(None));
        assert_eq!(exit_reason(Some(70)), ExitReason::Other);
        assert_eq!(exit_reason(None), ExitReason::Other);
    }
}

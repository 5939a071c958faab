//! The system allocator, watched per thread: the `it` binary's global
//! allocator. It counts the allocations a test measures
//! ([`allocations`]), follows the bytes a thread holds and their peak
//! ([`live_bytes`], [`peak_bytes`]), and looks into every block being freed
//! for the secrets a test names ([`scan_for`]). Each watch reads and writes
//! thread-locals only, so tests on other threads do not disturb it; tokio's
//! current-thread runtime runs the layer on the test's own thread.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

pub struct Watching;

thread_local! {
    static COUNTING: Cell<bool> = const { Cell::new(false) };
    static COUNT: Cell<usize> = const { Cell::new(0) };
    static LIVE: Cell<isize> = const { Cell::new(0) };
    /// The most `LIVE` was since `reset_peak`.
    static PEAK: Cell<isize> = const { Cell::new(0) };
    static SECRETS: Cell<&'static [&'static str]> = const { Cell::new(&[]) };
    /// Bit `i` set: `SECRETS[i]` was found in a block being freed.
    static FOUND: Cell<u32> = const { Cell::new(0) };
    /// The blocks scanned since `scan_for`.
    static SCANNED: Cell<usize> = const { Cell::new(0) };
}

/// Allocations (and reallocations) made by `f` on this thread; what it
/// returns is dropped outside the count.
pub fn allocations<T>(f: impl FnOnce() -> T) -> (usize, T) {
    COUNT.with(|c| c.set(0));
    COUNTING.with(|on| on.set(true));
    let out = f();
    COUNTING.with(|on| on.set(false));
    (COUNT.with(Cell::get), out)
}

/// Bytes allocated and not yet freed by this thread.
pub fn live_bytes() -> isize {
    LIVE.with(Cell::get)
}

/// Starts a new peak from the bytes live now.
pub fn reset_peak() {
    PEAK.with(|peak| peak.set(live_bytes()));
}

/// The most bytes this thread held since [`reset_peak`].
pub fn peak_bytes() -> isize {
    PEAK.with(Cell::get)
}

/// From now on, records which of `secrets` (at most 32) a block freed by
/// this thread still holds.
pub fn scan_for(secrets: &'static [&'static str]) {
    assert!(secrets.len() <= 32);
    FOUND.with(|f| f.set(0));
    SCANNED.with(|n| n.set(0));
    SECRETS.with(|s| s.set(secrets));
}

/// Stops scanning; the secrets found in freed blocks since [`scan_for`].
/// Panics if no block was freed on this thread since then: the work ran
/// on another thread, where nothing was scanned.
pub fn found() -> Vec<&'static str> {
    let secrets = SECRETS.with(|s| s.replace(&[]));
    assert!(
        SCANNED.with(Cell::get) > 0,
        "no block was freed on this thread while scanning"
    );
    let found = FOUND.with(Cell::get);
    (0..secrets.len())
        .filter(|i| found & (1 << i) != 0)
        .map(|i| secrets[i])
        .collect()
}

// `try_with` throughout: the allocator also runs while thread-locals are
// torn down.

fn counted() {
    let _ = COUNTING.try_with(|on| {
        if on.get() {
            COUNT.with(|c| c.set(c.get() + 1));
        }
    });
}

fn allocated(size: usize) {
    counted();
    track(size as isize);
}

fn track(delta: isize) {
    let _ = LIVE.try_with(|live| {
        live.set(live.get() + delta);
        let _ = PEAK.try_with(|peak| peak.set(peak.get().max(live.get())));
    });
}

/// Records every secret that the block about to be freed still holds.
fn scan(ptr: *const u8, size: usize) {
    let secrets = SECRETS.try_with(Cell::get).unwrap_or(&[]);
    if secrets.is_empty() || size == 0 {
        return;
    }
    // SAFETY: the block is still allocated, `size` bytes long, and nobody
    // else uses it any more: it is being freed.
    let block = unsafe { std::slice::from_raw_parts(ptr, size) };
    let _ = SCANNED.try_with(|n| n.set(n.get() + 1));
    let mut found = 0;
    for (i, secret) in secrets.iter().enumerate() {
        if block.windows(secret.len()).any(|w| w == secret.as_bytes()) {
            found |= 1 << i;
        }
    }
    if found != 0 {
        let _ = FOUND.try_with(|f| f.set(f.get() | found));
    }
}

// SAFETY: every call is forwarded to the system allocator unchanged; blocks
// are only read, before they are given back, and thread-local counters are
// updated on the side.
unsafe impl GlobalAlloc for Watching {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let ptr = System.alloc(layout);
        if !ptr.is_null() {
            allocated(layout.size());
        }
        ptr
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        let ptr = System.alloc_zeroed(layout);
        if !ptr.is_null() {
            allocated(layout.size());
        }
        ptr
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        scan(ptr, layout.size());
        System.dealloc(ptr, layout);
        track(-(layout.size() as isize));
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // The old block may be left behind as it was.
        scan(ptr, layout.size());
        let new = System.realloc(ptr, layout, new_size);
        if !new.is_null() {
            counted();
            track(new_size as isize - layout.size() as isize);
        }
        new
    }
}

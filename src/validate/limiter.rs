//! A once-a-second gate for what the crate logs at length: the 403
//! diagnosis and the 422 of a payload that does not fit.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

/// The second of the last event it allowed (shared by its clones).
#[derive(Clone, Debug, Default)]
pub(crate) struct Limiter(Arc<AtomicU64>);

impl Limiter {
    /// Whether an event may be written now: once per second.
    pub(crate) fn allow(&self) -> bool {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        let last = self.0.load(Ordering::Relaxed);
        now > last
            && self
                .0
                .compare_exchange(last, now, Ordering::Relaxed, Ordering::Relaxed)
                .is_ok()
    }
}

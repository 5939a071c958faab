//! The diagnosis limiter: at most one diagnosis of a failed signature per
//! second per layer. In the layer's config, read by the diagnosis: below both.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

/// The second of the last diagnosis of a layer (shared by its clones).
#[derive(Clone, Debug, Default)]
pub(crate) struct Limiter(Arc<AtomicU64>);

impl Limiter {
    /// Whether a diagnosis may run now: once per second.
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

//! The guard's events, at most one a second per reason: a flood of copies
//! (or of requests while the store is down) makes one event a second, which
//! says how many it stands for, not one per request.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use super::verdict::ReplayVerdict;

/// The last second each reason was logged in, and how many events were
/// left out since; shared by a layer's clones.
#[derive(Clone, Debug, Default)]
pub(crate) struct Events(Arc<[Slot; SLOTS]>);

const SLOTS: usize = 6;

#[derive(Debug, Default)]
struct Slot {
    second: AtomicU64,
    suppressed: AtomicU64,
}

impl Events {
    /// `Some(n)` if an event for `verdict` may be made now, `n` being how
    /// many were left out since the last; `None` (counted) if not.
    pub(crate) fn admit(&self, verdict: ReplayVerdict) -> Option<u64> {
        let slot = &self.0[slot(verdict)];
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        let last = slot.second.load(Ordering::Relaxed);
        if now > last
            && slot
                .second
                .compare_exchange(last, now, Ordering::Relaxed, Ordering::Relaxed)
                .is_ok()
        {
            Some(slot.suppressed.swap(0, Ordering::Relaxed))
        } else {
            slot.suppressed.fetch_add(1, Ordering::Relaxed);
            None
        }
    }
}

fn slot(verdict: ReplayVerdict) -> usize {
    match verdict {
        ReplayVerdict::Replayed => 0,
        ReplayVerdict::InProgress => 1,
        ReplayVerdict::AnswerNotKept => 2,
        ReplayVerdict::StoreUnavailable => 3,
        ReplayVerdict::StoreFull => 4,
        ReplayVerdict::AccountOverBudget => 5,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_event_a_second_per_reason_counting_the_rest() {
        let events = Events::default();
        assert_eq!(events.admit(ReplayVerdict::Replayed), Some(0));
        assert_eq!(events.admit(ReplayVerdict::Replayed), None);
        assert_eq!(events.admit(ReplayVerdict::Replayed), None);
        assert_eq!(events.admit(ReplayVerdict::InProgress), Some(0));
        // Pretend the second has passed.
        events.0[0].second.store(0, Ordering::Relaxed);
        assert_eq!(events.admit(ReplayVerdict::Replayed), Some(2));
    }
}

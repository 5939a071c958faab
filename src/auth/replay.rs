//! Bounded memory of the highest `nc` accepted for each (nonce, cnonce).
//!
//! Only requests with a correct response are recorded, so nobody without the
//! credentials can add an entry. The memory holds at most `capacity` entries
//! (a 16-byte hash of the pair, the count and the nonce's issue time: about
//! 64 bytes each with the map's overhead). When it is full, entries whose nonce
//! has expired go first, then the oldest entry. Forgetting a pair must not let it
//! be replayed, so the cache also keeps the latest issue time among the nonces it
//! forgot, and refuses any pair it does not know whose nonce is not newer: such a
//! client gets `stale=true` and carries on with a fresh nonce.
//!
//! One mutex guards a hash map and a queue; each check holds it for a few hash
//! map operations, which is cheap for hundreds of concurrent clients.

use std::collections::{HashMap, VecDeque};
use std::fmt;
use std::sync::{Mutex, PoisonError};

use sha2::{Digest as _, Sha256};

type Key = [u8; 16];

/// Replay protection for the nonce counts of one [`super::HttpAuth`].
pub(super) struct ReplayCache {
    capacity: usize,
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    entries: HashMap<Key, Entry>,
    /// Keys in the order they were first recorded.
    order: VecDeque<Key>,
    /// The latest issue time among nonces of pairs forgotten to make room.
    forgotten_through: Option<u64>,
}

struct Entry {
    nc: u32,
    issued: u64,
}

impl ReplayCache {
    pub(super) fn new(capacity: usize) -> Self {
        Self {
            capacity,
            state: Mutex::default(),
        }
    }

    /// Records `nc` for the pair if it is above every count accepted for it
    /// before, and says whether it was. `issued` is the nonce's issue time;
    /// `expired` tells which issue times no longer make a fresh nonce.
    pub(super) fn accept(
        &self,
        nonce: &str,
        cnonce: &str,
        issued: u64,
        nc: u32,
        expired: impl Fn(u64) -> bool,
    ) -> bool {
        let key = key(nonce, cnonce);
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        let state = &mut *state;
        if let Some(entry) = state.entries.get_mut(&key) {
            if nc <= entry.nc {
                return false;
            }
            entry.nc = nc;
            return true;
        }
        if state.forgotten_through.is_some_and(|t| issued <= t) {
            return false;
        }
        while let Some(&front) = state.order.front() {
            let front_issued = state.entries[&front].issued;
            let front_expired = expired(front_issued);
            if state.entries.len() < self.capacity && !front_expired {
                break;
            }
            if !front_expired {
                state.forgotten_through = state.forgotten_through.max(Some(front_issued));
            }
            state.entries.remove(&front);
            state.order.pop_front();
        }
        state.entries.insert(key, Entry { nc, issued });
        state.order.push_back(key);
        true
    }

    #[cfg(test)]
    pub(super) fn len(&self) -> usize {
        self.state.lock().unwrap().entries.len()
    }
}

impl fmt::Debug for ReplayCache {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ReplayCache")
            .field("capacity", &self.capacity)
            .finish_non_exhaustive()
    }
}

/// A 128-bit hash of the pair: fixed-size whatever the client sends. The nonce
/// was verified before, so it holds no `\0` and the encoding is unambiguous.
fn key(nonce: &str, cnonce: &str) -> Key {
    let hash = Sha256::new()
        .chain_update(nonce)
        .chain_update([0])
        .chain_update(cnonce)
        .finalize();
    let mut key = [0; 16];
    key.copy_from_slice(&hash[..16]);
    key
}

#[cfg(test)]
mod tests {
    use super::*;

    fn never(_: u64) -> bool {
        false
    }

    #[test]
    fn accepts_a_rising_count_and_refuses_a_repeated_or_lower_one() {
        let cache = ReplayCache::new(8);
        assert!(cache.accept("n", "c", 100, 1, never));
        assert!(cache.accept("n", "c", 100, 2, never));
        assert!(cache.accept("n", "c", 100, 5, never));
        assert!(!cache.accept("n", "c", 100, 5, never));
        assert!(!cache.accept("n", "c", 100, 3, never));
        assert!(cache.accept("n", "c", 100, 6, never));
    }

    #[test]
    fn counts_each_cnonce_separately() {
        let cache = ReplayCache::new(8);
        assert!(cache.accept("n", "a", 100, 1, never));
        assert!(cache.accept("n", "b", 100, 1, never));
        assert!(!cache.accept("n", "a", 100, 1, never));
    }

    #[test]
    fn stays_within_its_capacity_after_many_distinct_nonces() {
        let cache = ReplayCache::new(100);
        for i in 0..10_000u64 {
            assert!(cache.accept(&format!("nonce{i}"), "c", 1_000 + i, 1, never));
            assert!(cache.len() <= 100);
        }
        assert_eq!(cache.len(), 100);
    }

    #[test]
    fn a_forgotten_pair_cannot_be_replayed() {
        let cache = ReplayCache::new(2);
        assert!(cache.accept("old", "c", 100, 1, never));
        assert!(cache.accept("mid", "c", 200, 1, never));
        assert!(cache.accept("new", "c", 300, 1, never));
        // "old" was forgotten: its count 1 must not pass again, nor any pair
        // with a nonce at least as old.
        assert!(!cache.accept("old", "c", 100, 1, never));
        assert!(!cache.accept("old", "other", 100, 1, never));
        // A pair on a newer nonce is still welcome.
        assert!(cache.accept("newer", "c", 301, 1, never));
    }

    #[test]
    fn makes_room_by_dropping_expired_entries_first() {
        let cache = ReplayCache::new(2);
        let expired = |issued: u64| issued < 150;
        assert!(cache.accept("old", "c", 100, 1, never));
        assert!(cache.accept("mid", "c", 200, 1, never));
        assert!(cache.accept("new", "c", 300, 1, expired));
        assert_eq!(cache.len(), 2);
        // Dropping an expired entry forgets nothing that could be replayed.
        assert_eq!(cache.state.lock().unwrap().forgotten_through, None);
        assert!(!cache.accept("mid", "c", 200, 1, expired));
    }
}

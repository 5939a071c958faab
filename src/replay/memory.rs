use std::collections::{HashMap, VecDeque};
use std::fmt;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use bytes::Bytes;
use tokio::time::Instant;

use super::entry::{Entry as Value, ReplayKey};
use super::store::{ReplayStore, StoreFuture};

/// The default [`MemoryStore::max_entries`]: 100,000.
pub const DEFAULT_MAX_ENTRIES: usize = 100_000;

/// The default [`MemoryStore::max_bytes`]: 64 MiB.
pub const DEFAULT_MAX_BYTES: usize = 64 * 1024 * 1024;

/// What an entry costs beyond its value: its key, its place in the order
/// and the map's own share, counted against [`MemoryStore::max_bytes`].
const ENTRY_OVERHEAD: usize = 96;

/// A [`ReplayStore`] in this process's memory, bounded in entries and bytes:
/// the guard's store when several instances need not agree.
///
/// When a new entry would pass a bound, the oldest entries go first (expired
/// or not, answered or in progress). With the defaults, 64 MiB hold about a
/// thousand answers of the guard's 64 KiB maximum, or the 100,000 entries
/// with TwiML answers under 500 bytes. A forgotten signature can be replayed again, so size the bounds
/// for the validated webhooks the guard's time to live holds: only
/// requests the layer validated are recorded, so forged requests cannot
/// fill it. One mutex guards a map and a queue; each call holds it for a few
/// map operations. Clones share the same memory.
#[derive(Clone)]
pub struct MemoryStore {
    max_entries: usize,
    max_bytes: usize,
    state: Arc<Mutex<State>>,
}

#[derive(Default)]
struct State {
    entries: HashMap<ReplayKey, Entry>,
    /// Keys in the order they were claimed, with the claim's number: a key
    /// released or claimed again since is skipped when its turn comes.
    order: VecDeque<(ReplayKey, u64)>,
    claims: u64,
    bytes: usize,
}

struct Entry {
    value: Bytes,
    expires: Instant,
    claim: u64,
}

impl Default for MemoryStore {
    fn default() -> Self {
        Self::new()
    }
}

impl MemoryStore {
    /// A store of at most [`DEFAULT_MAX_ENTRIES`] and [`DEFAULT_MAX_BYTES`].
    pub fn new() -> Self {
        Self {
            max_entries: DEFAULT_MAX_ENTRIES,
            max_bytes: DEFAULT_MAX_BYTES,
            state: Arc::default(),
        }
    }

    /// At most `n` entries (at least 1).
    #[must_use]
    pub fn max_entries(mut self, n: usize) -> Self {
        self.max_entries = n.max(1);
        self
    }

    /// At most `n` bytes of values and their bookkeeping (96 bytes an
    /// entry). An answer larger than this is kept only as the fact that it
    /// was given.
    #[must_use]
    pub fn max_bytes(mut self, n: usize) -> Self {
        self.max_bytes = n;
        self
    }

    /// How many entries it holds, expired ones not yet dropped included.
    pub fn len(&self) -> usize {
        self.lock().entries.len()
    }

    /// Whether it holds no entry.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The bytes it counts against [`max_bytes`](Self::max_bytes).
    pub fn bytes(&self) -> usize {
        self.lock().bytes
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn claim_now(&self, key: ReplayKey, mark: Bytes, ttl: Duration) -> Option<Bytes> {
        let now = Instant::now();
        let mut state = self.lock();
        if let Some(entry) = state.entries.get(&key) {
            if entry.expires > now {
                return Some(entry.value.clone());
            }
            state.remove(&key);
        }
        let cost = ENTRY_OVERHEAD + mark.len();
        state.make_room(self.max_entries - 1, self.max_bytes.saturating_sub(cost));
        state.claims += 1;
        let claim = state.claims;
        state.bytes += cost;
        state.order.push_back((key, claim));
        let expires = deadline(now, ttl);
        state.entries.insert(
            key,
            Entry {
                value: mark,
                expires,
                claim,
            },
        );
        None
    }

    fn complete_now(&self, key: ReplayKey, mark: &[u8], value: Bytes, ttl: Duration) {
        let now = Instant::now();
        let mut state = self.lock();
        let state = &mut *state;
        // Forgotten to make room meanwhile: not recorded again, which would
        // push out another.
        let Some(entry) = state.entries.get_mut(&key) else {
            return;
        };
        if entry.value != mark && entry.expires > now {
            return;
        }
        // An answer too large for the whole store is kept as the fact that
        // it was given (copies get `409`), never forgotten.
        let value = if ENTRY_OVERHEAD + value.len() > self.max_bytes {
            Value::NotKept.encode()
        } else {
            value
        };
        // It keeps its place in the order: it was claimed first.
        state.bytes = state.bytes - entry.value.len() + value.len();
        entry.value = value;
        entry.expires = deadline(now, ttl);
        state.make_room(self.max_entries, self.max_bytes);
    }

    fn release_now(&self, key: ReplayKey, mark: &[u8]) {
        let mut state = self.lock();
        if state.entries.get(&key).is_some_and(|e| e.value == mark) {
            state.remove(&key);
        }
    }
}

/// `now + ttl`, or a century on for a `ttl` past what an `Instant` holds.
fn deadline(now: Instant, ttl: Duration) -> Instant {
    now.checked_add(ttl)
        .or_else(|| now.checked_add(Duration::from_secs(100 * 365 * 24 * 3600)))
        .unwrap_or(now)
}

impl State {
    fn remove(&mut self, key: &ReplayKey) -> Option<Entry> {
        let entry = self.entries.remove(key)?;
        self.bytes -= ENTRY_OVERHEAD + entry.value.len();
        // Released keys leave their place in the order behind; keep the
        // queue within twice the entries so that it stays bounded too.
        if self.order.len() > 2 * self.entries.len() + 64 {
            let entries = &self.entries;
            self.order
                .retain(|(k, claim)| entries.get(k).is_some_and(|e| e.claim == *claim));
        }
        Some(entry)
    }

    /// Drops the oldest entries until at most `entries` and `bytes` remain.
    fn make_room(&mut self, entries: usize, bytes: usize) {
        while self.entries.len() > entries || self.bytes > bytes {
            let Some((key, claim)) = self.order.pop_front() else {
                break;
            };
            if self.entries.get(&key).is_some_and(|e| e.claim == claim) {
                self.remove(&key);
            }
        }
    }
}

impl fmt::Debug for MemoryStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MemoryStore")
            .field("max_entries", &self.max_entries)
            .field("max_bytes", &self.max_bytes)
            .finish_non_exhaustive()
    }
}

impl ReplayStore for MemoryStore {
    fn claim(&self, key: ReplayKey, mark: Bytes, ttl: Duration) -> StoreFuture<Option<Bytes>> {
        let found = self.claim_now(key, mark, ttl);
        Box::pin(std::future::ready(Ok(found)))
    }

    fn complete(
        &self,
        key: ReplayKey,
        mark: Bytes,
        value: Bytes,
        ttl: Duration,
    ) -> StoreFuture<()> {
        self.complete_now(key, &mark, value, ttl);
        Box::pin(std::future::ready(Ok(())))
    }

    fn release(&self, key: ReplayKey, mark: Bytes) -> StoreFuture<()> {
        self.release_now(key, &mark);
        Box::pin(std::future::ready(Ok(())))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TTL: Duration = Duration::from_secs(60);

    fn key(n: u32) -> ReplayKey {
        ReplayKey::of_mac(&n.to_be_bytes())
    }

    #[tokio::test]
    async fn a_claimed_key_answers_its_value_until_it_expires() {
        tokio::time::pause();
        let store = MemoryStore::new();
        let mark = Bytes::from_static(b"mark");
        assert_eq!(store.claim_now(key(1), mark.clone(), TTL), None);
        assert_eq!(store.claim_now(key(1), "other".into(), TTL), Some(mark));
        tokio::time::advance(TTL).await;
        assert_eq!(store.claim_now(key(1), "other".into(), TTL), None);
        assert_eq!(store.len(), 1);
    }

    #[tokio::test]
    async fn only_the_claim_that_marked_a_key_completes_or_releases_it() {
        let store = MemoryStore::new();
        assert_eq!(store.claim_now(key(1), "mine".into(), TTL), None);
        store.complete_now(key(1), b"theirs", "done".into(), TTL);
        store.release_now(key(1), b"theirs");
        assert_eq!(
            store.claim_now(key(1), "x".into(), TTL),
            Some("mine".into())
        );
        store.complete_now(key(1), b"mine", "done".into(), TTL);
        store.release_now(key(1), b"mine");
        assert_eq!(
            store.claim_now(key(1), "x".into(), TTL),
            Some("done".into())
        );
        assert_eq!(store.claim_now(key(2), "mine".into(), TTL), None);
        store.release_now(key(2), b"mine");
        assert_eq!(store.claim_now(key(2), "again".into(), TTL), None);
    }

    #[tokio::test]
    async fn stays_within_its_entries_dropping_the_oldest() {
        let store = MemoryStore::new().max_entries(100);
        for n in 0..10_000 {
            assert_eq!(store.claim_now(key(n), "m".into(), TTL), None);
            store.complete_now(key(n), b"m", "done".into(), TTL);
            assert!(store.len() <= 100);
        }
        assert_eq!(store.len(), 100);
        assert_eq!(
            store.claim_now(key(9_999), "m".into(), TTL),
            Some("done".into())
        );
        assert_eq!(store.claim_now(key(0), "m".into(), TTL), None);
    }

    #[tokio::test]
    async fn stays_within_its_bytes() {
        let store = MemoryStore::new().max_bytes(64 * 1024);
        for n in 0..1_000 {
            store.claim_now(key(n), "m".into(), TTL);
            store.complete_now(key(n), b"m", Bytes::from(vec![b'x'; 1000]), TTL);
            assert!(store.bytes() <= 64 * 1024, "{}", store.bytes());
        }
        assert!(store.len() >= 50, "{}", store.len());
        // A value larger than the whole store is kept as "answered".
        store.claim_now(key(5_000), "m".into(), TTL);
        store.complete_now(key(5_000), b"m", Bytes::from(vec![0; 70_000]), TTL);
        assert!(store.bytes() <= 64 * 1024);
        let kept = store.claim_now(key(5_000), "m".into(), TTL).unwrap();
        assert_eq!(Value::decode(&kept), Ok(Value::NotKept));
    }

    #[tokio::test]
    async fn claims_released_again_and_again_do_not_grow_it() {
        let store = MemoryStore::new();
        store.claim_now(key(0), "kept".into(), TTL);
        for _ in 0..10_000 {
            store.claim_now(key(1), "m".into(), TTL);
            store.release_now(key(1), b"m");
        }
        let state = store.lock();
        assert_eq!(state.entries.len(), 1);
        assert!(state.order.len() <= 66, "{}", state.order.len());
    }
}

use std::collections::{HashMap, VecDeque};
use std::fmt;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use bytes::Bytes;
use tokio::time::Instant;

use super::entry::{Account, Entry as Value, ReplayKey};
use super::store::{ReplayStore, StoreError, StoreFuture};

/// The default [`MemoryStore::max_entries`]: 100,000.
pub const DEFAULT_MAX_ENTRIES: usize = 100_000;

/// The default [`MemoryStore::max_bytes`]: 64 MiB.
pub const DEFAULT_MAX_BYTES: usize = 64 * 1024 * 1024;

/// What an entry costs beyond its value: its key, its place in the order
/// and the map's own share, counted against [`MemoryStore::max_bytes`].
const ENTRY_OVERHEAD: usize = 96;

/// A [`ReplayStore`] in this process's memory, bounded in entries and bytes
/// in all and per [`Account`]: the guard's store when several instances need
/// not agree.
///
/// Only requests the validate layer accepted are recorded, but under a
/// [`KeyResolver`](crate::validate::KeyResolver) each tenant signs valid
/// requests of its own, and with one key whoever holds it does: so the
/// bounds are kept so that one account can only fill, or evict from, its
/// own share:
///
/// - An account at its own bound ([`max_account_entries`](Self::max_account_entries),
///   [`max_account_bytes`](Self::max_account_bytes)) makes room among its
///   own entries only.
/// - At the global bound, room is made in the largest account (in entries,
///   or in bytes when the bytes bound is the one reached): never in one
///   holding less than the largest, so never in one under its fair share,
///   not even when the largest holds only entries in progress (then the
///   new request is refused).
/// - Room is made by dropping expired entries, then the oldest answered
///   ones; an entry in progress (its handler may be running) is never
///   dropped before its `in_progress_ttl`, and one account may hold at most
///   half of [`max_entries`](Self::max_entries) in progress. If an account
///   has nothing it may drop, its new request is refused ([`StoreError::account_over_budget`],
///   `503` for that account only).
///
/// A dropped entry's request can be replayed again (to the account that
/// flooded, its own), so size the bounds for the validated webhooks each
/// account's time to live holds. With the defaults, 64 MiB hold about a
/// thousand answers of the guard's 64 KiB maximum, or the 100,000 entries
/// with TwiML answers under 500 bytes; an account may hold all of it until
/// another needs room. One mutex guards the maps and queues; each call holds
/// it for a few map operations (and a look over the accounts when the global
/// bound is reached). Clones share the same memory.
#[derive(Clone)]
pub struct MemoryStore {
    max_entries: usize,
    max_bytes: usize,
    max_account_entries: usize,
    max_account_bytes: usize,
    state: Arc<Mutex<State>>,
}

#[derive(Default)]
struct State {
    entries: HashMap<[u8; 32], Entry>,
    accounts: HashMap<Account, Share>,
    claims: u64,
    bytes: usize,
}

/// One account's entries: its counts, and its keys in the order they were
/// claimed (in progress) and answered, each with its claim's number: a key
/// released, answered or claimed again since is skipped when its turn
/// comes.
#[derive(Default)]
struct Share {
    entries: usize,
    bytes: usize,
    /// Entries in progress, which no bound may drop.
    running: usize,
    in_progress: VecDeque<([u8; 32], u64)>,
    answered: VecDeque<([u8; 32], u64)>,
}

struct Entry {
    value: Bytes,
    expires: Instant,
    claim: u64,
    account: Account,
    answered: bool,
}

impl Default for MemoryStore {
    fn default() -> Self {
        Self::new()
    }
}

impl MemoryStore {
    /// A store of at most [`DEFAULT_MAX_ENTRIES`] and [`DEFAULT_MAX_BYTES`],
    /// in all and for one account.
    pub fn new() -> Self {
        Self {
            max_entries: DEFAULT_MAX_ENTRIES,
            max_bytes: DEFAULT_MAX_BYTES,
            max_account_entries: DEFAULT_MAX_ENTRIES,
            max_account_bytes: DEFAULT_MAX_BYTES,
            state: Arc::default(),
        }
    }

    /// At most `n` entries in all (at least 1).
    #[must_use]
    pub fn max_entries(mut self, n: usize) -> Self {
        self.max_entries = n.max(1);
        self
    }

    /// At most `n` bytes of values and their bookkeeping (96 bytes an
    /// entry) in all. An answer larger than this is kept only as the fact
    /// that it was given.
    #[must_use]
    pub fn max_bytes(mut self, n: usize) -> Self {
        self.max_bytes = n;
        self
    }

    /// At most `n` entries for one account (at least 1; by default all of
    /// [`max_entries`](Self::max_entries)).
    #[must_use]
    pub fn max_account_entries(mut self, n: usize) -> Self {
        self.max_account_entries = n.max(1);
        self
    }

    /// At most `n` bytes for one account (by default all of
    /// [`max_bytes`](Self::max_bytes)). An answer larger than this is kept
    /// only as the fact that it was given.
    #[must_use]
    pub fn max_account_bytes(mut self, n: usize) -> Self {
        self.max_account_bytes = n;
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

    /// How many entries `account` holds, expired ones not yet dropped
    /// included.
    pub fn account_len(&self, account: Account) -> usize {
        self.lock().accounts.get(&account).map_or(0, |s| s.entries)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The largest value one account can keep.
    fn max_value(&self) -> usize {
        self.max_bytes.min(self.max_account_bytes)
    }

    fn claim_now(
        &self,
        key: ReplayKey,
        mark: Bytes,
        ttl: Duration,
    ) -> Result<Option<Bytes>, StoreError> {
        let now = Instant::now();
        let digest = *key.as_bytes();
        let account = key.account();
        let mut state = self.lock();
        if let Some(entry) = state.entries.get(&digest) {
            if entry.expires > now {
                return Ok(Some(entry.value.clone()));
            }
            state.remove(&digest);
        }
        let cost = ENTRY_OVERHEAD + mark.len();
        // Entries in progress cannot be dropped: one account may hold at
        // most half the store in them, so that it cannot leave the others
        // no room. Those that expired are not counted: a claim never
        // answered (a Digest nonce count) would otherwise count for good.
        state.drop_expired_in_progress(account, now);
        let running = state.share(account).map_or(0, |s| s.running);
        if cost > self.max_value() || running >= (self.max_entries / 2).max(1) {
            return Err(StoreError::account_over_budget());
        }
        // Its own share first: it may only evict its own entries there.
        while state.share(account).is_some_and(|s| {
            s.entries >= self.max_account_entries || s.bytes + cost > self.max_account_bytes
        }) {
            if !state.evict_one(account, now) {
                return Err(StoreError::account_over_budget());
            }
        }
        if !state.make_room(1, cost, self.max_entries, self.max_bytes, now) {
            return Err(StoreError::account_over_budget());
        }
        state.claims += 1;
        let claim = state.claims;
        state.bytes += cost;
        let share = state.accounts.entry(account).or_default();
        share.entries += 1;
        share.bytes += cost;
        share.running += 1;
        share.in_progress.push_back((digest, claim));
        state.entries.insert(
            digest,
            Entry {
                value: mark,
                expires: deadline(now, ttl),
                claim,
                account,
                answered: false,
            },
        );
        Ok(None)
    }

    fn complete_now(&self, key: ReplayKey, mark: &[u8], value: Bytes, ttl: Duration) {
        let now = Instant::now();
        let digest = *key.as_bytes();
        let mut state = self.lock();
        let state = &mut *state;
        // Forgotten meanwhile (expired and dropped): not recorded again,
        // which would push out another.
        let Some(entry) = state.entries.get_mut(&digest) else {
            return;
        };
        if entry.value != mark && entry.expires > now {
            return;
        }
        let (account, claim, old) = (entry.account, entry.claim, entry.value.len());
        // Out of the in-progress queue, so that making room below never
        // drops it.
        entry.answered = true;
        entry.expires = deadline(now, ttl);
        entry.value = Bytes::new();
        state.bytes -= old;
        if let Some(share) = state.accounts.get_mut(&account) {
            share.bytes -= old;
            share.running -= 1;
        }
        // An answer too large for the account's share is kept as the fact
        // that it was given (copies get `409`), never forgotten.
        let mut value = if ENTRY_OVERHEAD + value.len() > self.max_value() {
            Value::NotKept.encode()
        } else {
            value
        };
        let fits = |state: &mut State, len: usize| {
            while state
                .share(account)
                .is_some_and(|s| s.bytes + len > self.max_account_bytes)
            {
                if !state.evict_one(account, now) {
                    return false;
                }
            }
            state.make_room(0, len, self.max_entries, self.max_bytes, now)
        };
        if !fits(state, value.len()) {
            value = Value::NotKept.encode();
            fits(state, value.len());
        }
        let len = value.len();
        let Some(entry) = state.entries.get_mut(&digest) else {
            return;
        };
        entry.value = value;
        state.bytes += len;
        let share = state.accounts.entry(account).or_default();
        share.bytes += len;
        share.answered.push_back((digest, claim));
        state.compact(account);
    }

    fn release_now(&self, key: ReplayKey, mark: &[u8]) {
        let digest = *key.as_bytes();
        let mut state = self.lock();
        if state.entries.get(&digest).is_some_and(|e| e.value == mark) {
            state.remove(&digest);
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
    fn share(&self, account: Account) -> Option<&Share> {
        self.accounts.get(&account)
    }

    fn remove(&mut self, digest: &[u8; 32]) -> Option<Entry> {
        let entry = self.entries.remove(digest)?;
        let cost = ENTRY_OVERHEAD + entry.value.len();
        self.bytes -= cost;
        if let Some(share) = self.accounts.get_mut(&entry.account) {
            share.entries -= 1;
            share.bytes -= cost;
            share.running -= usize::from(!entry.answered);
        }
        self.compact(entry.account);
        Some(entry)
    }

    /// Keeps an account's queues within twice its entries (keys released
    /// or answered leave their place behind), and forgets an account that
    /// holds nothing.
    fn compact(&mut self, account: Account) {
        let Some(share) = self.accounts.get_mut(&account) else {
            return;
        };
        if share.entries == 0 {
            self.accounts.remove(&account);
            return;
        }
        if share.in_progress.len() + share.answered.len() > 2 * share.entries + 64 {
            let entries = &self.entries;
            share.in_progress.retain(|(k, claim)| {
                entries
                    .get(k)
                    .is_some_and(|e| e.claim == *claim && !e.answered)
            });
            share
                .answered
                .retain(|(k, claim)| entries.get(k).is_some_and(|e| e.claim == *claim));
        }
    }

    /// Drops `account`'s entries in progress that expired, from the front
    /// of its queue (claim order) to the first still live.
    fn drop_expired_in_progress(&mut self, account: Account, now: Instant) {
        loop {
            let Some(share) = self.accounts.get_mut(&account) else {
                return;
            };
            let Some(&(digest, claim)) = share.in_progress.front() else {
                return;
            };
            let expired = match self.entries.get(&digest) {
                Some(e) if e.claim == claim && !e.answered => e.expires <= now,
                // Released, answered or claimed again since: no longer here.
                _ => {
                    share.in_progress.pop_front();
                    continue;
                }
            };
            if !expired {
                return;
            }
            share.in_progress.pop_front();
            self.remove(&digest);
        }
    }

    /// Drops one of `account`'s entries: an expired one in progress, else
    /// its oldest answered one. `false` if it holds none it may drop.
    fn evict_one(&mut self, account: Account, now: Instant) -> bool {
        let entries = &self.entries;
        let live = |(k, claim): &([u8; 32], u64), answered: bool| {
            entries
                .get(k)
                .is_some_and(|e| e.claim == *claim && e.answered == answered)
        };
        let Some(share) = self.accounts.get_mut(&account) else {
            return false;
        };
        // In progress: in claim order, which is expiry order for one
        // guard; stop at the first still running.
        while let Some(front) = share.in_progress.front() {
            if !live(front, false) {
                share.in_progress.pop_front();
                continue;
            }
            if entries[&front.0].expires > now {
                break;
            }
            let (digest, _) = share.in_progress.pop_front().expect("front");
            self.remove(&digest);
            return true;
        }
        while let Some(item) = share.answered.pop_front() {
            if live(&item, true) {
                self.remove(&item.0);
                return true;
            }
        }
        false
    }

    /// Makes room for `entries` more entries and `bytes` more bytes within
    /// the global bounds, dropping from the largest account (one of them,
    /// if several are as large). `false` if none of those has something to
    /// drop: never from a smaller one.
    fn make_room(
        &mut self,
        entries: usize,
        bytes: usize,
        max_entries: usize,
        max_bytes: usize,
        now: Instant,
    ) -> bool {
        loop {
            let over_entries = self.entries.len() + entries > max_entries;
            let over_bytes = self.bytes + bytes > max_bytes;
            if !over_entries && !over_bytes {
                return true;
            }
            let mut accounts: Vec<(usize, Account)> = self
                .accounts
                .iter()
                .map(|(a, s)| (if over_entries { s.entries } else { s.bytes }, *a))
                .collect();
            accounts.sort_unstable_by(|a, b| b.cmp(a));
            // Only the largest: when they hold nothing they may drop (all in
            // progress), no room is made, rather than in a smaller account,
            // whose dropped entries could be replayed.
            let largest = accounts.first().map_or(0, |(n, _)| *n);
            if !accounts
                .into_iter()
                .take_while(|(n, _)| *n == largest)
                .any(|(_, account)| self.evict_one(account, now))
            {
                return false;
            }
        }
    }
}

impl fmt::Debug for MemoryStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MemoryStore")
            .field("max_entries", &self.max_entries)
            .field("max_bytes", &self.max_bytes)
            .field("max_account_entries", &self.max_account_entries)
            .field("max_account_bytes", &self.max_account_bytes)
            .finish_non_exhaustive()
    }
}

impl ReplayStore for MemoryStore {
    fn claim(&self, key: ReplayKey, mark: Bytes, ttl: Duration) -> StoreFuture<Option<Bytes>> {
        let found = self.claim_now(key, mark, ttl);
        Box::pin(std::future::ready(found))
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
    use crate::replay::StoreErrorKind;

    const TTL: Duration = Duration::from_secs(60);

    fn key(n: u32) -> ReplayKey {
        of(A, n)
    }

    const A: &str = "AC-a";
    const B: &str = "AC-b";

    fn of(account: &str, n: u32) -> ReplayKey {
        let mac = [account.as_bytes(), &n.to_be_bytes()].concat();
        ReplayKey::of_mac(&mac, Account::named(account))
    }

    impl MemoryStore {
        /// Claims and answers `key` at once.
        fn answer(&self, key: ReplayKey, value: &str) {
            assert_eq!(self.claim_now(key, "m".into(), TTL).unwrap(), None);
            self.complete_now(key, b"m", Bytes::copy_from_slice(value.as_bytes()), TTL);
        }
    }

    #[tokio::test]
    async fn a_claimed_key_answers_its_value_until_it_expires() {
        tokio::time::pause();
        let store = MemoryStore::new();
        let mark = Bytes::from_static(b"mark");
        assert_eq!(store.claim_now(key(1), mark.clone(), TTL).unwrap(), None);
        assert_eq!(
            store.claim_now(key(1), "other".into(), TTL).unwrap(),
            Some(mark)
        );
        tokio::time::advance(TTL).await;
        assert_eq!(store.claim_now(key(1), "other".into(), TTL).unwrap(), None);
        assert_eq!(store.len(), 1);
    }

    #[tokio::test]
    async fn only_the_claim_that_marked_a_key_completes_or_releases_it() {
        let store = MemoryStore::new();
        assert_eq!(store.claim_now(key(1), "mine".into(), TTL).unwrap(), None);
        store.complete_now(key(1), b"theirs", "done".into(), TTL);
        store.release_now(key(1), b"theirs");
        assert_eq!(
            store.claim_now(key(1), "x".into(), TTL).unwrap(),
            Some("mine".into())
        );
        store.complete_now(key(1), b"mine", "done".into(), TTL);
        store.release_now(key(1), b"mine");
        assert_eq!(
            store.claim_now(key(1), "x".into(), TTL).unwrap(),
            Some("done".into())
        );
        assert_eq!(store.claim_now(key(2), "mine".into(), TTL).unwrap(), None);
        store.release_now(key(2), b"mine");
        assert_eq!(store.claim_now(key(2), "again".into(), TTL).unwrap(), None);
    }

    #[tokio::test]
    async fn stays_within_its_entries_dropping_the_oldest() {
        let store = MemoryStore::new().max_entries(100);
        for n in 0..10_000 {
            assert_eq!(store.claim_now(key(n), "m".into(), TTL).unwrap(), None);
            store.complete_now(key(n), b"m", "done".into(), TTL);
            assert!(store.len() <= 100);
        }
        assert_eq!(store.len(), 100);
        assert_eq!(
            store.claim_now(key(9_999), "m".into(), TTL).unwrap(),
            Some("done".into())
        );
        assert_eq!(store.claim_now(key(0), "m".into(), TTL).unwrap(), None);
    }

    #[tokio::test]
    async fn stays_within_its_bytes() {
        let store = MemoryStore::new().max_bytes(64 * 1024);
        for n in 0..1_000 {
            store.claim_now(key(n), "m".into(), TTL).unwrap();
            store.complete_now(key(n), b"m", Bytes::from(vec![b'x'; 1000]), TTL);
            assert!(store.bytes() <= 64 * 1024, "{}", store.bytes());
        }
        assert!(store.len() >= 50, "{}", store.len());
        // A value larger than the whole store is kept as "answered".
        store.claim_now(key(5_000), "m".into(), TTL).unwrap();
        store.complete_now(key(5_000), b"m", Bytes::from(vec![0; 70_000]), TTL);
        assert!(store.bytes() <= 64 * 1024);
        let kept = store
            .claim_now(key(5_000), "m".into(), TTL)
            .unwrap()
            .unwrap();
        assert_eq!(Value::decode(&kept), Ok(Value::NotKept));
    }

    #[tokio::test]
    async fn claims_released_again_and_again_do_not_grow_it() {
        let store = MemoryStore::new();
        store.claim_now(key(0), "kept".into(), TTL).unwrap();
        for _ in 0..10_000 {
            store.claim_now(key(1), "m".into(), TTL).unwrap();
            store.release_now(key(1), b"m");
        }
        let state = store.lock();
        assert_eq!(state.entries.len(), 1);
        let share = &state.accounts[&Account::named(A)];
        assert!(share.in_progress.len() <= 66, "{}", share.in_progress.len());
    }

    #[tokio::test]
    async fn an_account_at_its_own_bound_evicts_only_its_own_entries() {
        let store = MemoryStore::new().max_account_entries(100);
        store.answer(of(B, 0), "b's answer");
        for n in 0..10_000 {
            store.answer(of(A, n), "a");
        }
        assert_eq!(store.account_len(Account::named(A)), 100);
        assert_eq!(
            store.claim_now(of(B, 0), "x".into(), TTL).unwrap(),
            Some("b's answer".into())
        );
    }

    #[tokio::test]
    async fn at_the_global_bound_the_largest_account_makes_room() {
        let store = MemoryStore::new().max_entries(100);
        for n in 0..10 {
            store.answer(of(B, n), "b");
        }
        for n in 0..10_000 {
            store.answer(of(A, n), "a");
            assert!(store.len() <= 100);
        }
        assert_eq!(store.account_len(Account::named(B)), 10);
        // A newcomer gets room too, from the largest.
        store.answer(of("AC-c", 0), "c");
        assert_eq!(store.account_len(Account::named(B)), 10);
        assert_eq!(store.account_len(Account::named(A)), 89);
    }

    #[tokio::test]
    async fn at_the_global_bytes_bound_the_largest_in_bytes_makes_room() {
        let store = MemoryStore::new().max_bytes(64 * 1024);
        store.answer(of(B, 0), "small");
        let big = "x".repeat(4000);
        for n in 0..1_000 {
            store.answer(of(A, n), &big);
            assert!(store.bytes() <= 64 * 1024);
        }
        assert_eq!(
            store.claim_now(of(B, 0), "x".into(), TTL).unwrap(),
            Some("small".into())
        );
    }

    #[tokio::test]
    async fn entries_in_progress_are_never_evicted_to_make_room() {
        tokio::time::pause();
        let store = MemoryStore::new().max_entries(10);
        for (account, n) in (0..5).flat_map(|n| [(A, n), (B, n)]) {
            assert_eq!(
                store.claim_now(of(account, n), "m".into(), TTL).unwrap(),
                None
            );
        }
        let refused = store.claim_now(of(A, 10), "m".into(), TTL).unwrap_err();
        assert_eq!(refused.kind(), StoreErrorKind::AccountOverBudget);
        let refused = store.claim_now(of("AC-c", 0), "m".into(), TTL).unwrap_err();
        assert_eq!(refused.kind(), StoreErrorKind::AccountOverBudget);
        for n in 0..5 {
            assert_eq!(
                store.claim_now(of(A, n), "x".into(), TTL).unwrap(),
                Some("m".into())
            );
        }
        // Once their in-progress ttl is over, they may go.
        tokio::time::advance(TTL).await;
        assert_eq!(
            store.claim_now(of("AC-c", 0), "m".into(), TTL).unwrap(),
            None
        );
    }

    #[tokio::test]
    async fn one_account_holds_at_most_half_the_store_in_progress() {
        let store = MemoryStore::new().max_entries(20);
        for n in 0..10 {
            assert_eq!(store.claim_now(of(A, n), "m".into(), TTL).unwrap(), None);
        }
        let refused = store.claim_now(of(A, 10), "m".into(), TTL).unwrap_err();
        assert_eq!(refused.kind(), StoreErrorKind::AccountOverBudget);
        for n in 0..10 {
            assert_eq!(store.claim_now(of(B, n), "m".into(), TTL).unwrap(), None);
        }
        // Answered, A's entries may be dropped to make room, and A may claim.
        store.complete_now(of(A, 0), b"m", "done".into(), TTL);
        assert_eq!(store.claim_now(of(A, 11), "m".into(), TTL).unwrap(), None);
    }

    #[tokio::test]
    async fn an_account_that_floods_in_progress_claims_is_refused_alone() {
        let store = MemoryStore::new().max_account_entries(10).max_entries(100);
        for n in 0..10 {
            store.claim_now(of(A, n), "m".into(), TTL).unwrap();
        }
        let refused = store.claim_now(of(A, 10), "m".into(), TTL).unwrap_err();
        assert_eq!(refused.kind(), StoreErrorKind::AccountOverBudget);
        assert_eq!(store.claim_now(of(B, 0), "m".into(), TTL).unwrap(), None);
    }

    #[tokio::test]
    async fn accounts_that_empty_are_forgotten() {
        let store = MemoryStore::new();
        for n in 0..1_000 {
            let account = format!("AC{n}");
            store.claim_now(of(&account, n), "m".into(), TTL).unwrap();
            store.release_now(of(&account, n), b"m");
        }
        assert!(store.lock().accounts.is_empty());
    }
}

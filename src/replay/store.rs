use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use bytes::Bytes;

use super::entry::ReplayKey;
use crate::BoxError;

/// The future a [`ReplayStore`] returns.
pub type StoreFuture<T> = Pin<Box<dyn Future<Output = Result<T, StoreError>> + Send>>;

/// Where the replay guard remembers the signatures it has seen; shared by
/// every instance of an app that should answer a request once.
///
/// Values are opaque bytes the guard writes and reads; a store only keeps
/// them, each with its time to live. Each method must be **atomic** with
/// respect to every other call on the same key, from any instance: that is
/// what makes 1,000 concurrent copies of a request reach the handler once.
/// [`MemoryStore`](super::MemoryStore) is one process's store; with the
/// `redis` feature, `RedisStore` is one shared by many.
///
/// The guard bounds each call by its
/// [`store_timeout`](super::ReplayGuardLayer::store_timeout); an error or
/// a timeout is handled as its
/// [`fail_open`](super::ReplayGuardLayer::fail_open) setting says.
pub trait ReplayStore: Send + Sync + 'static {
    /// If `key` holds nothing (or only an expired value), sets it to `mark`
    /// for `ttl` and returns `None`; else returns the value it holds.
    ///
    /// The new entry is counted against [`key.account()`](ReplayKey::account):
    /// a store that bounds each account's share fails with
    /// [`StoreError::account_over_budget`] rather than make room by
    /// dropping another account's entries, and never drops an entry still
    /// in progress to make room.
    fn claim(&self, key: ReplayKey, mark: Bytes, ttl: Duration) -> StoreFuture<Option<Bytes>>;

    /// If `key` still holds `mark`, or nothing, sets it to `value` for
    /// `ttl`; if it holds anything else, leaves it. A store that cannot keep
    /// `value` within the account's share keeps a shorter value that says
    /// the request was answered (copies get `409`) rather than forget it.
    fn complete(&self, key: ReplayKey, mark: Bytes, value: Bytes, ttl: Duration)
        -> StoreFuture<()>;

    /// If `key` still holds `mark`, removes it.
    fn release(&self, key: ReplayKey, mark: Bytes) -> StoreFuture<()>;
}

/// A store could not do what it was asked: unreachable, timed out, full, the
/// request's account over its share, or holding a value the guard did not
/// write. Its `Display` names the cause, never a credential.
pub struct StoreError {
    kind: StoreErrorKind,
    error: BoxError,
}

/// What kind of failure a [`StoreError`] is; the guard answers each as its
/// [`ReplayVerdict`](super::ReplayVerdict) says.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum StoreErrorKind {
    /// Unreachable, timed out, or an answer the guard cannot read.
    Unavailable,
    /// Reachable, but out of memory for new entries (Redis's `OOM` under
    /// `maxmemory` with `noeviction`).
    Full,
    /// The request's account holds all the entries or bytes it may: only
    /// that account's requests are refused.
    AccountOverBudget,
}

impl StoreError {
    /// Wraps the store's own error: the store is unavailable.
    pub fn new(error: impl Into<BoxError>) -> Self {
        Self::with_kind(StoreErrorKind::Unavailable, error)
    }

    /// The store is reachable but has no memory for a new entry.
    pub fn full(error: impl Into<BoxError>) -> Self {
        Self::with_kind(StoreErrorKind::Full, error)
    }

    /// The request's account holds all it may.
    pub fn account_over_budget() -> Self {
        Self::with_kind(
            StoreErrorKind::AccountOverBudget,
            "the account holds all the entries or bytes it may",
        )
    }

    fn with_kind(kind: StoreErrorKind, error: impl Into<BoxError>) -> Self {
        Self {
            kind,
            error: error.into(),
        }
    }

    /// What kind of failure it is.
    pub fn kind(&self) -> StoreErrorKind {
        self.kind
    }

    pub(crate) fn timeout(after: Duration) -> Self {
        Self::new(format!("no answer within {after:?}"))
    }
}

impl fmt::Display for StoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "replay store: {}", self.error)
    }
}

impl fmt::Debug for StoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StoreError")
            .field("kind", &self.kind)
            .field("error", &self.error)
            .finish()
    }
}

impl std::error::Error for StoreError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&*self.error)
    }
}

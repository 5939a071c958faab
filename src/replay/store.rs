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
    fn claim(&self, key: ReplayKey, mark: Bytes, ttl: Duration) -> StoreFuture<Option<Bytes>>;

    /// If `key` still holds `mark`, or nothing, sets it to `value` for
    /// `ttl`; if it holds anything else, leaves it.
    fn complete(&self, key: ReplayKey, mark: Bytes, value: Bytes, ttl: Duration)
        -> StoreFuture<()>;

    /// If `key` still holds `mark`, removes it.
    fn release(&self, key: ReplayKey, mark: Bytes) -> StoreFuture<()>;
}

/// A store could not answer: unreachable, timed out, or holding a value the
/// guard did not write. Its `Display` names the cause, never a credential.
pub struct StoreError(BoxError);

impl StoreError {
    /// Wraps the store's own error.
    pub fn new(error: impl Into<BoxError>) -> Self {
        Self(error.into())
    }

    pub(crate) fn timeout(after: Duration) -> Self {
        Self(format!("no answer within {after:?}").into())
    }
}

impl fmt::Display for StoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "replay store: {}", self.0)
    }
}

impl fmt::Debug for StoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("StoreError").field(&self.0).finish()
    }
}

impl std::error::Error for StoreError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&*self.0)
    }
}

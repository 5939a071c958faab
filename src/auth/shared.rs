//! Digest nonce counts in a shared [`ReplayStore`]: each (nonce, cnonce,
//! nc) is accepted once across every instance that uses the store.
//!
//! The one adapter between HTTP authentication and the replay guard's
//! store: it calls [`ReplayStore::claim`] only, with a key of its own
//! domain ([`ReplayKey::of_mac`] over a labelled hash that no webhook MAC
//! can equal, being of another length) and a one-byte value no replay
//! entry is, for as long as the nonce can still be used.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use sha2::{Digest as _, Sha256};

use crate::replay::{Account, ReplayKey, ReplayStore, StoreError};

/// The default time one claim in the store may take: 1 second, as the
/// replay guard's.
pub const DEFAULT_NONCE_COUNT_STORE_TIMEOUT: Duration = Duration::from_secs(1);

const LABEL: &[u8] = b"tower-twilio digest nonce count v1\0";
/// What a claimed count holds: the store only keeps it.
const CLAIMED: &[u8] = b"D";

/// The store and how long a claim may take.
#[derive(Clone)]
pub(super) struct SharedCounts {
    store: Arc<dyn ReplayStore>,
    timeout: Duration,
}

/// A nonce count the credentials carried, to be claimed.
pub(super) struct NonceCount {
    key: ReplayKey,
    /// Until the nonce is no longer fresh on any instance.
    ttl: Duration,
}

/// Whether a count was claimed (`true`: first use), or the store failed.
pub(crate) type ClaimFuture = Pin<Box<dyn Future<Output = Result<bool, StoreError>> + Send>>;

impl SharedCounts {
    pub(super) fn new(store: Arc<dyn ReplayStore>) -> Self {
        Self {
            store,
            timeout: DEFAULT_NONCE_COUNT_STORE_TIMEOUT,
        }
    }

    /// With `timeout` for each claim.
    pub(super) fn timeout(self, timeout: Duration) -> Self {
        Self { timeout, ..self }
    }

    /// Claims `count`: `Ok(true)` the first time anywhere, `Ok(false)` for
    /// a count used before, `Err` when the store does not answer in time.
    pub(super) fn claim(&self, count: NonceCount) -> ClaimFuture {
        let claim = self
            .store
            .claim(count.key, Bytes::from_static(CLAIMED), count.ttl);
        let timeout = self.timeout;
        Box::pin(async move {
            match tokio::time::timeout(timeout, claim).await {
                Ok(Ok(held)) => Ok(held.is_none()),
                Ok(Err(e)) => Err(e),
                Err(_) => Err(StoreError::timeout(timeout)),
            }
        })
    }
}

impl fmt::Debug for SharedCounts {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SharedCounts")
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}

impl NonceCount {
    /// The count `nc` of `cnonce` on `nonce` in `realm`, kept for `ttl`.
    pub(super) fn new(realm: &str, nonce: &str, cnonce: &str, nc: u32, ttl: Duration) -> Self {
        // The nonce was verified (no `\0`, fixed length); the realm has no
        // `\0` either: the encoding is unambiguous.
        let hash = Sha256::new()
            .chain_update(LABEL)
            .chain_update(realm)
            .chain_update([0])
            .chain_update(nonce)
            .chain_update([0])
            .chain_update(nc.to_be_bytes())
            .chain_update(cnonce)
            .finalize();
        // 35 + 32 bytes: no HMAC-SHA1 (20) or HMAC-SHA256 (32) MAC.
        let mut material = LABEL.to_vec();
        material.extend_from_slice(&hash);
        Self {
            // Counted against an account of the realm's own, apart from
            // every tenant's webhooks: only verified credentials claim here.
            key: ReplayKey::of_mac(&material, Account::named(&format!("digest:{realm}"))),
            ttl,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::replay::MemoryStore;

    fn counts() -> SharedCounts {
        SharedCounts::new(Arc::new(MemoryStore::new()))
    }

    fn count(nonce: &str, cnonce: &str, nc: u32) -> NonceCount {
        NonceCount::new("r", nonce, cnonce, nc, Duration::from_secs(60))
    }

    #[tokio::test]
    async fn a_count_is_claimed_once() {
        let counts = counts();
        assert!(counts.claim(count("n", "c", 1)).await.unwrap());
        assert!(!counts.claim(count("n", "c", 1)).await.unwrap());
        // Another count, cnonce or nonce is another claim.
        assert!(counts.claim(count("n", "c", 2)).await.unwrap());
        assert!(counts.claim(count("n", "d", 1)).await.unwrap());
        assert!(counts.claim(count("m", "c", 1)).await.unwrap());
    }

    #[tokio::test]
    async fn clones_share_the_store() {
        let a = counts();
        let b = a.clone();
        assert!(a.claim(count("n", "c", 7)).await.unwrap());
        assert!(!b.claim(count("n", "c", 7)).await.unwrap());
    }
}

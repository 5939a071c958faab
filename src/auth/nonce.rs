//! Stateless nonces, in the spirit of Apache `mod_auth_digest`.
//!
//! `nonce = base64url(timestamp || counter || HMAC-SHA256(key, "…nonce" || timestamp || counter || realm))`
//! with the timestamp (Unix seconds) and a per-process counter as 8 big-endian
//! bytes each; the counter makes every 401 carry a new nonce, as RFC 2617 asks.
//! Any instance that holds the key can tell a nonce it (or a peer) issued from a
//! forged one and knows its age without remembering anything. `opaque` is a fixed MAC of the
//! realm under the same key, so instances that share the key also agree on it.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::core::secret::Secret;

const NONCE_LABEL: &[u8] = b"tower-twilio digest nonce\0";
const OPAQUE_LABEL: &[u8] = b"tower-twilio digest opaque\0";
/// Bytes of a decoded nonce: timestamp, counter and tag.
const NONCE_BYTES: usize = 8 + 8 + 32;
/// Characters of an encoded nonce.
const NONCE_LEN: usize = NONCE_BYTES / 3 * 4;
/// How far in the future a nonce's timestamp may be: clocks of instances that
/// share the key may disagree by this much.
const MAX_CLOCK_SKEW_SECS: u64 = 300;

/// Issues and verifies the nonces of one realm under one key.
#[derive(Debug)]
pub(super) struct Nonces {
    key: Secret,
    realm: String,
    lifetime_secs: u64,
    opaque: String,
    issued: AtomicU64,
}

impl Nonces {
    /// `lifetime` is rounded down to whole seconds.
    pub(super) fn new(key: Secret, realm: &str, lifetime: Duration) -> Self {
        let tag = mac(&key, &[OPAQUE_LABEL, realm.as_bytes()])
            .finalize()
            .into_bytes();
        let opaque = URL_SAFE_NO_PAD.encode(&tag[..16]);
        Self {
            key,
            realm: realm.to_owned(),
            lifetime_secs: lifetime.as_secs(),
            opaque,
            issued: AtomicU64::new(0),
        }
    }

    /// The `opaque` value for every challenge.
    pub(super) fn opaque(&self) -> &str {
        &self.opaque
    }

    /// A new nonce stamped with `now`.
    pub(super) fn issue(&self, now: SystemTime) -> String {
        let mut raw = [0u8; NONCE_BYTES];
        raw[..8].copy_from_slice(&unix_secs(now).to_be_bytes());
        raw[8..16].copy_from_slice(&self.issued.fetch_add(1, Ordering::Relaxed).to_be_bytes());
        let tag = self.tag(&raw[..16]).finalize().into_bytes();
        raw[16..].copy_from_slice(&tag);
        URL_SAFE_NO_PAD.encode(raw)
    }

    /// When a nonce that this key issued for this realm was issued (Unix
    /// seconds), or `None` for a forged or malformed one. The tag is compared
    /// in constant time.
    pub(super) fn verify(&self, nonce: &str) -> Option<u64> {
        if nonce.len() != NONCE_LEN {
            return None;
        }
        let raw = URL_SAFE_NO_PAD.decode(nonce).ok()?;
        let (stamp, tag) = raw.split_at(16);
        self.tag(stamp).verify_slice(tag).ok()?;
        Some(u64::from_be_bytes(stamp[..8].try_into().ok()?))
    }

    /// Whether a nonce issued at `issued` may still be used at `now`: younger
    /// than the lifetime and not further in the future than clock skew explains.
    pub(super) fn is_fresh(&self, issued: u64, now: SystemTime) -> bool {
        let now = unix_secs(now);
        issued <= now.saturating_add(MAX_CLOCK_SKEW_SECS)
            && now < issued.saturating_add(self.lifetime_secs)
    }

    /// How long from `now` a nonce issued at `issued` may be used on any
    /// instance whose clock is up to the allowed skew behind this one's.
    pub(super) fn remaining(&self, issued: u64, now: SystemTime) -> Duration {
        let end = issued
            .saturating_add(self.lifetime_secs)
            .saturating_add(MAX_CLOCK_SKEW_SECS);
        Duration::from_secs(end.saturating_sub(unix_secs(now)).max(1))
    }

    /// The MAC of timestamp and counter.
    fn tag(&self, stamp: &[u8]) -> Hmac<Sha256> {
        mac(&self.key, &[NONCE_LABEL, stamp, self.realm.as_bytes()])
    }
}

fn mac(key: &Secret, parts: &[&[u8]]) -> Hmac<Sha256> {
    let mut mac =
        Hmac::<Sha256>::new_from_slice(key.expose()).expect("HMAC takes keys of any length");
    for part in parts {
        mac.update(part);
    }
    mac
}

/// Whole seconds since the Unix epoch; times before it count as 0.
fn unix_secs(time: SystemTime) -> u64 {
    time.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs())
}

#[cfg(test)]
mod tests {
    use super::*;

    const LIFETIME: Duration = Duration::from_secs(4 * 60 * 60);

    fn t(secs: u64) -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(secs)
    }

    fn nonces() -> Nonces {
        Nonces::new(
            Secret::from("0123456789abcdef0123456789abcdef"),
            "Twilio webhook",
            LIFETIME,
        )
    }

    #[test]
    fn verifies_its_own_nonce_and_returns_the_issue_time() {
        let n = nonces();
        let nonce = n.issue(t(1_700_000_000));
        assert_eq!(nonce.len(), NONCE_LEN);
        assert_eq!(n.verify(&nonce), Some(1_700_000_000));
    }

    #[test]
    fn every_nonce_is_new_even_within_a_second() {
        let n = nonces();
        assert_ne!(n.issue(t(1_700_000_000)), n.issue(t(1_700_000_000)));
    }

    #[test]
    fn nonce_uses_only_token_characters() {
        let nonce = nonces().issue(t(1_700_000_000));
        assert!(nonce
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'));
    }

    #[test]
    fn rejects_a_tampered_nonce() {
        let n = nonces();
        let nonce = n.issue(t(1_700_000_000));
        for i in 0..nonce.len() {
            let mut bytes = nonce.clone().into_bytes();
            bytes[i] = if bytes[i] == b'A' { b'B' } else { b'A' };
            assert_eq!(
                n.verify(std::str::from_utf8(&bytes).unwrap()),
                None,
                "position {i}"
            );
        }
    }

    #[test]
    fn rejects_nonces_of_another_key_or_realm() {
        let nonce = nonces().issue(t(1_700_000_000));
        let other_key = Nonces::new(
            Secret::from("another key of thirty-two bytes!"),
            "Twilio webhook",
            LIFETIME,
        );
        let other_realm = Nonces::new(
            Secret::from("0123456789abcdef0123456789abcdef"),
            "elsewhere",
            LIFETIME,
        );
        assert_eq!(other_key.verify(&nonce), None);
        assert_eq!(other_realm.verify(&nonce), None);
    }

    #[test]
    fn rejects_garbage() {
        let n = nonces();
        for garbage in [
            "",
            "abc",
            &"A".repeat(NONCE_LEN),
            &"!".repeat(NONCE_LEN),
            &"A".repeat(10_000),
        ] {
            assert_eq!(n.verify(garbage), None);
        }
    }

    #[test]
    fn instances_sharing_the_key_agree() {
        let (a, b) = (nonces(), nonces());
        assert_eq!(a.opaque(), b.opaque());
        assert_eq!(b.verify(&a.issue(t(1_700_000_000))), Some(1_700_000_000));
    }

    #[test]
    fn opaque_depends_on_key_and_realm() {
        let other = Nonces::new(
            Secret::from("0123456789abcdef0123456789abcdef"),
            "elsewhere",
            LIFETIME,
        );
        assert_ne!(nonces().opaque(), other.opaque());
    }

    #[test]
    fn is_fresh_for_its_lifetime() {
        let n = nonces();
        let issued = 1_700_000_000;
        assert!(n.is_fresh(issued, t(issued)));
        assert!(n.is_fresh(issued, t(issued + LIFETIME.as_secs() - 1)));
        assert!(!n.is_fresh(issued, t(issued + LIFETIME.as_secs())));
    }

    #[test]
    fn tolerates_clock_skew_but_not_a_far_future_timestamp() {
        let n = nonces();
        assert!(n.is_fresh(1_700_000_000 + MAX_CLOCK_SKEW_SECS, t(1_700_000_000)));
        assert!(!n.is_fresh(1_700_000_001 + MAX_CLOCK_SKEW_SECS, t(1_700_000_000)));
        assert!(!n.is_fresh(u64::MAX, t(1_700_000_000)));
    }
}

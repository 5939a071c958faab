//! What the guard keeps per signature, and how it is written to a store:
//! pure functions, no I/O.

use std::collections::hash_map::RandomState;
use std::fmt;
use std::hash::{BuildHasher, Hasher};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::OnceLock;

use bytes::{BufMut, Bytes, BytesMut};
use http::{HeaderValue, StatusCode};
use sha2::{Digest as _, Sha256};

/// The key a signed request is remembered under: a SHA-256 of the MAC it
/// carried, and the [`Account`] it is counted against.
///
/// A copy of a request, and any other request with the same signed string
/// (fields re-split, a boundary moved, a POST replayed as a GET that spells
/// it), carries the same MAC, so it has the same digest. The digest is not
/// the MAC, so a store never holds a valid signature. Stores look entries up
/// by the [digest](Self::as_bytes) alone and count them against the
/// [account](Self::account) that claimed them: after a token rotation moves
/// the old token from primary to secondary, a request captured before is
/// still known, whichever key matches it now.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct ReplayKey {
    digest: [u8; 32],
    account: Account,
}

impl ReplayKey {
    /// The key of a request that carried `mac`, counted against `account`.
    pub(crate) fn of_mac(mac: &[u8], account: Account) -> Self {
        Self {
            digest: Sha256::new()
                .chain_update(b"tower-twilio replay key v1\0")
                .chain_update(mac)
                .finalize()
                .into(),
            account,
        }
    }

    /// The digest's 32 bytes: what a store looks the entry up by.
    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.digest
    }

    /// The account whose share of the store the entry is counted in.
    pub fn account(&self) -> Account {
        self.account
    }
}

/// Lowercase hex of the digest, as a store that wants text keys writes it.
impl fmt::Display for ReplayKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.digest.iter().try_for_each(|b| write!(f, "{b:02x}"))
    }
}

impl fmt::Debug for ReplayKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ReplayKey({self}, {:?})", self.account)
    }
}

/// Whose share of a store an entry fills: the `AccountSid` the
/// [`KeyResolver`](crate::validate::KeyResolver) gave keys for, or, with
/// keys configured once, the key that matched (primary token, a secondary
/// token, a shared key). Held as 16 bytes of a SHA-256 of that name, so a
/// store holds nothing the request spelled.
///
/// Stores bound each account's entries and bytes, so that a tenant whose
/// own valid webhooks flood the guard can only fill, or evict from, its own
/// share.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Account([u8; 16]);

impl Account {
    /// The account named `name` (an `AccountSid`, or a key's name).
    pub(crate) fn named(name: &str) -> Self {
        let digest = Sha256::new()
            .chain_update(b"tower-twilio replay account v1\0")
            .chain_update(name.as_bytes())
            .finalize();
        let mut id = [0; 16];
        id.copy_from_slice(&digest[..16]);
        Self(id)
    }

    /// The account a validated request is counted against.
    pub(crate) fn of(webhook: &crate::ValidatedWebhook) -> Self {
        match webhook.account_sid() {
            Some(sid) => Self::named(sid),
            None => Self::named(&format!("key:{}", webhook.matched_key())),
        }
    }

    /// Its 16 bytes.
    pub fn as_bytes(&self) -> &[u8; 16] {
        &self.0
    }
}

/// Lowercase hex, as a store that wants text keys writes it.
impl fmt::Display for Account {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.iter().try_for_each(|b| write!(f, "{b:02x}"))
    }
}

impl fmt::Debug for Account {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Account({self})")
    }
}

/// What a store holds for a key.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Entry {
    /// The first copy is being handled.
    InProgress,
    /// The first copy was answered with this 2xx.
    Answered(Recorded),
    /// The first copy was answered with a 2xx too large to keep.
    NotKept,
}

/// A recorded answer: its status, `Content-Type` and body.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Recorded {
    pub(crate) status: StatusCode,
    pub(crate) content_type: Option<HeaderValue>,
    pub(crate) body: Bytes,
}

const IN_PROGRESS: u8 = b'P';
const ANSWERED: u8 = b'A';
const NOT_KEPT: u8 = b'N';

/// A value no store could have written: another program's key, or a
/// version of this crate that wrote something else.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Corrupt;

/// A fresh in-progress mark: `P` and 16 bytes unique to this claim (a
/// per-process random number and a counter), so that only the claim that
/// wrote a mark replaces or removes it.
pub(crate) fn mark() -> Bytes {
    static SEED: OnceLock<u64> = OnceLock::new();
    static COUNT: AtomicU64 = AtomicU64::new(0);
    // Random per process (std seeds `RandomState` from the OS): unique
    // among instances, not a secret.
    let seed = *SEED.get_or_init(|| {
        let mut h = RandomState::new().build_hasher();
        h.write_u32(std::process::id());
        h.finish()
    });
    let mut m = BytesMut::with_capacity(17);
    m.put_u8(IN_PROGRESS);
    m.put_u64(seed);
    m.put_u64(COUNT.fetch_add(1, Ordering::Relaxed));
    m.freeze()
}

impl Entry {
    pub(crate) fn encode(&self) -> Bytes {
        match self {
            Entry::InProgress => mark(),
            Entry::NotKept => Bytes::from_static(&[NOT_KEPT]),
            Entry::Answered(r) => {
                let ct = r.content_type.as_ref().map_or(&[][..], |v| v.as_bytes());
                let mut b = BytesMut::with_capacity(5 + ct.len() + r.body.len());
                b.put_u8(ANSWERED);
                b.put_u16(r.status.as_u16());
                // A header value longer than 64 KiB is not kept (no server
                // sends one); `encoded_len` said so before.
                b.put_u16(ct.len() as u16);
                b.put_slice(ct);
                b.put_slice(&r.body);
                b.freeze()
            }
        }
    }

    pub(crate) fn decode(value: &[u8]) -> Result<Self, Corrupt> {
        match value.split_first() {
            Some((&IN_PROGRESS, token)) if token.len() == 16 => Ok(Entry::InProgress),
            Some((&NOT_KEPT, [])) => Ok(Entry::NotKept),
            Some((&ANSWERED, rest)) => {
                let (status, rest) = split_u16(rest)?;
                let (ct_len, rest) = split_u16(rest)?;
                let status = StatusCode::from_u16(status).map_err(|_| Corrupt)?;
                if !status.is_success() || rest.len() < ct_len as usize {
                    return Err(Corrupt);
                }
                let (ct, body) = rest.split_at(ct_len as usize);
                let content_type = match ct {
                    [] => None,
                    ct => Some(HeaderValue::from_bytes(ct).map_err(|_| Corrupt)?),
                };
                Ok(Entry::Answered(Recorded {
                    status,
                    content_type,
                    body: Bytes::copy_from_slice(body),
                }))
            }
            _ => Err(Corrupt),
        }
    }
}

/// Whether an answer with this `Content-Type` can be recorded at all.
pub(crate) fn keepable(content_type: Option<&HeaderValue>) -> bool {
    content_type.map_or(0, |v| v.len()) <= u16::MAX as usize
}

fn split_u16(b: &[u8]) -> Result<(u16, &[u8]), Corrupt> {
    match b {
        [hi, lo, rest @ ..] => Ok((u16::from_be_bytes([*hi, *lo]), rest)),
        _ => Err(Corrupt),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_answer_reads_back_as_written() {
        let answered = Entry::Answered(Recorded {
            status: StatusCode::CREATED,
            content_type: Some(HeaderValue::from_static("text/xml; charset=utf-8")),
            body: Bytes::from_static(b"<Response/>"),
        });
        assert_eq!(Entry::decode(&answered.encode()), Ok(answered));
        let bare = Entry::Answered(Recorded {
            status: StatusCode::NO_CONTENT,
            content_type: None,
            body: Bytes::new(),
        });
        assert_eq!(Entry::decode(&bare.encode()), Ok(bare));
        assert_eq!(Entry::decode(&Entry::NotKept.encode()), Ok(Entry::NotKept));
        assert_eq!(Entry::decode(&mark()), Ok(Entry::InProgress));
    }

    #[test]
    fn every_mark_is_different() {
        assert_ne!(mark(), mark());
    }

    #[test]
    fn refuses_values_it_did_not_write() {
        for value in [
            &b""[..],
            b"P",
            b"Pshort",
            b"N1",
            b"A",
            b"A\x00\xc8",
            b"A\x00\xc8\x00\x09text",
            b"A\x01\xf4\x00\x00",
            b"A\x00\x00\x00\x00",
            b"A\x00\xc8\x00\x01\n",
            b"X",
        ] {
            assert_eq!(Entry::decode(value), Err(Corrupt), "{value:?}");
        }
    }

    #[test]
    fn keys_differ_by_mac_and_never_hold_it() {
        let acc = Account::named("AC1");
        let a = ReplayKey::of_mac(&[1; 20], acc);
        assert_eq!(a, ReplayKey::of_mac(&[1; 20], acc));
        assert_ne!(a, ReplayKey::of_mac(&[2; 20], acc));
        let other = ReplayKey::of_mac(&[1; 20], Account::named("AC2"));
        assert_eq!(a.as_bytes(), other.as_bytes());
        assert_eq!(a.to_string().len(), 64);
        assert!(!a.as_bytes().windows(20).any(|w| w == [1; 20]));
    }
}

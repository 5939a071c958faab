//! `X-Twilio-Webhooks-Signature-Settings: key=<shared key id>,algorithm=<name>`.

use crate::core::signature::{Algorithm, UnknownAlgorithm};

/// The parsed `X-Twilio-Webhooks-Signature-Settings` header.
///
/// Parts are separated by `,`, names and values are trimmed, names are
/// case-sensitive and the first occurrence of a name wins (as twilio-python
/// reads it). A missing `algorithm` means `HMAC_SHA1`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SignatureSettings<'a> {
    key: Option<&'a str>,
    algorithm: Algorithm,
}

impl<'a> SignatureSettings<'a> {
    /// Parses a header value; an unknown algorithm is an error.
    pub fn parse(header: &'a str) -> Result<Self, UnknownAlgorithm> {
        let mut key = None;
        let mut algorithm = None;
        // Cut at ASCII bytes by hand: the header is short and read for every
        // request, too short for the set-up of `str::split` to pay off.
        let mut rest = header;
        while !rest.is_empty() {
            let end = rest.bytes().position(|b| b == b',').unwrap_or(rest.len());
            let part = &rest[..end];
            rest = rest.get(end + 1..).unwrap_or_default();
            let Some(eq) = part.bytes().position(|b| b == b'=') else {
                continue;
            };
            let value = part[eq + 1..].trim();
            match part[..eq].trim() {
                "key" if key.is_none() && !value.is_empty() => key = Some(value),
                "algorithm" if algorithm.is_none() && !value.is_empty() => {
                    algorithm = Some(value.parse()?)
                }
                _ => {}
            }
        }
        Ok(Self {
            key,
            algorithm: algorithm.unwrap_or_default(),
        })
    }

    /// The shared key id (`key=`), if any.
    pub fn key(&self) -> Option<&'a str> {
        self.key
    }

    /// The algorithm (`algorithm=`), `HMAC_SHA1` when absent.
    pub fn algorithm(&self) -> Algorithm {
        self.algorithm
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_key_and_algorithm_in_any_order_with_spaces() {
        let s = SignatureSettings::parse(" algorithm = HMAC_SHA256 , key = k1 ").unwrap();
        assert_eq!(s.key(), Some("k1"));
        assert_eq!(s.algorithm(), Algorithm::HmacSha256);
    }

    #[test]
    fn missing_algorithm_means_sha1() {
        let s = SignatureSettings::parse("key=k1").unwrap();
        assert_eq!(s.algorithm(), Algorithm::HmacSha1);
    }

    #[test]
    fn first_occurrence_wins() {
        let s = SignatureSettings::parse("key=a,key=b,algorithm=HMAC_SHA1,algorithm=HMAC_SHA256")
            .unwrap();
        assert_eq!((s.key(), s.algorithm()), (Some("a"), Algorithm::HmacSha1));
    }

    #[test]
    fn unknown_algorithm_is_an_error() {
        assert!(SignatureSettings::parse("key=k,algorithm=HMAC_MD5").is_err());
    }

    #[test]
    fn garbage_has_no_key() {
        let s = SignatureSettings::parse(",,=,key,=x").unwrap();
        assert_eq!(s.key(), None);
    }
}

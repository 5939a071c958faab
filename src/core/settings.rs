//! `X-Twilio-Webhooks-Signature-Settings: key=<shared key id>,algorithm=<name>`.

use std::borrow::Cow;

use crate::core::signature::{Algorithm, UnknownAlgorithm};

/// Several `X-Twilio-Webhooks-Signature-Settings` headers as one value,
/// joined by `, ` in the order received: what the servers twilio-python and
/// twilio-node run in hand them (WSGI servers and Django join a repeated
/// header with `,`, Node's `http` with `, ` for a header it does not know),
/// so that, read by [`SignatureSettings::parse`], the first non-empty
/// `algorithm=` (and `key=`) of any of them wins. `None` without one; a
/// single header is borrowed as it is.
pub fn join_settings<'a>(mut values: impl Iterator<Item = &'a str>) -> Option<Cow<'a, str>> {
    let first = values.next()?;
    let Some(second) = values.next() else {
        return Some(Cow::Borrowed(first));
    };
    let mut joined = format!("{first}, {second}");
    for value in values {
        joined.push_str(", ");
        joined.push_str(value);
    }
    Some(Cow::Owned(joined))
}

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
    fn repeated_headers_join_and_the_first_non_empty_algorithm_wins() {
        assert_eq!(join_settings([].into_iter()), None);
        let one = join_settings(["key=a"].into_iter()).unwrap();
        assert!(matches!(one, Cow::Borrowed("key=a")));
        let joined =
            join_settings(["key=a,algorithm=", "algorithm=HMAC_SHA256,key=b"].into_iter()).unwrap();
        assert_eq!(joined, "key=a,algorithm=, algorithm=HMAC_SHA256,key=b");
        let s = SignatureSettings::parse(&joined).unwrap();
        assert_eq!((s.key(), s.algorithm()), (Some("a"), Algorithm::HmacSha256));
        let three = join_settings(["", "", "algorithm=HMAC_SHA256"].into_iter()).unwrap();
        assert_eq!(three, ", , algorithm=HMAC_SHA256");
    }

    #[test]
    fn names_are_case_sensitive_and_algorithms_are_not() {
        let s = SignatureSettings::parse("Algorithm=HMAC_SHA256,KEY=k").unwrap();
        assert_eq!((s.key(), s.algorithm()), (None, Algorithm::HmacSha1));
        let s = SignatureSettings::parse("algorithm=hmac_sha256").unwrap();
        assert_eq!(s.algorithm(), Algorithm::HmacSha256);
    }

    #[test]
    fn garbage_has_no_key() {
        let s = SignatureSettings::parse(",,=,key,=x").unwrap();
        assert_eq!(s.key(), None);
    }
}

//! The signing rule: `base64(HMAC(secret, URL + sorted params))`.
//!
//! Everything here is pure: no HTTP types, no I/O.

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use hmac::{Hmac, Mac as _};
use sha1::Sha1;
use sha2::{Digest as _, Sha256};

use std::borrow::Cow;
use std::cmp::Ordering;
use std::fmt;
use std::str::FromStr;

use crate::core::fields::{sort_prefix, FormFields};
use crate::core::secret::Secret;

/// The HMAC Twilio signed a request with.
///
/// `HmacSha1` with the account Auth Token is what every webhook uses unless
/// `X-Twilio-Webhooks-Signature-Settings` names another algorithm.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum Algorithm {
    /// `HMAC_SHA1`, the default.
    #[default]
    HmacSha1,
    /// `HMAC_SHA256`, used with shared keys.
    HmacSha256,
}

impl Algorithm {
    /// The name Twilio uses in `X-Twilio-Webhooks-Signature-Settings`.
    pub fn as_str(self) -> &'static str {
        match self {
            Algorithm::HmacSha1 => "HMAC_SHA1",
            Algorithm::HmacSha256 => "HMAC_SHA256",
        }
    }
}

impl fmt::Display for Algorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An algorithm name that is neither `HMAC_SHA1` nor `HMAC_SHA256`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UnknownAlgorithm;

impl fmt::Display for UnknownAlgorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("unknown signature algorithm (expected HMAC_SHA1 or HMAC_SHA256)")
    }
}

impl std::error::Error for UnknownAlgorithm {}

impl FromStr for Algorithm {
    type Err = UnknownAlgorithm;

    /// Case-insensitive, as twilio-python reads it.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if s.eq_ignore_ascii_case("HMAC_SHA1") {
            Ok(Algorithm::HmacSha1)
        } else if s.eq_ignore_ascii_case("HMAC_SHA256") {
            Ok(Algorithm::HmacSha256)
        } else {
            Err(UnknownAlgorithm)
        }
    }
}

/// Computes the `X-Twilio-Signature` Twilio would send for `url` and the
/// decoded POST `params` (pass an empty slice for a request without form body,
/// including a JSON request whose URL carries `bodySHA256`).
///
/// ```
/// use tower_twilio::{compute_signature, Algorithm};
///
/// let params = [
///     ("CallSid", "CA1234567890ABCDE"),
///     ("Caller", "+14158675309"),
///     ("Digits", "1234"),
///     ("From", "+14158675309"),
///     ("To", "+18005551212"),
/// ];
/// let signature = compute_signature(
///     "12345",
///     Algorithm::HmacSha1,
///     "https://mycompany.com/myapp.php?foo=1&bar=2",
///     &params,
/// );
/// assert_eq!(signature, "RSOYDt4T1cUTdK1PDd93/VVr8B8=");
/// ```
pub fn compute_signature<K, V>(
    secret: impl AsRef<[u8]>,
    algorithm: Algorithm,
    url: &str,
    params: &[(K, V)],
) -> String
where
    K: AsRef<str>,
    V: AsRef<str>,
{
    let signed = SignedParams::new(params);
    let mut mac = KeyedMac::new(secret.as_ref(), algorithm);
    mac.update(url.as_bytes());
    mac.update(signed.byte_order());
    STANDARD.encode(mac.finalize())
}

/// The lowercase hex SHA-256 of a body, as Twilio puts it in `bodySHA256`.
pub fn body_sha256_hex(body: &[u8]) -> String {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let digest = Sha256::digest(body);
    let mut out = String::with_capacity(64);
    for byte in digest {
        out.push(HEX[usize::from(byte >> 4)] as char);
        out.push(HEX[usize::from(byte & 0x0f)] as char);
    }
    out
}

/// The parameter part of the signed string, built once per request and fed
/// to the MAC after each candidate URL.
///
/// Keys are sorted by byte order; a key's values are de-duplicated and
/// sorted. Twilio's Node library sorts by UTF-16 code units instead, which
/// differs from byte order only when astral characters (emoji) meet
/// characters in U+E000..U+FFFF; then that second ordering is kept as well.
#[derive(Clone, Debug, Default)]
pub struct SignedParams<'a> {
    byte_order: Cow<'a, [u8]>,
    utf16_order: Option<Vec<u8>>,
}

impl SignedParams<'static> {
    /// The parameter strings of `params`, sorted and without repeats.
    pub fn new<K: AsRef<str>, V: AsRef<str>>(params: &[(K, V)]) -> Self {
        Self::from_pairs(params.iter().map(|(k, v)| (k.as_ref(), v.as_ref())))
    }

    /// Like [`new`](Self::new), from `(name, value)` pairs.
    pub(crate) fn from_pairs<'p>(pairs: impl ExactSizeIterator<Item = (&'p str, &'p str)>) -> Self {
        if pairs.len() == 0 {
            return Self::default();
        }
        let mut fields: Vec<Field<'p>> = pairs.map(Field::new).collect();
        fields.sort_unstable_by(Field::byte_order);
        fields.dedup_by(|a, b| a.name == b.name && a.value == b.value);
        let byte_order = concat(&fields);

        // Astral characters are four-byte UTF-8 sequences, led by 0xF0..0xF4.
        let utf16_order = if has_astral(&byte_order) {
            fields.sort_by(|a, b| {
                a.name
                    .encode_utf16()
                    .cmp(b.name.encode_utf16())
                    .then_with(|| a.value.encode_utf16().cmp(b.value.encode_utf16()))
            });
            Some(concat(&fields)).filter(|other| *other != byte_order)
        } else {
            None
        };
        Self {
            byte_order: Cow::Owned(byte_order),
            utf16_order,
        }
    }
}

impl<'a> SignedParams<'a> {
    /// The fields of a form body as the layer decoded them.
    /// `fields.text()` is their names and values in the order received
    /// with nothing between them: when they arrive in byte order, all
    /// distinct and without astral characters, that text is the signed
    /// string as it is, and nothing is sorted or copied. Any other body
    /// is sorted (the order check stops at the first pair out of order).
    ///
    /// Measured with callgrind (`bench/profile.rs accept`, the 28-field
    /// inbound call, whose fields are sorted): sorting and concatenating
    /// cost 5,115 instructions per request, checking the order instead
    /// costs 1,342.
    pub fn from_fields(fields: &'a FormFields) -> Self {
        let text = fields.text().as_bytes();
        if fields.strictly_sorted() && !has_astral(text) {
            Self {
                byte_order: Cow::Borrowed(text),
                utf16_order: None,
            }
        } else {
            SignedParams::from_pairs(fields.iter())
        }
    }

    /// The same, owning its bytes.
    pub(crate) fn into_owned(self) -> SignedParams<'static> {
        SignedParams {
            byte_order: Cow::Owned(self.byte_order.into_owned()),
            utf16_order: self.utf16_order,
        }
    }

    /// Whether there are no fields.
    pub(crate) fn is_empty(&self) -> bool {
        self.byte_order.is_empty()
    }

    /// Whether the byte-order string is the decoded body itself, borrowed.
    #[cfg(feature = "fuzzing")]
    pub(crate) fn borrows_body(&self) -> bool {
        matches!(self.byte_order, Cow::Borrowed(_))
    }

    /// The signed parameter string in byte order.
    pub fn byte_order(&self) -> &[u8] {
        &self.byte_order
    }

    /// Whether UTF-16 code-unit order gives other bytes than byte order.
    pub(crate) fn utf16_differs(&self) -> bool {
        self.utf16_order.is_some()
    }

    /// The signed parameter string in UTF-16 code-unit order, as JavaScript
    /// sorts (the same bytes as [`byte_order`](Self::byte_order) unless they differ).
    pub fn utf16_order(&self) -> &[u8] {
        self.utf16_order.as_deref().unwrap_or(&self.byte_order)
    }
}

/// A field to sort, with the first eight bytes of its name as a number
/// (zero-padded): names differ there often enough that most comparisons
/// are one integer compare.
struct Field<'p> {
    prefix: u64,
    name: &'p str,
    value: &'p str,
}

impl<'p> Field<'p> {
    fn new((name, value): (&'p str, &'p str)) -> Self {
        Self {
            prefix: sort_prefix(name.as_bytes(), 0..name.len()),
            name,
            value,
        }
    }

    /// Byte order of the names, then of the values. The prefixes agree with
    /// it: a zero pad sorts where a shorter name sorts, and equal prefixes
    /// fall through to the whole names.
    fn byte_order(a: &Self, b: &Self) -> Ordering {
        // Comparing byte by byte inline is faster than a `memcmp` call for
        // names and values this short.
        a.prefix
            .cmp(&b.prefix)
            .then_with(|| a.name.bytes().cmp(b.name.bytes()))
            .then_with(|| a.value.bytes().cmp(b.value.bytes()))
    }
}

/// Whether `bytes` (UTF-8) hold an astral character: a four-byte
/// sequence, led by 0xF0..0xF4.
pub fn has_astral(bytes: &[u8]) -> bool {
    !bytes.is_ascii() && bytes.iter().any(|&b| b >= 0xF0)
}

fn concat(fields: &[Field<'_>]) -> Vec<u8> {
    let len = fields.iter().map(|f| f.name.len() + f.value.len()).sum();
    let mut out = Vec::with_capacity(len);
    for field in fields {
        out.extend_from_slice(field.name.as_bytes());
        out.extend_from_slice(field.value.as_bytes());
    }
    out
}

/// An HMAC keyed once per request, cloned for each candidate URL.
#[derive(Clone)]
pub(crate) enum KeyedMac {
    Sha1(Hmac<Sha1>),
    Sha256(Hmac<Sha256>),
}

impl KeyedMac {
    pub(crate) fn new(secret: &[u8], algorithm: Algorithm) -> Self {
        // HMAC accepts keys of any length, so these never fail.
        match algorithm {
            Algorithm::HmacSha1 => KeyedMac::Sha1(
                Hmac::new_from_slice(secret).expect("HMAC takes a key of any length"),
            ),
            Algorithm::HmacSha256 => KeyedMac::Sha256(
                Hmac::new_from_slice(secret).expect("HMAC takes a key of any length"),
            ),
        }
    }

    pub(crate) fn update(&mut self, data: &[u8]) {
        match self {
            KeyedMac::Sha1(m) => m.update(data),
            KeyedMac::Sha256(m) => m.update(data),
        }
    }

    /// The MAC bytes (20 for SHA-1, 32 for SHA-256).
    pub(crate) fn finalize(self) -> Vec<u8> {
        match self {
            KeyedMac::Sha1(m) => m.finalize().into_bytes().to_vec(),
            KeyedMac::Sha256(m) => m.finalize().into_bytes().to_vec(),
        }
    }

    /// Compares with `expected` in constant time (`subtle`, through
    /// `hmac::Mac::verify_slice`). Only the length is compared in variable
    /// time, and the length is public: it is fixed by the algorithm.
    pub(crate) fn verify(self, expected: &[u8]) -> bool {
        match self {
            KeyedMac::Sha1(m) => m.verify_slice(expected).is_ok(),
            KeyedMac::Sha256(m) => m.verify_slice(expected).is_ok(),
        }
    }
}

/// An HMAC key with its states computed once, for both algorithms: a
/// request clones them instead of keying the HMAC again, which saves two
/// block compressions (a third of the work for a short request).
///
/// The states are as good as the key, so they are overwritten before their
/// memory is freed; the `Secret` they came from is not kept.
#[derive(Clone)]
pub(crate) struct MacKey {
    sha1: KeyedMac,
    sha256: KeyedMac,
}

impl MacKey {
    pub(crate) fn new(secret: &Secret) -> Self {
        Self {
            sha1: KeyedMac::new(secret.expose(), Algorithm::HmacSha1),
            sha256: KeyedMac::new(secret.expose(), Algorithm::HmacSha256),
        }
    }

    /// The keyed HMAC for `algorithm`, to clone for each message.
    pub(crate) fn mac(&self, algorithm: Algorithm) -> &KeyedMac {
        match algorithm {
            Algorithm::HmacSha1 => &self.sha1,
            Algorithm::HmacSha256 => &self.sha256,
        }
    }
}

impl Drop for MacKey {
    fn drop(&mut self) {
        // The states of an empty key written over the keyed ones, in place;
        // `black_box` keeps the compiler from dropping the writes as dead.
        self.sha1 = KeyedMac::new(&[], Algorithm::HmacSha1);
        self.sha256 = KeyedMac::new(&[], Algorithm::HmacSha256);
        std::hint::black_box(&mut *self);
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// The seed document's URL and fields (`../shared/twilio-vectors.md`).
    pub(crate) const U: &str = "https://mycompany.com/myapp.php?foo=1&bar=2";
    pub(crate) const P: [(&str, &str); 5] = [
        ("CallSid", "CA1234567890ABCDE"),
        ("Caller", "+14158675309"),
        ("Digits", "1234"),
        ("From", "+14158675309"),
        ("To", "+18005551212"),
    ];
    const NO_PARAMS: [(&str, &str); 0] = [];

    fn sha1(url: &str, params: &[(&str, &str)]) -> String {
        compute_signature("12345", Algorithm::HmacSha1, url, params)
    }

    #[test]
    fn signs_url_and_sorted_params_with_sha1() {
        assert_eq!(sha1(U, &P), "RSOYDt4T1cUTdK1PDd93/VVr8B8=");
    }

    #[test]
    fn param_order_on_the_wire_does_not_matter() {
        let mut reversed = P;
        reversed.reverse();
        assert_eq!(sha1(U, &reversed), "RSOYDt4T1cUTdK1PDd93/VVr8B8=");
    }

    #[test]
    fn signs_each_url_form_as_given() {
        assert_eq!(
            sha1("https://mycompany.com:443/myapp.php?foo=1&bar=2", &P),
            "kvajT1Ptam85bY51eRf/AJRuM3w="
        );
        assert_eq!(
            sha1("http://mycompany.com:1234/myapp.php?foo=1&bar=2", &P),
            "Zmvh+3yNM1Phv2jhDCwEM3q5ebU="
        );
        assert_eq!(
            sha1("http://mycompany.com:80/myapp.php?foo=1&bar=2", &P),
            "0ZXoZLH/DfblKGATFgpif+LLRf4="
        );
        assert_eq!(
            sha1("https://user:pass@mycompany.com/myapp.php?foo=1&bar=2", &P),
            "CukzLTc1tT5dXEDIHm/tKBanW10="
        );
        assert_eq!(
            sha1("https://mycompany.com/webhook/España?año=2023", &P),
            "G/Hx6mqqnjUNlPAoi2Sp9bGst0g="
        );
    }

    #[test]
    fn repeated_key_values_are_deduplicated_and_sorted() {
        let params = [
            ("Sid", "CA123"),
            ("SidAccount", "AC123"),
            ("Digits", "5678"),
            ("Digits", "1234"),
            ("Digits", "1234"),
        ];
        assert_eq!(sha1(U, &params), "IK+Dwps556ElfBT0I3Rgjkr1wJU=");
    }

    #[test]
    fn repeated_key_in_either_order_signs_the_same() {
        let a = [
            ("MessagingBinding.Address", "+1325xxxxxxx"),
            ("MessagingBinding.Address", "+1415xxxxxxx"),
        ];
        let b = [a[1], a[0]];
        assert_eq!(sha1(U, &a), "83O6e2vORAoJHUNzJjDWN1jz+BA=");
        assert_eq!(sha1(U, &b), "83O6e2vORAoJHUNzJjDWN1jz+BA=");
    }

    #[test]
    fn keys_sort_by_byte_order_case_sensitively() {
        let params = [
            ("callSid", "lowercase"),
            ("CallSid", "uppercase"),
            ("CALLSID", "allcaps"),
        ];
        assert_eq!(sha1(U, &params), "jDK7WKT8wiNrwggd4ceTv4e1MJ4=");
    }

    #[test]
    fn decoded_values_are_signed() {
        let params = [
            ("From", "+1 (415) 867-5309"),
            ("Message", "Hello & goodbye! @#$%^*()"),
            ("Special", "unicode: ñáéíóú"),
        ];
        assert_eq!(sha1(U, &params), "dCPiR4WtQ6QFN6pJh81CtlCcWLQ=");
    }

    #[test]
    fn empty_values_are_signed() {
        let params = [
            ("CallSid", "CA1234567890ABCDE"),
            ("Digits", ""),
            ("EmptyParam", ""),
        ];
        assert_eq!(sha1(U, &params), "9HHp/OqQMEwdrVebHDdA/+tqjX8=");
    }

    #[test]
    fn twilio_docs_examples() {
        let params = [
            ("CallSid", "CA1234567890ABCDE"),
            ("Caller", "+14158675310"),
            ("Digits", "1234"),
            ("From", "+14158675310"),
            ("To", "+18005551212"),
        ];
        assert_eq!(
            sha1("https://example.com/myapp.php?foo=1&bar=2", &params),
            "L/OH5YylLD5NRKLltdqwSvS0BnU="
        );
        assert_eq!(
            compute_signature(
                "qwerty",
                Algorithm::HmacSha1,
                "https://example.com/test",
                &[("foo", "bar")]
            ),
            "TR9Skm9jiF4WVRJznU5glK5I83k="
        );
    }

    #[test]
    fn body_sha256_urls_sign_the_url_alone() {
        let body = br#"{"property": "value", "boolean": true}"#;
        let hash = body_sha256_hex(body);
        assert_eq!(
            hash,
            "0a1ff7634d9ab3b95db5c9a2dfe9416e41502b283a80c7cf19632632f96e6620"
        );
        assert_eq!(
            sha1(&format!("{U}&bodySHA256={hash}"), &NO_PARAMS),
            "a9nBmqA0ju/hNViExpshrM61xv4="
        );
        assert_eq!(
            sha1(
                &format!("https://mycompany.com/myapp.php?bodySHA256={hash}"),
                &NO_PARAMS
            ),
            "y77kIzt2vzLz71DgmJGsen2scGs="
        );
    }

    #[test]
    fn websocket_urls_are_signed_as_given() {
        assert_eq!(
            sha1("wss://mycompany.com/media-stream", &NO_PARAMS),
            "N2Y//FHA042H22oVtTOPT1X3yoU="
        );
        assert_eq!(
            sha1("wss://mycompany.com/media-stream/", &NO_PARAMS),
            "B+WT+LSnUu+RWlK9v/62zQuXpec="
        );
    }

    #[test]
    fn shared_keys_sign_with_sha256() {
        let sign =
            |secret: &str, url: &str| compute_signature(secret, Algorithm::HmacSha256, url, &P);
        assert_eq!(
            sign("12345", U),
            "033hgUJA9M/hXIZsYjwkerEP/DBm35nEri5FhCYjA5s="
        );
        assert_eq!(
            sign("sk_test_shared_secret", U),
            "5XEMldaT6NGZTJiYStEaqwsi2CGHd2pfREC3/1RiC/Y="
        );
        assert_eq!(
            sign(
                "sk_test_shared_secret",
                "https://mycompany.com:443/myapp.php?foo=1&bar=2"
            ),
            "DVAwBh2jjx5G2nVnabJxx9grV8beVLBKruyyeUKHbtI="
        );
    }

    #[test]
    fn algorithm_names_parse_case_insensitively() {
        assert_eq!("HMAC_SHA256".parse(), Ok(Algorithm::HmacSha256));
        assert_eq!("hmac_sha1".parse(), Ok(Algorithm::HmacSha1));
        assert_eq!("HMAC_MD5".parse::<Algorithm>(), Err(UnknownAlgorithm));
    }

    #[test]
    fn utf16_ordering_is_kept_only_when_it_differs() {
        let plain = SignedParams::new(&[("a", "1"), ("b", "😀")]);
        assert!(plain.utf16_order.is_none());
        assert_eq!(plain.utf16_order(), plain.byte_order());
        // U+FF01 sorts after an emoji's surrogates in UTF-16, before it in bytes.
        let mixed = SignedParams::new(&[("\u{FF01}", "1"), ("😀", "2")]);
        assert_eq!(mixed.byte_order(), "\u{FF01}1😀2".as_bytes());
        assert_eq!(mixed.utf16_order(), "😀2\u{FF01}1".as_bytes());
    }
}

//! The framework-free validator: keys, candidates and the verdict.

use std::borrow::Cow;
use std::fmt;
use std::ops::ControlFlow;
use std::sync::Arc;

use subtle::ConstantTimeEq as _;

use crate::candidates::{Candidate, Rules, UrlCandidates};
use crate::fields::FormFields;
use crate::rejection::Rejection;
use crate::secret::Secret;
use crate::settings::SignatureSettings;
use crate::signature::{body_sha256_hex, Algorithm, KeyedMac, MacKey, SignedParams};

/// Which configured key produced a valid signature.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum MatchedKey {
    /// The primary Auth Token.
    AuthToken,
    /// The secondary token added `n`-th (0-based) with `secondary_token`.
    SecondaryToken(usize),
    /// The shared key with this id.
    SharedKey(String),
}

impl fmt::Display for MatchedKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            MatchedKey::AuthToken => f.write_str("auth token"),
            MatchedKey::SecondaryToken(n) => write!(f, "secondary token #{n}"),
            MatchedKey::SharedKey(id) => write!(f, "shared key {id}"),
        }
    }
}

/// A successful validation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Validated {
    /// The key that signed the request.
    pub key: MatchedKey,
    /// The candidate URL the signature was made over.
    pub url: String,
}

/// Validates Twilio signatures without any web framework.
///
/// Holds the Auth Token, any secondary tokens (for rotation) and shared keys,
/// each as an HMAC keyed once when it is added (so a request skips that
/// work; the secret itself is not kept, and the keyed states are overwritten
/// on drop). Cheap to clone (the keys are behind an `Arc`). Its `Debug` shows
/// key ids and counts, never a secret.
///
/// ```
/// use tower_twilio::{RequestValidator, SignedRequest};
///
/// let validator = RequestValidator::new("12345");
/// let request = SignedRequest::new(
///     "https://mycompany.com/myapp.php?foo=1&bar=2",
///     "RSOYDt4T1cUTdK1PDd93/VVr8B8=",
/// )
/// .params(&[
///     ("CallSid", "CA1234567890ABCDE"),
///     ("Caller", "+14158675309"),
///     ("Digits", "1234"),
///     ("From", "+14158675309"),
///     ("To", "+18005551212"),
/// ]);
/// assert!(validator.validate(&request).is_ok());
/// ```
#[derive(Clone)]
pub struct RequestValidator {
    keys: Arc<Keys>,
}

#[derive(Clone, Default)]
struct Keys {
    /// The primary token first, then the secondary ones.
    tokens: Vec<MacKey>,
    shared: Vec<(String, MacKey)>,
}

impl fmt::Debug for RequestValidator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let ids: Vec<&str> = self.keys.shared.iter().map(|(id, _)| id.as_str()).collect();
        f.debug_struct("RequestValidator")
            .field("auth_token", &"[redacted]")
            .field("secondary_tokens", &(self.keys.tokens.len() - 1))
            .field("shared_keys", &ids)
            .finish()
    }
}

impl RequestValidator {
    /// A validator for the account's Auth Token.
    pub fn new(auth_token: impl Into<Secret>) -> Self {
        Self {
            keys: Arc::new(Keys {
                tokens: vec![MacKey::new(&auth_token.into())],
                shared: Vec::new(),
            }),
        }
    }

    /// Also accepts signatures made with `token`, for rotating the Auth Token.
    /// May be called several times; tokens are tried in the order added.
    #[must_use]
    pub fn secondary_token(mut self, token: impl Into<Secret>) -> Self {
        Arc::make_mut(&mut self.keys)
            .tokens
            .push(MacKey::new(&token.into()));
        self
    }

    /// Accepts requests whose `X-Twilio-Webhooks-Signature-Settings` names
    /// `key_id`, signed with `secret`. Adding an id again replaces its secret.
    #[must_use]
    pub fn shared_key(mut self, key_id: impl Into<String>, secret: impl Into<Secret>) -> Self {
        let key_id = key_id.into();
        let keys = Arc::make_mut(&mut self.keys);
        keys.shared.retain(|(id, _)| *id != key_id);
        keys.shared.push((key_id, MacKey::new(&secret.into())));
        self
    }

    /// Checks one request; see the crate docs for every rule applied.
    pub fn validate(&self, request: &SignedRequest<'_>) -> Result<Validated, Rejection> {
        let keys = self.select_keys(request.settings)?;
        let algorithm = keys.algorithm();
        let signature = decode_signature(request.signature, algorithm)?;

        let body_sha256 = body_sha256_param(request.url);
        let no_params = SignedParams::default();
        let params = if body_sha256.is_some() {
            &no_params
        } else {
            &request.params
        };

        let candidates = UrlCandidates::new(request.url, request.websocket);
        let matches = |key: &MacKey| {
            find_match(
                key.mac(algorithm),
                algorithm,
                &candidates,
                params,
                signature.as_slice(),
            )
            .map(Cow::into_owned)
        };
        let matched = match keys {
            SigningKeys::Tokens(tokens) => tokens.iter().enumerate().find_map(|(i, secret)| {
                let key = match i {
                    0 => MatchedKey::AuthToken,
                    n => MatchedKey::SecondaryToken(n - 1),
                };
                matches(secret).map(|url| Validated { key, url })
            }),
            SigningKeys::Shared { id, secret, .. } => matches(secret).map(|url| Validated {
                key: MatchedKey::SharedKey(id.to_owned()),
                url,
            }),
        }
        .ok_or(Rejection::BadSignature)?;

        if let Some(expected) = body_sha256 {
            let actual = body_sha256_hex(request.body);
            if !bool::from(actual.as_bytes().ct_eq(expected.as_bytes())) {
                return Err(Rejection::BodyHashMismatch);
            }
        }
        Ok(matched)
    }

    fn select_keys(&self, settings: Option<&str>) -> Result<SigningKeys<'_>, Rejection> {
        match settings.map(str::trim).filter(|s| !s.is_empty()) {
            None => Ok(SigningKeys::Tokens(&self.keys.tokens)),
            Some(header) => {
                let settings = SignatureSettings::parse(header)
                    .map_err(|_| Rejection::UnsupportedAlgorithm)?;
                let key_id = settings.key().ok_or(Rejection::UnknownSharedKey)?;
                let (id, secret) = self
                    .keys
                    .shared
                    .iter()
                    .find(|(id, _)| id == key_id)
                    .ok_or(Rejection::UnknownSharedKey)?;
                Ok(SigningKeys::Shared {
                    id,
                    secret,
                    algorithm: settings.algorithm(),
                })
            }
        }
    }
}

/// The keys a request may be signed with.
enum SigningKeys<'k> {
    /// Without a settings header: the Auth Token, then the secondary tokens,
    /// with HMAC-SHA1.
    Tokens(&'k [MacKey]),
    /// The shared key the settings header names, with its algorithm.
    Shared {
        id: &'k str,
        secret: &'k MacKey,
        algorithm: Algorithm,
    },
}

impl SigningKeys<'_> {
    fn algorithm(&self) -> Algorithm {
        match self {
            SigningKeys::Tokens(_) => Algorithm::HmacSha1,
            SigningKeys::Shared { algorithm, .. } => *algorithm,
        }
    }
}

/// Which sorting of the fields follows a candidate URL.
#[derive(Clone, Copy)]
enum FieldOrder {
    Bytes,
    Utf16,
}

/// The field orders a candidate is tried with, by whose rules it is.
fn field_orders(rules: Rules, algorithm: Algorithm) -> &'static [FieldOrder] {
    match rules {
        Rules::Python => &[FieldOrder::Bytes],
        Rules::Node if algorithm == Algorithm::HmacSha1 => &[FieldOrder::Utf16],
        Rules::Node => &[],
        Rules::WebSocket => &[FieldOrder::Bytes, FieldOrder::Utf16],
    }
}

/// The first candidate URL whose signed string, under its rules, `mac`
/// turns into `signature`. Candidates are built one at a time, and each
/// distinct (URL, field bytes) pair is hashed once: the parameter part is
/// built once per request and fed after each URL.
fn find_match<'a>(
    mac: &KeyedMac,
    algorithm: Algorithm,
    candidates: &UrlCandidates<'a>,
    params: &SignedParams,
    signature: &[u8],
) -> Option<Cow<'a, str>> {
    // The URLs hashed so far, with the field bytes each was followed by:
    // [byte order, UTF-16 order where it differs].
    let mut hashed: Vec<(Cow<'a, str>, [bool; 2])> = Vec::new();
    let found = candidates.find(|Candidate { url, rules }| {
        let earlier = hashed.iter().position(|(u, _)| *u == url);
        let mut done = earlier.map_or([false; 2], |i| hashed[i].1);
        for order in field_orders(rules, algorithm) {
            let (slot, fields) = match order {
                FieldOrder::Utf16 if params.utf16_differs() => (1, params.utf16_order()),
                _ => (0, params.byte_order()),
            };
            if std::mem::replace(&mut done[slot], true) {
                continue;
            }
            let mut mac = mac.clone();
            mac.update(url.as_bytes());
            mac.update(fields);
            if mac.verify(signature) {
                return ControlFlow::Break(url);
            }
        }
        match earlier {
            Some(i) => hashed[i].1 = done,
            None => hashed.push((url, done)),
        }
        ControlFlow::Continue(())
    });
    match found {
        ControlFlow::Break(url) => Some(url),
        ControlFlow::Continue(()) => None,
    }
}

/// A decoded `X-Twilio-Signature`: the MAC bytes, on the stack.
struct Signature {
    bytes: [u8; 32],
    len: usize,
}

impl Signature {
    fn as_slice(&self) -> &[u8] {
        &self.bytes[..self.len]
    }
}

/// Strict base64 (padding required, no stray bits) of the right length.
///
/// Both MACs are 2 bytes past a multiple of 3 long (20 and 32), so the text
/// is whole groups of four characters and a last group `xyz=` whose `z`
/// carries two zero bits. Decoded here rather than by the `base64` crate:
/// for one short, fixed shape this is a third of the work.
fn decode_signature(signature: &str, algorithm: Algorithm) -> Result<Signature, Rejection> {
    let len = match algorithm {
        Algorithm::HmacSha1 => 20,
        Algorithm::HmacSha256 => 32,
    };
    let text = signature.as_bytes();
    if text.len() != len / 3 * 4 + 4 {
        return Err(Rejection::MalformedSignature);
    }
    let (groups, last) = text.split_at(text.len() - 4);
    let mut bytes = [0; 32];
    for (out, group) in bytes.chunks_exact_mut(3).zip(groups.chunks_exact(4)) {
        let n = sextets(group).ok_or(Rejection::MalformedSignature)?;
        out.copy_from_slice(&n.to_be_bytes()[1..]);
    }
    match sextets(&[last[0], last[1], last[2], b'A']) {
        Some(n) if last[3] == b'=' && n & 0xff == 0 => {
            bytes[len - 2..len].copy_from_slice(&n.to_be_bytes()[1..3]);
            Ok(Signature { bytes, len })
        }
        _ => Err(Rejection::MalformedSignature),
    }
}

/// Four base64 characters as a 24-bit number, or `None` if one is not in
/// the standard alphabet.
fn sextets(group: &[u8]) -> Option<u32> {
    group.iter().try_fold(0, |n, &c| {
        let value = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            _ => return None,
        };
        Some(n << 6 | u32::from(value))
    })
}

/// The first `bodySHA256` value of the URL's query, decoded.
pub(crate) fn body_sha256_param(url: &str) -> Option<String> {
    let (_, query) = url.split_once('?')?;
    form_urlencoded::parse(query.as_bytes())
        .find(|(k, _)| k == "bodySHA256")
        .map(|(_, v)| v.into_owned())
}

/// One request to validate: the public URL, the `X-Twilio-Signature`, and what
/// else was signed.
///
/// `params` are the decoded fields of an `application/x-www-form-urlencoded`
/// POST body (none for other requests); `body` is the raw body, needed when the
/// URL carries `bodySHA256`.
#[derive(Clone, Debug)]
pub struct SignedRequest<'a> {
    url: &'a str,
    signature: &'a str,
    params: SignedParams,
    body: &'a [u8],
    settings: Option<&'a str>,
    websocket: bool,
}

impl<'a> SignedRequest<'a> {
    /// A request to `url` (the full public URL, with query) carrying
    /// `signature` (the `X-Twilio-Signature` value).
    pub fn new(url: &'a str, signature: &'a str) -> Self {
        Self {
            url,
            signature,
            params: SignedParams::default(),
            body: &[],
            settings: None,
            websocket: false,
        }
    }

    /// The decoded form fields, in any order; repeated keys are allowed.
    #[must_use]
    pub fn params<K: AsRef<str>, V: AsRef<str>>(mut self, params: &[(K, V)]) -> Self {
        self.params = SignedParams::new(params);
        self
    }

    /// The fields the layer decoded.
    pub(crate) fn fields(mut self, fields: &FormFields) -> Self {
        self.params = SignedParams::from_pairs(fields.iter());
        self
    }

    /// The raw body, checked against `bodySHA256` when the URL has one.
    #[must_use]
    pub fn body(mut self, body: &'a [u8]) -> Self {
        self.body = body;
        self
    }

    /// The `X-Twilio-Webhooks-Signature-Settings` header, if present.
    #[must_use]
    pub fn settings(mut self, header: Option<&'a str>) -> Self {
        self.settings = header;
        self
    }

    /// Marks a WebSocket handshake: trailing-slash variants are tried too.
    #[must_use]
    pub fn websocket(mut self, websocket: bool) -> Self {
        self.websocket = websocket;
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::signature::compute_signature;
    use crate::signature::tests::{P, U};

    const B: &[u8] = br#"{"property": "value", "boolean": true}"#;
    const HASH: &str = "0a1ff7634d9ab3b95db5c9a2dfe9416e41502b283a80c7cf19632632f96e6620";

    fn check(url: &str, sig: &str) -> Result<Validated, Rejection> {
        RequestValidator::new("12345").validate(&SignedRequest::new(url, sig).params(&P))
    }

    #[test]
    fn accepts_the_seed_example() {
        let ok = check(U, "RSOYDt4T1cUTdK1PDd93/VVr8B8=").unwrap();
        assert_eq!(ok.key, MatchedKey::AuthToken);
        assert_eq!(ok.url, U);
    }

    #[test]
    fn accepts_a_signature_without_port_when_the_server_sees_one() {
        let ok = check(
            "https://mycompany.com:1234/myapp.php?foo=1&bar=2",
            "RSOYDt4T1cUTdK1PDd93/VVr8B8=",
        );
        assert_eq!(ok.unwrap().url, U);
    }

    #[test]
    fn accepts_a_signature_with_default_port_when_the_server_sees_none() {
        assert!(check(U, "kvajT1Ptam85bY51eRf/AJRuM3w=").is_ok());
        assert!(check(
            "http://mycompany.com/myapp.php?foo=1&bar=2",
            "0ZXoZLH/DfblKGATFgpif+LLRf4="
        )
        .is_ok());
    }

    #[test]
    fn accepts_a_signature_with_its_own_port() {
        assert!(check(
            "http://mycompany.com:1234/myapp.php?foo=1&bar=2",
            "Zmvh+3yNM1Phv2jhDCwEM3q5ebU="
        )
        .is_ok());
    }

    #[test]
    fn accepts_the_legacy_querystring_form() {
        let url = "https://mycompany.com/myapp.php?foo=1&bar=2&Body=It's+amazing";
        let ok = check(url, "TfZzewPq8wqrGlMfyAud8+/IvJ0=").unwrap();
        assert_eq!(ok.url, format!("{U}&Body=It%27s+amazing"));
    }

    #[test]
    fn rejects_a_changed_value_key_path_or_query() {
        let sig = "RSOYDt4T1cUTdK1PDd93/VVr8B8=";
        let v = RequestValidator::new("12345");
        let mut changed_value = P;
        changed_value[2].1 = "1235";
        let mut changed_key = P;
        changed_key[2].0 = "digits";
        for req in [
            SignedRequest::new(U, sig).params(&changed_value),
            SignedRequest::new(U, sig).params(&changed_key),
            SignedRequest::new(U, sig).params(&P[..4]),
            SignedRequest::new("https://mycompany.com/myapp.phq?foo=1&bar=2", sig).params(&P),
            SignedRequest::new("https://mycompany.com/myapp.php?foo=1&bar=3", sig).params(&P),
        ] {
            assert_eq!(v.validate(&req), Err(Rejection::BadSignature), "{req:?}");
        }
    }

    #[test]
    fn accepts_a_host_that_differs_only_in_case_like_new_url() {
        let url = "https://MyCompany.com/myapp.php?foo=1&bar=2";
        assert_eq!(check(url, "RSOYDt4T1cUTdK1PDd93/VVr8B8=").unwrap().url, U);
    }

    #[test]
    fn rejects_the_wrong_token() {
        let v = RequestValidator::new("54321");
        let req = SignedRequest::new(U, "RSOYDt4T1cUTdK1PDd93/VVr8B8=").params(&P);
        assert_eq!(v.validate(&req), Err(Rejection::BadSignature));
    }

    #[test]
    fn accepts_a_secondary_token() {
        let v = RequestValidator::new("old")
            .secondary_token("other")
            .secondary_token("12345");
        let req = SignedRequest::new(U, "RSOYDt4T1cUTdK1PDd93/VVr8B8=").params(&P);
        assert_eq!(v.validate(&req).unwrap().key, MatchedKey::SecondaryToken(1));
    }

    #[test]
    fn body_sha256_requires_the_matching_body() {
        let url = format!("{U}&bodySHA256={HASH}");
        let v = RequestValidator::new("12345");
        let sig = "a9nBmqA0ju/hNViExpshrM61xv4=";
        assert!(v.validate(&SignedRequest::new(&url, sig).body(B)).is_ok());
        assert_eq!(
            v.validate(&SignedRequest::new(&url, sig).body(b"{}")),
            Err(Rejection::BodyHashMismatch)
        );
        assert_eq!(
            v.validate(&SignedRequest::new(&url, sig)),
            Err(Rejection::BodyHashMismatch)
        );
    }

    #[test]
    fn body_sha256_urls_ignore_form_params() {
        let url = format!("https://mycompany.com/myapp.php?bodySHA256={HASH}");
        let v = RequestValidator::new("12345");
        let req = SignedRequest::new(&url, "y77kIzt2vzLz71DgmJGsen2scGs=")
            .params(&P)
            .body(B);
        assert!(v.validate(&req).is_ok());
    }

    #[test]
    fn rejects_a_valid_url_signature_over_another_body() {
        let v = RequestValidator::new("qwerty");
        let url = "https://example.com/test?bodySHA256=79bfb0acaf0045fd30f13d48d4fe296b393d85a3bfbee881a0172b2bd574b11e";
        let req = SignedRequest::new(url, "+LYlbGr/VmN84YPJQCuWs+9UA7E=")
            .body(br#"{"message": "a post body that does not match the bodySHA256"}"#);
        assert_eq!(v.validate(&req), Err(Rejection::BodyHashMismatch));
    }

    #[test]
    fn shared_key_named_in_settings_signs_with_sha256() {
        let v = RequestValidator::new("12345")
            .shared_key("webhooks_sharedkey_1", "sk_test_shared_secret");
        let req = SignedRequest::new(U, "5XEMldaT6NGZTJiYStEaqwsi2CGHd2pfREC3/1RiC/Y=")
            .params(&P)
            .settings(Some("key=webhooks_sharedkey_1,algorithm=HMAC_SHA256"));
        assert_eq!(
            v.validate(&req).unwrap().key,
            MatchedKey::SharedKey("webhooks_sharedkey_1".into())
        );
        let with_port = SignedRequest::new(U, "DVAwBh2jjx5G2nVnabJxx9grV8beVLBKruyyeUKHbtI=")
            .params(&P)
            .settings(Some("key=webhooks_sharedkey_1,algorithm=HMAC_SHA256"));
        assert!(v.validate(&with_port).is_ok());
    }

    #[test]
    fn settings_header_excludes_the_auth_token() {
        let v = RequestValidator::new("12345").shared_key("k1", "other");
        let sig = compute_signature("12345", Algorithm::HmacSha256, U, &P);
        let req = SignedRequest::new(U, &sig)
            .params(&P)
            .settings(Some("key=k1,algorithm=HMAC_SHA256"));
        assert_eq!(v.validate(&req), Err(Rejection::BadSignature));
    }

    #[test]
    fn unknown_shared_key_or_algorithm_is_rejected() {
        let v = RequestValidator::new("12345").shared_key("k1", "s");
        let sig = compute_signature("s", Algorithm::HmacSha256, U, &P);
        let req = |settings| {
            SignedRequest::new(U, &sig)
                .params(&P)
                .settings(Some(settings))
        };
        assert_eq!(
            v.validate(&req("key=k2,algorithm=HMAC_SHA256")),
            Err(Rejection::UnknownSharedKey)
        );
        assert_eq!(
            v.validate(&req("algorithm=HMAC_SHA256")),
            Err(Rejection::UnknownSharedKey)
        );
        assert_eq!(
            v.validate(&req("key=k1,algorithm=HMAC_SHA512")),
            Err(Rejection::UnsupportedAlgorithm)
        );
        assert!(v.validate(&req("key=k1,algorithm=HMAC_SHA256")).is_ok());
    }

    #[test]
    fn malformed_signatures_are_rejected_before_any_mac() {
        for sig in [
            "",
            "not base64!",
            "RSOYDt4T1cUTdK1PDd93/VVr8B8",
            "RSOYDt4T1cUTdK1PDd93/VVr8B9=",
            "AAAA",
        ] {
            assert_eq!(check(U, sig), Err(Rejection::MalformedSignature), "{sig}");
        }
    }

    proptest::proptest! {
        /// The decoder accepts exactly what strict standard base64 (the
        /// `base64` crate's `STANDARD`) decodes to a MAC of the right
        /// length, and to the same bytes.
        #[test]
        fn signatures_decode_as_strict_base64_does(
            len in proptest::sample::select(&[19usize, 20, 21, 31, 32, 33][..]),
            seed in proptest::num::u8::ANY,
            stray in 0usize..4,
            edits in proptest::collection::vec(
                (0usize..48, proptest::sample::select(&[b'=', b'A', b'B', b'/', b'+', b'-', b'_', b' ', 0xc3][..])),
                0..2,
            ),
            cut in proptest::sample::select(&[0usize, 0, 1, 2][..]),
        ) {
            use base64::Engine as _;
            const ALPHABET: &[u8; 64] =
                b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
            let mac: Vec<u8> = (0..len).map(|i| seed.wrapping_mul(31).wrapping_add(i as u8 * 7)).collect();
            let mut text = base64::engine::general_purpose::STANDARD.encode(&mac).into_bytes();
            // Stray bits: the low bits of the character before the padding.
            if let Some(at) = text.iter().position(|&c| c == b'=').and_then(|i| i.checked_sub(1)) {
                let value = ALPHABET.iter().position(|&c| c == text[at]).unwrap();
                text[at] = ALPHABET[value & !3 | stray];
            }
            for (at, byte) in edits {
                if let Some(c) = text.get_mut(at) {
                    *c = byte;
                }
            }
            text.truncate(text.len() - cut);
            let text = String::from_utf8_lossy(&text);
            for (algorithm, len) in [(Algorithm::HmacSha1, 20), (Algorithm::HmacSha256, 32)] {
                let ours = decode_signature(&text, algorithm).map(|s| s.as_slice().to_vec());
                let strict = base64::engine::general_purpose::STANDARD
                    .decode(text.as_bytes())
                    .ok()
                    .filter(|bytes| bytes.len() == len)
                    .ok_or(Rejection::MalformedSignature);
                proptest::prop_assert_eq!(ours, strict, "{}", text);
            }
        }
    }

    #[test]
    fn websocket_handshakes_try_a_trailing_slash() {
        let v = RequestValidator::new("12345");
        let req = SignedRequest::new(
            "wss://mycompany.com/media-stream",
            "B+WT+LSnUu+RWlK9v/62zQuXpec=",
        );
        assert_eq!(v.validate(&req), Err(Rejection::BadSignature));
        assert!(v.validate(&req.websocket(true)).is_ok());
        let plain = SignedRequest::new(
            "wss://mycompany.com/media-stream",
            "N2Y//FHA042H22oVtTOPT1X3yoU=",
        );
        assert!(v.validate(&plain).is_ok());
    }

    #[test]
    fn debug_shows_no_secret() {
        let v = RequestValidator::new("tok-secret")
            .secondary_token("tok-two")
            .shared_key("k1", "shared-secret");
        let debug = format!("{v:?}");
        assert!(!debug.contains("tok-secret") && !debug.contains("shared-secret"));
    }
}

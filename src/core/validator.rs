//! The framework-free validator: keys, candidates and the verdict.

use std::borrow::Cow;
use std::fmt;
use std::ops::ControlFlow;
use std::sync::Arc;

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use subtle::ConstantTimeEq as _;

use crate::core::candidates::{Candidate, Rules, UrlCandidates};
use crate::core::error::{ConfigError, SignatureError};
use crate::core::fields::FormFields;
use crate::core::secret::Secret;
use crate::core::settings::SignatureSettings;
use crate::core::signature::{body_sha256_hex, Algorithm, MacKey, SignedParams};

/// The `X-Twilio-Signature` header: the base64 MAC of the request.
pub const X_TWILIO_SIGNATURE: http::HeaderName =
    http::HeaderName::from_static("x-twilio-signature");

/// The `X-Twilio-Webhooks-Signature-Settings` header: which shared key and
/// algorithm signed the request, when not the Auth Token with HMAC-SHA1.
pub const X_TWILIO_WEBHOOKS_SIGNATURE_SETTINGS: http::HeaderName =
    http::HeaderName::from_static("x-twilio-webhooks-signature-settings");

/// Which configured key produced a valid signature.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
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
    key: MatchedKey,
    url: String,
    /// The MAC that matched: what the replay guard keys on. Never shown.
    mac: Signature,
}

impl Validated {
    /// The key that signed the request.
    pub fn key(&self) -> &MatchedKey {
        &self.key
    }

    /// The candidate URL the signature was made over.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The MAC the request carried, which the key produced.
    pub(crate) fn mac(&self) -> &[u8] {
        self.mac.as_slice()
    }
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

/// The keyed HMAC of `secret`, unless it is blank: an empty key would accept
/// signatures anyone can compute.
fn mac_key(secret: Secret, setting: &'static str) -> Result<MacKey, ConfigError> {
    if secret.expose().iter().all(u8::is_ascii_whitespace) {
        return Err(ConfigError::new(setting, "is empty"));
    }
    Ok(MacKey::new(&secret))
}

impl RequestValidator {
    /// A validator for the account's Auth Token.
    ///
    /// # Panics
    ///
    /// If the token is empty or only whitespace; see [`try_new`](Self::try_new).
    #[track_caller]
    pub fn new(auth_token: impl Into<Secret>) -> Self {
        match Self::try_new(auth_token) {
            Ok(validator) => validator,
            Err(e) => panic!("{e}"),
        }
    }

    /// Like [`new`](Self::new), with an error for an empty token.
    pub fn try_new(auth_token: impl Into<Secret>) -> Result<Self, ConfigError> {
        Ok(Self {
            keys: Arc::new(Keys {
                tokens: vec![mac_key(auth_token.into(), "Auth Token")?],
                shared: Vec::new(),
            }),
        })
    }

    /// Also accepts signatures made with `token`, for rotating the Auth Token.
    /// May be called several times; tokens are tried in the order added.
    ///
    /// # Panics
    ///
    /// If the token is empty or only whitespace.
    #[must_use]
    #[track_caller]
    pub fn secondary_token(self, token: impl Into<Secret>) -> Self {
        match self.try_secondary_token(token) {
            Ok(validator) => validator,
            Err(e) => panic!("{e}"),
        }
    }

    /// Like [`secondary_token`](Self::secondary_token), with an error for an
    /// empty token.
    pub fn try_secondary_token(mut self, token: impl Into<Secret>) -> Result<Self, ConfigError> {
        let key = mac_key(token.into(), "secondary Auth Token")?;
        Arc::make_mut(&mut self.keys).tokens.push(key);
        Ok(self)
    }

    /// Accepts requests that carry `X-Twilio-Webhooks-Signature-Settings`
    /// and are signed with `secret`. The key named `key_id` is tried first,
    /// then the other shared keys: the id the header names is not signed
    /// and neither official library reads it, so a request naming another
    /// id (or none) is accepted if one of the shared keys signed it, and a
    /// forged one costs the same whatever id it names. Adding an id again
    /// replaces its secret.
    ///
    /// # Panics
    ///
    /// If the secret is empty or only whitespace.
    #[must_use]
    #[track_caller]
    pub fn shared_key(self, key_id: impl Into<String>, secret: impl Into<Secret>) -> Self {
        match self.try_shared_key(key_id, secret) {
            Ok(validator) => validator,
            Err(e) => panic!("{e}"),
        }
    }

    /// Like [`shared_key`](Self::shared_key), with an error for an empty
    /// secret.
    pub fn try_shared_key(
        mut self,
        key_id: impl Into<String>,
        secret: impl Into<Secret>,
    ) -> Result<Self, ConfigError> {
        let key_id = key_id.into();
        if key_id.trim().is_empty() {
            return Err(ConfigError::new("shared key id", "is empty"));
        }
        let key = mac_key(secret.into(), "shared key secret")?;
        let keys = Arc::make_mut(&mut self.keys);
        keys.shared.retain(|(id, _)| *id != key_id);
        keys.shared.push((key_id, key));
        Ok(self)
    }

    /// Checks one request; see the crate docs for every rule applied.
    ///
    /// Before any MAC: the keys and the algorithm, the shape of the
    /// signature, and what signs the body ([`SignedRequest`]). Then each
    /// candidate URL that denotes the same request as the one received is
    /// tried with each key; each distinct signed string is hashed once per
    /// key, so a request costs at most [`MAX_MACS_PER_KEY`] MACs per key
    /// (and is refused before any MAC over a body nothing signs).
    pub fn validate(&self, request: &SignedRequest<'_>) -> Result<Validated, SignatureError> {
        let keys = self.select_keys(request.settings.as_deref())?;
        let algorithm = keys.algorithm();
        // The settings header names an id that is not configured, or none.
        let unknown_id = matches!(keys, SigningKeys::Shared { named: None, .. });
        let signature = decode_signature(request.signature, algorithm).map_err(|e| {
            if unknown_id {
                SignatureError::UnknownSharedKey
            } else {
                e
            }
        })?;
        let body_sha256 = body_sha256_param(request.url);
        let params = request.signed_params(body_sha256.is_some())?;

        // The body is hashed whether or not the signature then matches, so
        // that the time taken does not tell a valid URL signature from a
        // forged one.
        let body_matches = body_sha256.filter(|_| !request.bodyless()).map(|expected| {
            let actual = body_sha256_hex(request.body);
            bool::from(actual.as_bytes().ct_eq(expected.as_bytes()))
        });
        let candidates = UrlCandidates::new(request.url, request.websocket);
        let found = find_match(&keys, algorithm, &candidates, &params, signature.as_slice());
        let found = match found {
            // The stand-in's key is no secret: its verdict is never used.
            Some(_) if keys.is_stand_in() => None,
            found => found,
        };
        let (key, url) = match found {
            Some(found) => found,
            None if unknown_id => return Err(SignatureError::UnknownSharedKey),
            None => return Err(SignatureError::BadSignature),
        };
        if body_matches == Some(false) {
            return Err(SignatureError::BodyHashMismatch);
        }
        Ok(Validated {
            key,
            url: url.into_owned(),
            mac: signature,
        })
    }

    /// The keys a request with these settings may be signed with: without
    /// a settings header the tokens; with one, every configured shared key,
    /// the one whose id it names first.
    ///
    /// Every shared key is tried whatever the id says, as twilio-python and
    /// twilio-node do (neither reads the id; the app hands them its
    /// secret): the id is not signed, so the key that produced a valid MAC
    /// is what matters, and which key that was changes nothing the
    /// application routes or reads. Trying them all also makes a forged
    /// request cost the same whether or not the id it names is configured
    /// (`MAX_MACS_PER_KEY` per configured shared key), so timing does not
    /// tell which ids exist. With no shared key configured, a stand-in key
    /// does that work, so that timing does not tell that either.
    fn select_keys(&self, settings: Option<&str>) -> Result<SigningKeys<'_>, SignatureError> {
        match parse_settings(settings)? {
            None => Ok(SigningKeys::Tokens(&self.keys.tokens)),
            Some(settings) => {
                let named = settings
                    .key()
                    .and_then(|key_id| self.keys.shared.iter().position(|(id, _)| id == key_id));
                Ok(SigningKeys::Shared {
                    keys: &self.keys.shared,
                    named,
                    algorithm: settings.algorithm(),
                })
            }
        }
    }
}

/// The validator that stands in for keys a request names but that are not
/// configured (a shared-key id, or with a `KeyResolver` an account), so that
/// refusing it takes the same work as checking a known one. Its key is no
/// secret: its verdict is never used.
pub(crate) fn stand_in() -> &'static RequestValidator {
    static STAND_IN: std::sync::OnceLock<RequestValidator> = std::sync::OnceLock::new();
    STAND_IN.get_or_init(|| RequestValidator::new("tower-twilio: a key that is not configured"))
}

impl RequestValidator {
    /// The ids of the configured shared keys, in the order added (ids are
    /// not secrets: the diagnosis of `unknown_shared_key` names them).
    pub(crate) fn shared_key_ids(&self) -> impl Iterator<Item = &str> {
        self.keys.shared.iter().map(|(id, _)| id.as_str())
    }

    /// The first token's key, to stand in for an unknown shared key.
    fn first_token(&self) -> &MacKey {
        &self.keys.tokens[0]
    }
}

/// The most MACs [`RequestValidator::validate`] computes per key it tries:
/// each distinct (candidate URL, field order) pair once. At most two URLs
/// as twilio-python reads them (without and with port), six as twilio-node
/// does (as received, WHATWG-normalized, and that with its query re-encoded,
/// each without and with port), in one field order each; fewer when they
/// coincide, which is the usual case (two). A WebSocket handshake tries
/// more URLs, [`MAX_MACS_PER_HANDSHAKE_KEY`], but has no body, so each of
/// its MACs is over a URL alone. The keys tried are the Auth Token and the
/// secondary tokens or, with a settings header, every configured shared key
/// (whatever id the header names: the id is not signed).
pub const MAX_MACS_PER_KEY: usize = 8;

/// The most MACs per key for a WebSocket handshake: 12, the URL as
/// received, WHATWG-normalized, and that with its query re-encoded, each
/// without and with its default port and with its trailing slash toggled
/// (Twilio's docs), over the URL alone (a handshake has no body).
pub const MAX_MACS_PER_HANDSHAKE_KEY: usize = 12;

/// The largest form body the validator decodes and signs: 64 KiB. Its
/// fields are hashed once per MAC, so this bounds the bytes a forged form
/// POST makes the validator hash to `MAX_MACS_PER_KEY` × keys × 64 KiB.
/// Twilio's form webhooks are a few KiB (an SMS of 1600 characters, every
/// one escaped as four UTF-8 bytes, is under 20 KiB). A larger one is
/// refused with `413` ([`SignatureError::BodyTooLarge`]), before it is decoded.
/// Other bodies are covered by `bodySHA256`, hashed once, and limited only
/// by the layer's `max_body_bytes`.
pub const MAX_FORM_BYTES: usize = 64 * 1024;

/// The keys a request may be signed with.
enum SigningKeys<'k> {
    /// Without a settings header: the Auth Token, then the secondary tokens,
    /// with HMAC-SHA1.
    Tokens(&'k [MacKey]),
    /// With a settings header: every configured shared key, the one at
    /// `named` (the id the header names, if configured) first, with the
    /// header's algorithm.
    Shared {
        keys: &'k [(String, MacKey)],
        named: Option<usize>,
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

    /// Whether the stand-in key does the work: a settings header, and no
    /// shared key configured.
    fn is_stand_in(&self) -> bool {
        matches!(self, SigningKeys::Shared { keys, .. } if keys.is_empty())
    }

    /// Each key with what [`Validated::key`] calls it.
    fn each(&self) -> EachKey<'_> {
        EachKey { keys: self, at: 0 }
    }
}

/// The keys of [`SigningKeys`] in the order they are tried: the tokens in
/// the order added; the shared key the settings header names, then the
/// others in the order added; the stand-in when no shared key is
/// configured. By index, without a chain of adapters: this runs for each
/// MAC.
struct EachKey<'k> {
    keys: &'k SigningKeys<'k>,
    at: usize,
}

impl<'k> Iterator for EachKey<'k> {
    type Item = (KeyName<'k>, &'k MacKey);

    fn next(&mut self) -> Option<Self::Item> {
        let at = self.at;
        self.at += 1;
        match self.keys {
            SigningKeys::Tokens(tokens) => tokens.get(at).map(|key| (KeyName::Token(at), key)),
            SigningKeys::Shared { keys: [], .. } => {
                (at == 0).then(|| (KeyName::Shared(""), stand_in().first_token()))
            }
            SigningKeys::Shared { keys, named, .. } => {
                let index = match *named {
                    Some(named) if at == 0 => named,
                    Some(named) if at <= named => at - 1,
                    _ => at,
                };
                keys.get(index).map(|(id, key)| (KeyName::Shared(id), key))
            }
        }
    }
}

/// A key's name, made a [`MatchedKey`] (which owns its id) only for the
/// key that matched.
#[derive(Clone, Copy)]
enum KeyName<'k> {
    /// The `n`-th token, the Auth Token first.
    Token(usize),
    /// The shared key with this id.
    Shared(&'k str),
}

impl KeyName<'_> {
    fn matched(self) -> MatchedKey {
        match self {
            KeyName::Token(0) => MatchedKey::AuthToken,
            KeyName::Token(n) => MatchedKey::SecondaryToken(n - 1),
            KeyName::Shared(id) => MatchedKey::SharedKey(id.to_owned()),
        }
    }
}

/// Which sorting of the fields follows a candidate URL.
#[derive(Clone, Copy)]
enum FieldOrder {
    Bytes,
    Utf16,
}

/// The field orders a candidate is tried with, by whose rules it is:
/// twilio-python sorts names by their bytes, twilio-node (6.3.1, under
/// HMAC-SHA1 and HMAC-SHA256 alike) by their UTF-16 units.
fn field_orders(rules: Rules) -> &'static [FieldOrder] {
    match rules {
        Rules::Python => &[FieldOrder::Bytes],
        Rules::Node => &[FieldOrder::Utf16],
        Rules::PythonAndNode | Rules::WebSocket => &[FieldOrder::Bytes, FieldOrder::Utf16],
    }
}

#[cfg(test)]
thread_local! {
    /// MACs computed by `find_match` on this thread, for the tests of the bound.
    pub(crate) static MACS: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
}

/// The first key and candidate URL whose signed string, under its rules,
/// gives `signature`. Candidates are built once, one at a time (the
/// normalized ones only when every key refused those as received), and
/// each distinct (URL, field bytes) pair is hashed once per key: the
/// parameter part is built once per request and fed after each URL.
fn find_match<'a>(
    keys: &SigningKeys<'_>,
    algorithm: Algorithm,
    candidates: &UrlCandidates<'a>,
    params: &SignedParams<'_>,
    signature: &[u8],
) -> Option<(MatchedKey, Cow<'a, str>)> {
    // The URLs hashed so far, with the field bytes each was followed by:
    // [byte order, UTF-16 order where it differs].
    let mut hashed: Vec<(Cow<'a, str>, [bool; 2])> = Vec::new();
    let found = candidates.find(|Candidate { url, rules }| {
        let earlier = hashed.iter().position(|(u, _)| *u == url);
        let mut done = earlier.map_or([false; 2], |i| hashed[i].1);
        for order in field_orders(rules) {
            let (slot, fields) = match order {
                FieldOrder::Utf16 if params.utf16_differs() => (1, params.utf16_order()),
                _ => (0, params.byte_order()),
            };
            if std::mem::replace(&mut done[slot], true) {
                continue;
            }
            for (name, key) in keys.each() {
                #[cfg(test)]
                MACS.with(|n| n.set(n.get() + 1));
                let mut mac = key.mac(algorithm).clone();
                mac.update(url.as_bytes());
                mac.update(fields);
                if mac.verify(signature) {
                    return ControlFlow::Break((name.matched(), url));
                }
            }
        }
        match earlier {
            Some(i) => hashed[i].1 = done,
            None => hashed.push((url, done)),
        }
        ControlFlow::Continue(())
    });
    match found {
        ControlFlow::Break(found) => Some(found),
        ControlFlow::Continue(()) => None,
    }
}

/// A decoded `X-Twilio-Signature`: the MAC bytes, on the stack. Its
/// `Debug` does not show them: a valid one authorizes its request again.
#[derive(Clone, PartialEq, Eq)]
struct Signature {
    bytes: [u8; 33],
    len: usize,
}

impl fmt::Debug for Signature {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Signature(..)")
    }
}

impl Signature {
    fn as_slice(&self) -> &[u8] {
        &self.bytes[..self.len]
    }
}

/// Strict standard base64 (padding required, no stray bits) of a MAC of
/// `algorithm`'s length.
fn decode_signature(signature: &str, algorithm: Algorithm) -> Result<Signature, SignatureError> {
    let len = match algorithm {
        Algorithm::HmacSha1 => 20,
        Algorithm::HmacSha256 => 32,
    };
    let mut bytes = [0; 33];
    match STANDARD.decode_slice(signature.as_bytes(), &mut bytes) {
        Ok(n) if n == len => Ok(Signature { bytes, len }),
        _ => Err(SignatureError::MalformedSignature),
    }
}

/// The `X-Twilio-Webhooks-Signature-Settings` header: `None` when absent or
/// empty (as twilio-python reads it), so HMAC-SHA1 with the tokens.
fn parse_settings(header: Option<&str>) -> Result<Option<SignatureSettings<'_>>, SignatureError> {
    header
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|h| SignatureSettings::parse(h).map_err(|_| SignatureError::UnsupportedAlgorithm))
        .transpose()
}

/// Whether `signature` can be the base64 of a MAC of the algorithm the
/// settings header names (HMAC-SHA1 without one): the check the layer makes
/// before it reads the body. It needs nothing but what the request says, so
/// it tells the sender nothing new.
pub(crate) fn plausible_signature(
    signature: &str,
    settings: Option<&str>,
) -> Result<(), SignatureError> {
    let algorithm = parse_settings(settings)?.map_or(Algorithm::HmacSha1, |s| s.algorithm());
    decode_signature(signature, algorithm).map(drop)
}

/// Whether the URL's query has a `bodySHA256` (as [`body_sha256_param`]
/// finds it, without copying its value): only then can a body that is not
/// a form POST's be signed.
pub(crate) fn has_body_sha256(url: &str) -> bool {
    url.split_once('?').is_some_and(|(_, query)| {
        form_urlencoded::parse(query.as_bytes()).any(|(k, _)| k == "bodySHA256")
    })
}

/// The first `bodySHA256` value of the URL's query, decoded.
pub(crate) fn body_sha256_param(url: &str) -> Option<String> {
    let (_, query) = url.split_once('?')?;
    form_urlencoded::parse(query.as_bytes())
        .find(|(k, _)| k == "bodySHA256")
        .map(|(_, v)| v.into_owned())
}

/// Whether a request's body is form fields: a POST whose `Content-Type` is
/// `application/x-www-form-urlencoded` (any case, any parameters). Only
/// those have their fields signed; the layer and [`Signer`](crate::Signer)
/// both ask here.
pub(crate) fn is_form(method: &http::Method, content_type: Option<&[u8]>) -> bool {
    method == http::Method::POST
        && content_type.is_some_and(|v| {
            // What Twilio sends, settled without the trim below: 334
            // instructions without this line (callgrind,
            // `bench/profile.rs accept`), 88 with it.
            let plain = v.is_ascii()
                && starts_with_form_type(v)
                && matches!(v.get(FORM_TYPE.len()), None | Some(b';'));
            plain
                || std::str::from_utf8(v)
                    .map(|v| &v[..v.bytes().position(|b| b == b';').unwrap_or(v.len())])
                    .is_ok_and(|essence| essence.trim().as_bytes().eq_ignore_ascii_case(FORM_TYPE))
        })
}

/// The media type of a form body.
const FORM_TYPE: &[u8] = b"application/x-www-form-urlencoded";

/// Whether `content_type` starts with `application/x-www-form-urlencoded`,
/// in any case (what axum's `Form` asks, whatever follows).
pub(crate) fn starts_with_form_type(content_type: &[u8]) -> bool {
    content_type
        .get(..FORM_TYPE.len())
        .is_some_and(|head| head.eq_ignore_ascii_case(FORM_TYPE))
}

/// A form POST's body decoded by the form rules: at most
/// [`MAX_FORM_BYTES`], UTF-8 `name=value` pairs joined by single `&`.
pub(crate) fn decode_form(body: &[u8]) -> Result<FormFields, SignatureError> {
    if body.len() > MAX_FORM_BYTES {
        return Err(SignatureError::BodyTooLarge);
    }
    FormFields::parse(body).map_err(|_| SignatureError::MalformedBody)
}

/// What a request's body is, as far as the signature goes.
#[derive(Clone, Debug)]
enum Form<'a> {
    /// Not a form POST: the body is signed only through `bodySHA256`.
    No,
    /// A form POST whose raw body is to be decoded here.
    Body,
    /// A form POST's fields, decoded by the caller.
    Params(Result<SignedParams<'static>, SignatureError>),
    /// A form POST's fields, decoded by the layer.
    Fields(&'a FormFields),
}

/// One request to validate: the public URL, the `X-Twilio-Signature`, and what
/// else was signed.
///
/// Say what the body is: [`form_body`](Self::form_body) for the raw body of
/// an `application/x-www-form-urlencoded` POST, [`params`](Self::params) for
/// its fields already decoded, or [`body`](Self::body) for any other body.
/// The validator then applies Twilio's rules itself: a form POST's fields
/// are signed (its body must be a well-formed form: UTF-8, no empty pair or
/// name); any other body must be covered by `bodySHA256` in the URL, and
/// must hash to it; a WebSocket handshake has no body. A request that breaks
/// one is refused before any MAC is computed.
#[derive(Clone, Debug)]
pub struct SignedRequest<'a> {
    url: &'a str,
    signature: &'a str,
    form: Form<'a>,
    body: &'a [u8],
    settings: Option<Cow<'a, str>>,
    websocket: bool,
    bodyless_method: bool,
}

impl<'a> SignedRequest<'a> {
    /// A request to `url` (the full public URL, with query) carrying
    /// `signature` (the `X-Twilio-Signature` value), without a body.
    pub fn new(url: &'a str, signature: &'a str) -> Self {
        Self {
            url,
            signature,
            form: Form::No,
            body: &[],
            settings: None,
            websocket: false,
            bodyless_method: false,
        }
    }

    /// A form POST's decoded fields, in any order; repeated names are
    /// allowed, an empty name is refused.
    #[must_use]
    pub fn params<K: AsRef<str>, V: AsRef<str>>(mut self, params: &[(K, V)]) -> Self {
        let empty_name = params.iter().any(|(k, _)| k.as_ref().is_empty());
        self.form = Form::Params(if empty_name {
            Err(SignatureError::MalformedBody)
        } else {
            Ok(SignedParams::new(params))
        });
        self
    }

    /// A form POST's raw body, which the validator decodes.
    #[must_use]
    pub fn form_body(mut self, body: &'a [u8]) -> Self {
        self.form = Form::Body;
        self.body = body;
        self
    }

    /// The fields the layer decoded, and the raw body they came from.
    pub(crate) fn fields(mut self, fields: &'a FormFields, body: &'a [u8]) -> Self {
        self.form = Form::Fields(fields);
        self.body = body;
        self
    }

    /// The raw body of a request that is not a form POST (JSON, say), or
    /// of a form POST whose fields are given with [`params`](Self::params):
    /// checked against `bodySHA256`.
    #[must_use]
    pub fn body(mut self, body: &'a [u8]) -> Self {
        self.body = body;
        self
    }

    /// The `X-Twilio-Webhooks-Signature-Settings` header, if present.
    #[must_use]
    pub fn settings(mut self, header: Option<&'a str>) -> Self {
        self.settings = header.map(Cow::Borrowed);
        self
    }

    /// The settings header as the layer read it: several joined by
    /// [`join_settings`](crate::core::settings::join_settings).
    pub(crate) fn joined_settings(mut self, header: Option<Cow<'a, str>>) -> Self {
        self.settings = header;
        self
    }

    /// The request's method. A `GET` or `HEAD` (a method Twilio sends
    /// without a body) that has no body is signed by its URL alone, even
    /// when the URL carries `bodySHA256` (Twilio's regulatory-compliance
    /// bundle callbacks are such `GET`s): there is no body for the hash to
    /// cover, and the whole URL is signed. Any request with a body, a `GET`
    /// too, must match its `bodySHA256`; so must a `POST` with an empty
    /// body, since Twilio sends those with one.
    #[must_use]
    pub fn method(mut self, method: &http::Method) -> Self {
        self.bodyless_method = method == http::Method::GET || method == http::Method::HEAD;
        self
    }

    /// Whether the body's hash is not checked: a `GET` or `HEAD` without a
    /// body (see [`method`](Self::method)).
    fn bodyless(&self) -> bool {
        self.bodyless_method && self.body.is_empty()
    }

    /// Marks a WebSocket handshake: trailing-slash variants are tried too.
    #[must_use]
    pub fn websocket(mut self, websocket: bool) -> Self {
        self.websocket = websocket;
        self
    }

    /// The parameter part of the signed string, under the body rules: none
    /// when the URL carries `bodySHA256` (the hash covers the body), a form
    /// POST's fields, and otherwise none, for a request without a body.
    fn signed_params(
        &self,
        body_sha256: bool,
    ) -> Result<Cow<'_, SignedParams<'_>>, SignatureError> {
        let form = !matches!(self.form, Form::No);
        if form && self.body.len() > MAX_FORM_BYTES {
            return Err(SignatureError::BodyTooLarge);
        }
        let none = || Cow::Owned(SignedParams::default());
        let fields = match &self.form {
            Form::No => none(),
            Form::Params(params) => Cow::Borrowed(params.as_ref().map_err(|r| *r)?),
            Form::Body => {
                Cow::Owned(SignedParams::from_fields(&decode_form(self.body)?).into_owned())
            }
            Form::Fields(fields) => Cow::Owned(SignedParams::from_fields(fields)),
        };
        if self.websocket && (!self.body.is_empty() || !fields.is_empty()) {
            // A handshake has no body.
            Err(SignatureError::UnsignedBody)
        } else if body_sha256 {
            // The hash covers the body, whatever it is.
            Ok(none())
        } else if !form && !self.body.is_empty() {
            // Nothing signs it.
            Err(SignatureError::UnsignedBody)
        } else {
            Ok(fields)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::signature::compute_signature;
    use crate::core::signature::tests::{P, U};

    const B: &[u8] = br#"{"property": "value", "boolean": true}"#;
    const HASH: &str = "0a1ff7634d9ab3b95db5c9a2dfe9416e41502b283a80c7cf19632632f96e6620";

    fn check(url: &str, sig: &str) -> Result<Validated, SignatureError> {
        RequestValidator::new("12345").validate(&SignedRequest::new(url, sig).params(&P))
    }

    #[test]
    fn accepts_the_seed_example() {
        let ok = check(U, "RSOYDt4T1cUTdK1PDd93/VVr8B8=").unwrap();
        assert_eq!(ok.key(), &MatchedKey::AuthToken);
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
            assert_eq!(
                v.validate(&req),
                Err(SignatureError::BadSignature),
                "{req:?}"
            );
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
        assert_eq!(v.validate(&req), Err(SignatureError::BadSignature));
    }

    #[test]
    fn accepts_a_secondary_token() {
        let v = RequestValidator::new("old")
            .secondary_token("other")
            .secondary_token("12345");
        let req = SignedRequest::new(U, "RSOYDt4T1cUTdK1PDd93/VVr8B8=").params(&P);
        assert_eq!(
            v.validate(&req).unwrap().key(),
            &MatchedKey::SecondaryToken(1)
        );
    }

    #[test]
    fn body_sha256_requires_the_matching_body() {
        let url = format!("{U}&bodySHA256={HASH}");
        let v = RequestValidator::new("12345");
        let sig = "a9nBmqA0ju/hNViExpshrM61xv4=";
        assert!(v.validate(&SignedRequest::new(&url, sig).body(B)).is_ok());
        assert_eq!(
            v.validate(&SignedRequest::new(&url, sig).body(b"{}")),
            Err(SignatureError::BodyHashMismatch)
        );
        assert_eq!(
            v.validate(&SignedRequest::new(&url, sig)),
            Err(SignatureError::BodyHashMismatch)
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
        assert_eq!(v.validate(&req), Err(SignatureError::BodyHashMismatch));
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

    /// The usual URL is offered once for both libraries: it keeps both
    /// field orders (Python's bytes, Node's UTF-16) under HMAC-SHA1 and
    /// HMAC-SHA256 alike (twilio-node 6.3.1 signs both the same way), with
    /// and without the default port.
    #[test]
    fn a_url_both_libraries_try_keeps_both_libraries_rules() {
        let fields = [("k\u{1F600}", "1"), ("k\u{FF01}", "2")];
        let bytes = "k\u{FF01}2k\u{1F600}1";
        let utf16 = "k\u{1F600}1k\u{FF01}2";
        // The parameter string as it is: one field whose name it is.
        let mac = |key: &str, algorithm, url: &str, params: &str| {
            compute_signature(key, algorithm, url, &[(params, "")])
        };
        let v = RequestValidator::new("t").shared_key("k1", "s");
        let settings = Some("key=k1,algorithm=HMAC_SHA256");
        let received = "https://h.com/voice";
        let candidates = UrlCandidates::new(received, false).as_received();
        assert_eq!(candidates.len(), 2);
        assert!(candidates.iter().all(|c| c.rules == Rules::PythonAndNode));
        for signed in [received, "https://h.com:443/voice"] {
            for params in [bytes, utf16] {
                let sig = mac("t", Algorithm::HmacSha1, signed, params);
                let req = SignedRequest::new(received, &sig).params(&fields);
                assert!(v.validate(&req).is_ok(), "SHA-1 {signed} {params}");
                let sig = mac("s", Algorithm::HmacSha256, signed, params);
                let req = SignedRequest::new(received, &sig)
                    .params(&fields)
                    .settings(settings);
                assert!(v.validate(&req).is_ok(), "SHA-256 {signed} {params}");
            }
        }
    }

    #[test]
    fn settings_header_excludes_the_auth_token() {
        let v = RequestValidator::new("12345").shared_key("k1", "other");
        let sig = compute_signature("12345", Algorithm::HmacSha256, U, &P);
        let req = SignedRequest::new(U, &sig)
            .params(&P)
            .settings(Some("key=k1,algorithm=HMAC_SHA256"));
        assert_eq!(v.validate(&req), Err(SignatureError::BadSignature));
    }

    /// Neither library reads the id (the app hands them its secret), and
    /// the id is not signed: any id, or none, tries the configured shared
    /// keys, and the one that matched is named.
    #[test]
    fn any_key_id_tries_the_configured_shared_keys() {
        let v = RequestValidator::new("12345")
            .shared_key("k1", "s1")
            .shared_key("k2", "s2");
        let sig = compute_signature("s2", Algorithm::HmacSha256, U, &P);
        for settings in [
            "key=k2,algorithm=HMAC_SHA256",
            "key=k1,algorithm=HMAC_SHA256",
            "key=K2,algorithm=HMAC_SHA256",
            "key=unknown,algorithm=HMAC_SHA256",
            "key=,algorithm=HMAC_SHA256",
            "algorithm=HMAC_SHA256",
            "algorithm = hmac_sha256 , key",
        ] {
            let req = SignedRequest::new(U, &sig)
                .params(&P)
                .settings(Some(settings));
            let ok = v
                .validate(&req)
                .unwrap_or_else(|e| panic!("{settings}: {e}"));
            assert_eq!(ok.key(), &MatchedKey::SharedKey("k2".into()), "{settings}");
        }
    }

    #[test]
    fn an_id_that_is_not_configured_is_named_when_nothing_matches() {
        let v = RequestValidator::new("12345").shared_key("k1", "s");
        let forged = compute_signature("other", Algorithm::HmacSha256, U, &P);
        let req = |settings| {
            SignedRequest::new(U, &forged)
                .params(&P)
                .settings(Some(settings))
        };
        assert_eq!(
            v.validate(&req("key=k2,algorithm=HMAC_SHA256")),
            Err(SignatureError::UnknownSharedKey)
        );
        assert_eq!(
            v.validate(&req("algorithm=HMAC_SHA256")),
            Err(SignatureError::UnknownSharedKey)
        );
        assert_eq!(
            v.validate(&req("key=k1,algorithm=HMAC_SHA256")),
            Err(SignatureError::BadSignature)
        );
        assert_eq!(
            v.validate(&req("key=k1,algorithm=HMAC_SHA512")),
            Err(SignatureError::UnsupportedAlgorithm)
        );
    }

    /// The stand-in that does the work when no shared key is configured
    /// has a key anyone can read: what it signs is refused.
    #[test]
    fn the_stand_in_key_never_validates() {
        let v = RequestValidator::new("12345");
        let sig = compute_signature(
            "tower-twilio: a key that is not configured",
            Algorithm::HmacSha256,
            U,
            &P,
        );
        let req = SignedRequest::new(U, &sig)
            .params(&P)
            .settings(Some("key=k1,algorithm=HMAC_SHA256"));
        assert_eq!(v.validate(&req), Err(SignatureError::UnknownSharedKey));
    }

    #[test]
    fn an_unknown_shared_key_id_costs_what_a_known_one_does() {
        // So that timing does not tell which ids are configured: a forged
        // request tries every shared key whatever the id names.
        let v = RequestValidator::new("12345")
            .shared_key("k1", "s1")
            .shared_key("k2", "s2");
        let forged = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=";
        let macs = |settings: &str| {
            let before = MACS.with(|n| n.get());
            let req = SignedRequest::new(U, forged)
                .params(&P)
                .settings(Some(settings));
            let verdict = v.validate(&req);
            (verdict, MACS.with(|n| n.get()) - before)
        };
        let (known, known_macs) = macs("key=k1,algorithm=HMAC_SHA256");
        assert_eq!(known, Err(SignatureError::BadSignature));
        assert!(known_macs > 0);
        for settings in [
            "key=k2,algorithm=HMAC_SHA256",
            "key=k9,algorithm=HMAC_SHA256",
            "key=,algorithm=HMAC_SHA256",
            "algorithm=HMAC_SHA256",
        ] {
            let (_, unknown_macs) = macs(settings);
            assert_eq!(unknown_macs, known_macs, "{settings}");
        }
        // And without any shared key, the stand-in does one key's work.
        let none = RequestValidator::new("12345");
        let before = MACS.with(|n| n.get());
        let req = SignedRequest::new(U, forged)
            .params(&P)
            .settings(Some("key=k1,algorithm=HMAC_SHA256"));
        assert_eq!(none.validate(&req), Err(SignatureError::UnknownSharedKey));
        assert_eq!(MACS.with(|n| n.get()) - before, known_macs / 2);
    }

    /// A GET or HEAD without a body is signed by its URL alone, even when
    /// the URL carries `bodySHA256` (twice, as the regulatory-compliance
    /// bundle callback's does).
    #[test]
    fn a_bodyless_get_or_head_is_signed_by_its_url_even_with_body_sha256() {
        let v = RequestValidator::new("12345");
        let url = format!("{U}&bodySHA256={HASH}&bodySHA256={HASH}");
        let sig = compute_signature("12345", Algorithm::HmacSha1, &url, &[] as &[(&str, &str)]);
        for method in [http::Method::GET, http::Method::HEAD] {
            let req = SignedRequest::new(&url, &sig).method(&method);
            assert!(v.validate(&req).is_ok(), "{method}");
        }
    }

    /// What has a body must match its hash: a GET with one, and a POST
    /// whose body was emptied (Twilio sends a POST with its body).
    #[test]
    fn a_body_or_a_post_must_match_body_sha256() {
        let v = RequestValidator::new("12345");
        let url = format!("{U}&bodySHA256={HASH}");
        let sig = compute_signature("12345", Algorithm::HmacSha1, &url, &[] as &[(&str, &str)]);
        let get = SignedRequest::new(&url, &sig).method(&http::Method::GET);
        assert_eq!(
            v.validate(&get.clone().body(b"{}")),
            Err(SignatureError::BodyHashMismatch)
        );
        assert!(v.validate(&get.body(B)).is_ok());
        for method in [http::Method::POST, http::Method::PUT, http::Method::DELETE] {
            let req = SignedRequest::new(&url, &sig).method(&method);
            assert_eq!(
                v.validate(&req),
                Err(SignatureError::BodyHashMismatch),
                "{method}"
            );
        }
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
            assert_eq!(
                check(U, sig),
                Err(SignatureError::MalformedSignature),
                "{sig}"
            );
        }
    }

    #[test]
    fn websocket_handshakes_try_a_trailing_slash() {
        let v = RequestValidator::new("12345");
        let req = SignedRequest::new(
            "wss://mycompany.com/media-stream",
            "B+WT+LSnUu+RWlK9v/62zQuXpec=",
        );
        assert_eq!(v.validate(&req), Err(SignatureError::BadSignature));
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
    #[test]
    fn empty_keys_are_refused_when_configured() {
        for blank in ["", " ", "\t\n"] {
            assert_eq!(
                RequestValidator::try_new(blank).unwrap_err().setting(),
                "Auth Token"
            );
            let v = RequestValidator::new("12345");
            assert!(v.clone().try_secondary_token(blank).is_err());
            assert!(v.clone().try_shared_key("id", blank).is_err());
            let err = v.try_shared_key(blank, "secret").unwrap_err();
            assert_eq!(err.setting(), "shared key id");
        }
        let err = RequestValidator::try_new(" ").unwrap_err().to_string();
        assert_eq!(err, "invalid Twilio configuration: Auth Token is empty");
    }

    #[test]
    #[should_panic(expected = "Auth Token is empty")]
    fn new_panics_on_an_empty_token() {
        let _ = RequestValidator::new("");
    }

    #[test]
    fn a_body_nothing_signs_is_refused_before_any_mac() {
        let v = RequestValidator::new("12345");
        let url_only = compute_signature("12345", Algorithm::HmacSha1, U, &[] as &[(&str, &str)]);
        let before = MACS.with(|n| n.get());
        // A JSON body under a URL-only signature.
        let json = SignedRequest::new(U, &url_only).body(b"{}");
        assert_eq!(v.validate(&json), Err(SignatureError::UnsignedBody));
        // A WebSocket handshake with a body.
        let ws = SignedRequest::new(U, &url_only).body(b"x").websocket(true);
        assert_eq!(v.validate(&ws), Err(SignatureError::UnsignedBody));
        let ws = SignedRequest::new(U, &url_only)
            .form_body(b"a=1")
            .websocket(true);
        assert_eq!(v.validate(&ws), Err(SignatureError::UnsignedBody));
        assert_eq!(MACS.with(|n| n.get()), before);
        // Without a body, the URL alone is signed.
        assert!(v.validate(&SignedRequest::new(U, &url_only)).is_ok());
        assert!(v
            .validate(&SignedRequest::new(U, &url_only).form_body(b""))
            .is_ok());
    }

    #[test]
    fn a_form_body_must_be_a_form_twilio_sends() {
        let v = RequestValidator::new("12345");
        let url_only = compute_signature("12345", Algorithm::HmacSha1, U, &[] as &[(&str, &str)]);
        let lossy = compute_signature("12345", Algorithm::HmacSha1, U, &[("Body", "\u{FFFD}")]);
        for (body, sig) in [
            (&b"="[..], &url_only),
            (b"&&&&", &url_only),
            (b"Body=%FF", &lossy),
            (b"Body=\xff", &lossy),
        ] {
            let req = SignedRequest::new(U, sig).form_body(body);
            assert_eq!(v.validate(&req), Err(SignatureError::MalformedBody));
        }
        let req = SignedRequest::new(U, &url_only).params(&[("", "x")]);
        assert_eq!(v.validate(&req), Err(SignatureError::MalformedBody));
        let body = b"CallSid=CA1234567890ABCDE&Caller=%2B14158675309&Digits=1234&From=%2B14158675309&To=%2B18005551212";
        let req = SignedRequest::new(U, "RSOYDt4T1cUTdK1PDd93/VVr8B8=").form_body(body);
        assert!(v.validate(&req).is_ok());
    }

    #[test]
    fn refuses_candidates_that_route_elsewhere() {
        let v = RequestValidator::new("12345");
        let sign = |url: &str| compute_signature("12345", Algorithm::HmacSha1, url, &P);
        for (signed, received) in [
            ("https://h.com/voice", "https://h.com/admin/%2e%2e/voice"),
            ("https://h.com/voice", "https://h.com/admin/../voice"),
            ("https://h.com/voice", "https://h.com/a\\..\\voice"),
            ("https://h.com/voice", "https://h.com/voice;"),
            ("https://h.com/voice/", "https://h.com/voice/."),
            ("https://h.com/s?a=1", "https://h.com/s?a=1&b=2"),
            ("https://h.com/s?a=%EF%BF%BD", "https://h.com/s?a=%FF"),
            // A router matches the raw path: `/café` is not `/caf%C3%A9`.
            ("https://h.com/caf%C3%A9", "https://h.com/caf\u{e9}"),
            ("https://h.com/a%22b", "https://h.com/a\"b"),
        ] {
            let sig = sign(signed);
            let req = SignedRequest::new(received, &sig).params(&P);
            assert_eq!(
                v.validate(&req),
                Err(SignatureError::BadSignature),
                "{received}"
            );
        }
        // 1000 pairs, then one Node's re-encoding would drop.
        let mut query: Vec<String> = (0..1000).map(|i| format!("k{i}=v")).collect();
        let signed = format!("https://h.com/s?{}", query.join("&"));
        query.push("admin=1".into());
        let received = format!("https://h.com/s?{}", query.join("&"));
        let sig = sign(&signed);
        let req = SignedRequest::new(&received, &sig).params(&P);
        assert_eq!(v.validate(&req), Err(SignatureError::BadSignature));
        // What denotes the same request is still accepted.
        for (signed, received) in [
            ("https://h.com:443/voice", "https://h.com/voice"),
            ("https://h.com/voice", "https://H.com/voice"),
            ("https://h.com/voice", "https://h.com:8443/voice"),
            ("https://h.com/s?q=a%20b&x='", "https://h.com/s?q=a+b&x='"),
        ] {
            let sig = sign(signed);
            let req = SignedRequest::new(received, &sig).params(&P);
            assert!(v.validate(&req).is_ok(), "{signed} for {received}");
        }
    }

    /// The most MACs a forged request can cost: fields that sort
    /// differently in UTF-16, a URL that every normalization changes, and
    /// the worst of each key configuration.
    #[test]
    fn a_forged_request_costs_at_most_the_documented_macs_per_key() {
        let fields = [("k\u{1F600}", "1"), ("k\u{FF01}", "2"), ("Body", "x")];
        let urls = [
            "https://h.com/a\"b?q='x+y&q=%41",
            "https://H.COM:443/a?x='",
            "https://h.com/a?",
            "https://h.com/p/%7e?a=1&a=2&1=x",
        ];
        let forged = "AAAAAAAAAAAAAAAAAAAAAAAAAAA=";
        for tokens in 1..=3usize {
            let mut v = RequestValidator::new("t0");
            for n in 1..tokens {
                v = v.secondary_token(format!("t{n}"));
            }
            let mut worst = 0;
            for url in urls {
                let before = MACS.with(|n| n.get());
                let req = SignedRequest::new(url, forged).params(&fields);
                assert_eq!(v.validate(&req), Err(SignatureError::BadSignature));
                let macs = MACS.with(|n| n.get()) - before;
                assert!(macs <= MAX_MACS_PER_KEY * tokens, "{url}: {macs} MACs");
                worst = worst.max(macs);
            }
            // The bound is reached: it is the true worst case.
            assert_eq!(worst, MAX_MACS_PER_KEY * tokens);
        }
        // A WebSocket handshake: more URLs (each with its trailing slash
        // toggled) but no body, so each MAC is over a URL alone.
        let before = MACS.with(|n| n.get());
        let req = SignedRequest::new("wss://H.COM/a?q=%27x+y&r='", forged).websocket(true);
        assert_eq!(
            RequestValidator::new("t").validate(&req),
            Err(SignatureError::BadSignature)
        );
        assert_eq!(MACS.with(|n| n.get()) - before, MAX_MACS_PER_HANDSHAKE_KEY);
        // A form body over the limit is refused before any MAC.
        let big = format!("Body={}", "x".repeat(MAX_FORM_BYTES));
        let before = MACS.with(|n| n.get());
        let req = SignedRequest::new(U, forged).form_body(big.as_bytes());
        assert_eq!(
            RequestValidator::new("t").validate(&req),
            Err(SignatureError::BodyTooLarge)
        );
        assert_eq!(MACS.with(|n| n.get()), before);
        // The usual request: two MACs per key (without and with port).
        let before = MACS.with(|n| n.get());
        let req = SignedRequest::new(U, forged).params(&P);
        assert_eq!(
            RequestValidator::new("t").validate(&req),
            Err(SignatureError::BadSignature)
        );
        assert_eq!(MACS.with(|n| n.get()) - before, 2);
    }
}

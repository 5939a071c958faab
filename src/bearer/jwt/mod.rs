//! JWT access tokens (RFC 9068), verified with the keys of a JWKS (the
//! `jwt` feature).
//!
//! [`JwtVerifier`] is a [`BearerVerifier`]: give it to
//! [`TwilioValidateLayer::bearer_auth`](crate::TwilioValidateLayer::bearer_auth)
//! with the issuer and the audience of the AuthProfile, and the keys, as a
//! [`Jwks`] document or fetched from the authorization server's `jwks_uri`
//! by a [`JwksFetcher`] over your own HTTP client.
//!
//! ```
//! use tower_twilio::bearer::jwt::{Jwks, JwtVerifier};
//! use tower_twilio::TwilioValidateLayer;
//!
//! let jwks = Jwks::from_json(br#"{"keys": [{"kty": "OKP", "crv": "Ed25519", "kid": "k1",
//!     "x": "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}]}"#).unwrap();
//! let verifier = JwtVerifier::with_jwks(jwks, "https://idp.example.com/", "https://hooks.example.com")
//!     .required_scope("twilio.webhooks");
//! let layer = TwilioValidateLayer::new("auth token").bearer_auth(verifier);
//! ```
//!
//! # What is checked
//!
//! In this order, each with its [`BearerError`]:
//!
//! 1. The token is a JWS in compact form: three base64url parts, a JSON
//!    header without `crit` (`malformed`); its `typ`, if any, is `at+jwt`,
//!    `application/at+jwt` or `JWT`, in any case (`wrong_type`). RFC 9068
//!    asks for `at+jwt`, but the AuthProfile's token comes from your own
//!    IdP, and many (Auth0, Okta, Entra ID, Keycloak) send `JWT` or none;
//!    other types (an ID token's, a logout token's) are refused.
//! 2. The header's `alg` is one this crate verifies with a public key:
//!    RS256/384/512, PS256/384/512, ES256/384, EdDSA. `none` and the HMACs
//!    (`HS256`...) are `algorithm_not_allowed`, always: an HMAC "signed"
//!    with a public key, which anyone has, would otherwise verify.
//! 3. The key is the JWKS key with the header's `kid` (`unknown_key` if
//!    none, after one refetch with a [`JwksFetcher`]), and its algorithm,
//!    which comes from the key ([`Jwks`]), is the header's `alg`
//!    (`algorithm_not_allowed` if not). A token without `kid` uses the only
//!    key for its `alg`, if there is one only.
//! 4. The signature (`bad_signature`).
//! 5. `exp` is present and not past, `nbf` (if present) not in the future,
//!    each with a [leeway](JwtVerifier::leeway) of 60 s for clock skew
//!    (`expired`, `not_yet_valid`, and `malformed` for an `exp` missing or
//!    not a number); `iss` is the issuer, a string (`wrong_issuer`); `aud` is, or
//!    holds, the audience (`wrong_audience`); both are required.
//! 6. With [`required_client_id`](JwtVerifier::required_client_id), the
//!    token's `client_id` (else `azp`) is that client (`wrong_client`).
//! 7. Each [required scope](JwtVerifier::required_scope) is in `scope`
//!    (separated by spaces only, each matched whole) or `scp` (an array, as Entra ID and Okta send it):
//!    else `missing_scope`, answered `403 insufficient_scope`.
//!
//! `sub`, `client_id` (else `azp`), `iss` and the scopes become the
//! [`BearerClaims`]. RFC 9068 also requires `iat`, `jti`, `sub` and
//! `client_id`; they are not required here, as IdPs differ.
//!
//! The cryptography is [jsonwebtoken](https://docs.rs/jsonwebtoken)'s, with
//! its pure-Rust RustCrypto backend (`rsa`, `p256`, `p384`,
//! `ed25519-dalek`). jsonwebtoken picks its backend per process from its
//! features: if another crate of your program turns on its `aws_lc_rs`
//! feature too, call `jsonwebtoken::crypto::CryptoProvider::install_default`
//! once at start-up, before building a [`JwtVerifier`]: else building one
//! panics with jsonwebtoken's message (rather than a request, later).

mod fetch;
mod keys;

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::{Algorithm, Validation};
use serde_json::{Map, Value};

pub use self::fetch::{
    JwksFetcher, DEFAULT_JWKS_TIMEOUT, DEFAULT_MIN_REFETCH_INTERVAL, MAX_JWKS_BYTES,
};
pub use self::keys::Jwks;

use self::fetch::RemoteKeys;
use crate::bearer::{BearerClaims, BearerError, BearerVerifier, VerifyFuture};

/// The default leeway on `exp` and `nbf`: 60 seconds of clock skew.
pub const DEFAULT_LEEWAY: Duration = Duration::from_secs(60);

/// The largest leeway [`JwtVerifier::leeway`] sets: one hour. (More would
/// make short-lived tokens long-lived, and the arithmetic on the clock
/// must not overflow.)
pub const MAX_LEEWAY: Duration = Duration::from_secs(3600);

/// Verifies JWT access tokens; see the [module docs](self). Cheap to clone.
///
/// Its `Debug` shows the issuer, audience, scopes and key ids; there is no
/// secret in it.
#[derive(Clone)]
#[must_use]
pub struct JwtVerifier {
    inner: Arc<Inner>,
}

#[derive(Clone)]
struct Inner {
    issuer: String,
    audience: String,
    scopes: Vec<String>,
    client_id: Option<String>,
    leeway: Duration,
    keys: Arc<Keys>,
}

enum Keys {
    Static(Jwks),
    Fetched(Box<RemoteKeys>),
}

impl fmt::Debug for JwtVerifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let inner = &*self.inner;
        let mut d = f.debug_struct("JwtVerifier");
        d.field("issuer", &inner.issuer)
            .field("audience", &inner.audience)
            .field("required_scopes", &inner.scopes)
            .field("required_client_id", &inner.client_id)
            .field("leeway", &inner.leeway);
        match &*inner.keys {
            Keys::Static(jwks) => d.field("jwks", jwks),
            Keys::Fetched(remote) => d.field("jwks", remote),
        };
        d.finish()
    }
}

impl JwtVerifier {
    /// Verifies tokens from `issuer` for `audience` with the keys of `jwks`.
    ///
    /// # Panics
    /// When `issuer` or `audience` is empty (or only whitespace): an unset
    /// variable read as `""` must not become a check that any token with
    /// an empty `iss` or `aud` passes.
    #[track_caller]
    pub fn with_jwks(jwks: Jwks, issuer: impl Into<String>, audience: impl Into<String>) -> Self {
        Self::with_keys(Keys::Static(jwks), issuer.into(), audience.into())
    }

    /// Verifies tokens from `issuer` for `audience` with the keys `fetcher`
    /// fetches, and fetches again when a token's `kid` is unknown.
    ///
    /// # Panics
    /// When `issuer` or `audience` is empty, as [`with_jwks`](Self::with_jwks).
    #[track_caller]
    pub fn with_fetcher(
        fetcher: JwksFetcher,
        issuer: impl Into<String>,
        audience: impl Into<String>,
    ) -> Self {
        Self::with_keys(
            Keys::Fetched(Box::new(RemoteKeys::new(fetcher))),
            issuer.into(),
            audience.into(),
        )
    }

    #[track_caller]
    fn with_keys(keys: Keys, issuer: String, audience: String) -> Self {
        for (name, value) in [("issuer", &issuer), ("audience", &audience)] {
            assert!(
                !value.trim().is_empty(),
                "invalid Twilio configuration: the JWT verifier's {name} is empty"
            );
        }
        check_crypto_provider();
        Self {
            inner: Arc::new(Inner {
                issuer,
                audience,
                scopes: Vec::new(),
                client_id: None,
                leeway: DEFAULT_LEEWAY,
                keys: Arc::new(keys),
            }),
        }
    }

    fn inner(&mut self) -> &mut Inner {
        Arc::make_mut(&mut self.inner)
    }

    /// Requires `scope` among the token's scopes (the AuthProfile's
    /// `scope`); call once per scope.
    pub fn required_scope(mut self, scope: impl Into<String>) -> Self {
        self.inner().scopes.push(scope.into());
        self
    }

    /// Requires the token's `client_id` (else `azp`) to be `client_id`:
    /// the AuthProfile's `client_id`, so that a token your IdP issued to
    /// another client for the same audience and scope is refused
    /// (`wrong_client`). Recommended, and needed with
    /// `dangerously_skip_signature_with_bearer_only`, where the token is
    /// all there is. Not every IdP puts either claim into access tokens.
    pub fn required_client_id(mut self, client_id: impl Into<String>) -> Self {
        self.inner().client_id = Some(client_id.into());
        self
    }

    /// The clock skew allowed on `exp` and `nbf` (default
    /// [`DEFAULT_LEEWAY`]), in whole seconds, at most [`MAX_LEEWAY`].
    pub fn leeway(mut self, leeway: Duration) -> Self {
        self.inner().leeway = leeway.min(MAX_LEEWAY);
        self
    }
}

impl BearerVerifier for JwtVerifier {
    fn verify(&self, token: &str) -> VerifyFuture {
        let inner = self.inner.clone();
        let token = token.to_owned();
        Box::pin(async move { inner.verify(&token).await })
    }
}

impl Inner {
    async fn verify(&self, token: &str) -> Result<BearerClaims, BearerError> {
        let header = Header::parse(token)?;
        let kid = header.kid.as_deref();
        let jwks = match &*self.keys {
            Keys::Static(jwks) => jwks.clone(),
            Keys::Fetched(remote) => {
                remote
                    .jwks(|jwks| {
                        !matches!(jwks.select(kid, header.alg), Err(BearerError::UnknownKey))
                    })
                    .await?
            }
        };
        // Every key is for the header's `alg` (`select`).
        let keys = jwks.select(kid, header.alg)?;
        let mut validation = Validation::new(header.alg);
        validation.leeway = self.leeway.as_secs();
        validation.validate_nbf = true;
        validation.set_issuer(&[&self.issuer]);
        validation.set_audience(&[&self.audience]);
        validation.set_required_spec_claims(&["exp", "iss", "aud"]);
        // The claims are judged once a key verifies the signature: the
        // first key whose verdict is anything but a bad signature decides.
        let mut decoded = Err(BearerError::BadSignature);
        for key in keys {
            decoded = jsonwebtoken::decode::<Map<String, Value>>(token, &key.key, &validation)
                .map_err(|e| refusal(e.kind()));
            if !matches!(decoded, Err(BearerError::BadSignature)) {
                break;
            }
        }
        let claims = decoded?.claims;
        // jsonwebtoken takes an `iss` array that holds the issuer; RFC 7519
        // §4.1.1 has one StringOrURI, so an array is not from the issuer.
        if claims.get("iss").and_then(Value::as_str) != Some(self.issuer.as_str()) {
            return Err(BearerError::WrongIssuer);
        }
        let claims = bearer_claims(&claims);
        if self.client_id.is_some() && claims.client_id != self.client_id {
            return Err(BearerError::WrongClient);
        }
        if self.scopes.iter().all(|scope| claims.has_scope(scope)) {
            Ok(claims)
        } else {
            Err(BearerError::MissingScope)
        }
    }
}

/// jsonwebtoken chooses its backend per process, from its features (see the
/// module docs): when it cannot, its verifier panics. Let that happen here,
/// once, when a verifier is built, rather than on a request.
fn check_crypto_provider() {
    static CHECKED: std::sync::Once = std::sync::Once::new();
    CHECKED.call_once(|| {
        // RFC 8037's example Ed25519 public key.
        if let Ok(key) = jsonwebtoken::DecodingKey::from_ed_components(
            "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo",
        ) {
            let _ = jsonwebtoken::crypto::verify("AA", b"x", &key, Algorithm::EdDSA);
        }
    });
}

/// Whether the bearer stage accepts `token`'s header (the fuzz internals).
#[cfg(feature = "fuzzing")]
pub(crate) fn header_parses(token: &str) -> bool {
    Header::parse(token).is_ok()
}

/// What the token's header says, read before any key is looked up.
#[derive(Debug)]
struct Header {
    alg: Algorithm,
    kid: Option<String>,
}

impl Header {
    fn parse(token: &str) -> Result<Self, BearerError> {
        let mut parts = token.split('.');
        let (Some(header), Some(_), Some(_), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(BearerError::Malformed);
        };
        let json = URL_SAFE_NO_PAD
            .decode(header)
            .map_err(|_| BearerError::Malformed)?;
        let Ok(Value::Object(header)) = serde_json::from_slice(&json) else {
            return Err(BearerError::Malformed);
        };
        if header.contains_key("crit") {
            return Err(BearerError::Malformed);
        }
        match header.get("typ") {
            None => {}
            Some(Value::String(typ))
                if ["at+jwt", "application/at+jwt", "JWT"]
                    .iter()
                    .any(|t| t.eq_ignore_ascii_case(typ)) => {}
            Some(_) => return Err(BearerError::WrongType),
        }
        let alg = match header.get("alg") {
            Some(Value::String(alg)) => alg
                .parse::<Algorithm>()
                .ok()
                .filter(|alg| {
                    !matches!(alg, Algorithm::HS256 | Algorithm::HS384 | Algorithm::HS512)
                })
                .ok_or(BearerError::AlgorithmNotAllowed)?,
            _ => return Err(BearerError::Malformed),
        };
        let kid = match header.get("kid") {
            None => None,
            Some(Value::String(kid)) => Some(kid.clone()),
            Some(_) => return Err(BearerError::Malformed),
        };
        Ok(Self { alg, kid })
    }
}

/// jsonwebtoken's verdict, in this crate's words.
fn refusal(kind: &ErrorKind) -> BearerError {
    match kind {
        ErrorKind::ExpiredSignature => BearerError::Expired,
        ErrorKind::ImmatureSignature => BearerError::NotYetValid,
        ErrorKind::InvalidIssuer => BearerError::WrongIssuer,
        ErrorKind::InvalidAudience => BearerError::WrongAudience,
        ErrorKind::MissingRequiredClaim(claim) if claim == "iss" => BearerError::WrongIssuer,
        ErrorKind::MissingRequiredClaim(claim) if claim == "aud" => BearerError::WrongAudience,
        ErrorKind::InvalidSignature => BearerError::BadSignature,
        ErrorKind::InvalidAlgorithm | ErrorKind::MissingAlgorithm => {
            BearerError::AlgorithmNotAllowed
        }
        ErrorKind::InvalidEcdsaKey | ErrorKind::InvalidEddsaKey | ErrorKind::InvalidRsaKey(_) => {
            BearerError::UnknownKey
        }
        _ => BearerError::Malformed,
    }
}

/// The claims a handler gets.
fn bearer_claims(claims: &Map<String, Value>) -> BearerClaims {
    let text = |name: &str| claims.get(name).and_then(Value::as_str).map(str::to_owned);
    // RFC 6749 §3.3: scope-tokens separated by SP, and by nothing else (a
    // tab or another white space is in no scope-token either).
    let split = |scope: &str| {
        scope
            .split(' ')
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect::<Vec<_>>()
    };
    let mut scopes: Vec<String> = match claims.get("scope") {
        Some(Value::String(scope)) => split(scope),
        _ => Vec::new(),
    };
    match claims.get("scp") {
        Some(Value::String(scp)) => scopes.extend(split(scp)),
        Some(Value::Array(scp)) => {
            scopes.extend(scp.iter().filter_map(Value::as_str).map(str::to_owned));
        }
        _ => {}
    }
    BearerClaims {
        subject: text("sub"),
        client_id: text("client_id").or_else(|| text("azp")),
        issuer: text("iss"),
        scopes,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header(json: &str) -> Result<Header, BearerError> {
        Header::parse(&format!("{}.e30.sig", URL_SAFE_NO_PAD.encode(json)))
    }

    #[test]
    fn none_and_the_hmacs_are_not_allowed() {
        for alg in ["none", "None", "HS256", "HS384", "HS512", "XX1"] {
            let json = format!(r#"{{"alg": "{alg}"}}"#);
            assert_eq!(
                header(&json).err(),
                Some(BearerError::AlgorithmNotAllowed),
                "{alg}"
            );
        }
        assert!(header(r#"{"alg": "RS256", "kid": "k"}"#).is_ok());
    }

    #[test]
    fn access_token_types_are_accepted_and_others_refused() {
        for typ in ["at+jwt", "AT+JWT", "application/at+jwt", "JWT", "jwt"] {
            let json = format!(r#"{{"alg": "EdDSA", "typ": "{typ}"}}"#);
            assert!(header(&json).is_ok(), "{typ}");
        }
        for typ in [r#""logout+jwt""#, r#""dpop+jwt""#, "1"] {
            let json = format!(r#"{{"alg": "EdDSA", "typ": {typ}}}"#);
            assert_eq!(header(&json).err(), Some(BearerError::WrongType), "{typ}");
        }
    }

    #[test]
    fn what_is_not_a_compact_jws_is_malformed() {
        for token in ["", "a", "a.b", "a.b.c.d.e", "!!.e30.x", "e30.e30.x"] {
            assert_eq!(
                Header::parse(token).err(),
                Some(BearerError::Malformed),
                "{token}"
            );
        }
        assert_eq!(
            header(r#"{"alg": "EdDSA", "crit": ["exp"]}"#).err(),
            Some(BearerError::Malformed)
        );
        assert_eq!(
            header(r#"{"alg": "EdDSA", "kid": 7}"#).err(),
            Some(BearerError::Malformed)
        );
    }

    #[test]
    fn scopes_come_from_scope_and_scp() {
        let claims: Map<String, Value> = serde_json::from_str(
            r#"{"scope": "a  b", "scp": ["c", 1], "sub": "s", "azp": "z", "iss": "i"}"#,
        )
        .unwrap();
        let claims = bearer_claims(&claims);
        assert_eq!(claims.scopes, ["a", "b", "c"]);
        assert_eq!(claims.client_id.as_deref(), Some("z"));
        assert_eq!(claims.subject.as_deref(), Some("s"));
    }
}

//! OAuth 2.0 bearer tokens (RFC 6750) on webhook requests, as Twilio sends
//! them for a webhook auth profile.
//!
//! A Twilio *AuthProfile* names your authorization server's `token_url`, a
//! `client_id` and `client_secret`, a `scope` and an `audience`. Twilio gets
//! an access token from that server with the client credentials grant and
//! sends it with every webhook as `Authorization: Bearer <token>` (Twilio
//! error 97001 when it cannot get one). The layer checks it with a
//! [`BearerVerifier`], given by
//! [`TwilioValidateLayer::bearer_auth`](crate::TwilioValidateLayer::bearer_auth),
//! before the body is read; the accepted [`BearerClaims`] are put into the
//! request's extensions, and the signature is checked afterwards as always.
//!
//! With the `jwt` feature, [`jwt::JwtVerifier`] verifies JWT access tokens
//! (RFC 9068) with keys from a JWKS document, static or fetched through your
//! own HTTP client ([`jwt::JwksFetcher`]). Any other check (RFC 7662
//! introspection, a cache) is a [`BearerVerifier`] of your own; any
//! `Fn(String) -> impl Future<Output = Result<BearerClaims, BearerError>>`
//! is one:
//!
//! ```
//! use tower_twilio::bearer::{BearerClaims, BearerError};
//! use tower_twilio::TwilioValidateLayer;
//!
//! let layer = TwilioValidateLayer::new("auth token").bearer_auth(|token: String| async move {
//!     // Ask your authorization server (RFC 7662) instead.
//!     if token == "let-me-in" {
//!         let mut claims = BearerClaims::default();
//!         claims.client_id = Some("twilio".into());
//!         Ok(claims)
//!     } else {
//!         Err(BearerError::InvalidToken)
//!     }
//! });
//! ```
//!
//! # Answers
//!
//! | the token | status | `WWW-Authenticate` |
//! |---|---|---|
//! | missing, or another scheme than `Bearer` | `401` | `Bearer realm="twilio"` |
//! | refused ([`BearerError`]) | `401` | `Bearer realm="twilio", error="invalid_token", error_description="..."` |
//! | valid, lacking a required scope | `403` | `Bearer realm="twilio", error="insufficient_scope", ...` |
//! | not checkable: the keys cannot be had, or the verifier did not answer within [`bearer_timeout`](crate::TwilioValidateLayer::bearer_timeout) | `503` | none |
//!
//! The `error_description` is one text per `error` code ("the token is not
//! accepted" for every `invalid_token`): see [`BearerError::description`].
//!
//! (RFC 6750 §3 and §3.1.) The [`BearerError`] is in the response's
//! extensions, beside the [`Rejection`](crate::Rejection)
//! (`unauthenticated`, `insufficient_scope` or `bearer_unavailable`), and in
//! the `tracing` event; neither the token nor any secret ever is.
//!
//! # Threat model
//!
//! The signature proves that Twilio made the request, with the URL and
//! fields it names; the token proves that Twilio got a token from *your*
//! authorization server for the AuthProfile's client. The token adds an
//! independent credential under your control: one you can scope, expire and
//! revoke at your IdP without rotating the Auth Token, and one that a leaked
//! Auth Token alone does not give. It does **not** bind the request: a
//! bearer token is valid for every request until it expires, so a captured
//! token with a request of the attacker's choosing passes this stage, and
//! only the signature stops it. Keep the signature on; serve over HTTPS so
//! tokens cannot be captured; keep tokens short-lived.
//!
//! Tokens are checked before the body is read, after the cheap header
//! checks: a request with no token is `401` at once, one without a
//! plausible `X-Twilio-Signature` is `403` without the verifier's cost. An
//! `Authorization` value over [`MAX_BEARER_TOKEN_LEN`] is refused unread.
//!
// Without the feature the module is not built: its links go to docs.rs,
// which builds every feature.
#![cfg_attr(
    not(feature = "jwt"),
    doc = "[`jwt::JwtVerifier`]: https://docs.rs/tower-twilio/latest/tower_twilio/bearer/jwt/struct.JwtVerifier.html"
)]
#![cfg_attr(
    not(feature = "jwt"),
    doc = "[`jwt::JwksFetcher`]: https://docs.rs/tower-twilio/latest/tower_twilio/bearer/jwt/struct.JwksFetcher.html"
)]

#[cfg(feature = "jwt")]
pub mod jwt;

use std::fmt;
use std::future::Future;
use std::pin::Pin;

/// `Authorization` values longer than this (16 KiB) are refused unread.
pub const MAX_BEARER_TOKEN_LEN: usize = 16 * 1024;

/// The `realm` of the layer's `WWW-Authenticate: Bearer` challenges.
pub const BEARER_REALM: &str = "twilio";

/// The future a [`BearerVerifier`] returns.
pub type VerifyFuture = Pin<Box<dyn Future<Output = Result<BearerClaims, BearerError>> + Send>>;

/// Checks a bearer token; see the [module docs](self).
///
/// Called once per request that carries a token and passed the header
/// checks, before its body is read. The token is the `Authorization`
/// value's credentials, without the `Bearer ` scheme, at most
/// [`MAX_BEARER_TOKEN_LEN`] bytes of visible ASCII. Never log it.
pub trait BearerVerifier: Send + Sync + 'static {
    /// The token's claims, or why it is refused.
    fn verify(&self, token: &str) -> VerifyFuture;
}

impl<F, Fut> BearerVerifier for F
where
    F: Fn(String) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<BearerClaims, BearerError>> + Send + 'static,
{
    fn verify(&self, token: &str) -> VerifyFuture {
        Box::pin(self(token.to_owned()))
    }
}

/// What an accepted token says, for the handler: the layer puts it into the
/// request's extensions (axum: `Extension<BearerClaims>`). Never the token.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct BearerClaims {
    /// `sub`: for a client credentials token, usually the client.
    pub subject: Option<String>,
    /// `client_id` (RFC 9068), else `azp`: the AuthProfile's client.
    pub client_id: Option<String>,
    /// `iss`: the authorization server that issued the token.
    pub issuer: Option<String>,
    /// The granted scopes: `scope` split at spaces, or the `scp` array.
    pub scopes: Vec<String>,
}

impl BearerClaims {
    /// Whether `scope` was granted.
    pub fn has_scope(&self, scope: &str) -> bool {
        self.scopes.iter().any(|s| s == scope)
    }
}

/// Why a bearer token was refused.
///
/// Neither [`as_str`](Self::as_str) nor `Display` ever contains the token
/// or a claim's value.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum BearerError {
    /// No `Authorization` header, or one with another scheme than `Bearer`.
    MissingToken,
    /// Not a token: not `Bearer <token68>`, more than one `Authorization`
    /// header, over [`MAX_BEARER_TOKEN_LEN`], or (a JWT) not three base64url
    /// parts of JSON, or a required claim (`exp`) missing or mistyped.
    Malformed,
    /// The token's `exp` is past (beyond the leeway).
    Expired,
    /// The token's `nbf` is in the future (beyond the leeway).
    NotYetValid,
    /// The token's `iss` is not the expected issuer, or is missing.
    WrongIssuer,
    /// The token's `aud` does not name this endpoint's audience, or is missing.
    WrongAudience,
    /// The token is valid but lacks a required scope: `403`.
    MissingScope,
    /// The token's `client_id` (else `azp`) is not the required client,
    /// or is missing.
    WrongClient,
    /// The token's `kid` names no key of the key set, even after the key
    /// set was fetched again.
    UnknownKey,
    /// The signature does not verify with the key.
    BadSignature,
    /// The token's `alg` is not the key's algorithm: `none`, an HMAC
    /// (`HS256`...), or another than the key is for.
    AlgorithmNotAllowed,
    /// The token's `typ` is neither `at+jwt` nor `JWT` (RFC 9068 §2.1).
    WrongType,
    /// The keys could not be had (the JWKS URL failed, was too large or too
    /// slow): `503`, the token was not judged.
    JwksUnavailable,
    /// Refused for another reason (a custom verifier's: revoked, inactive).
    InvalidToken,
    /// The verifier did not answer within the layer's
    /// [`bearer_timeout`](crate::TwilioValidateLayer::bearer_timeout):
    /// `503`, the token was not judged.
    VerifierTimeout,
}

impl BearerError {
    /// A stable, machine-readable name, such as `"expired"`.
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::MissingToken => "missing_token",
            Self::Malformed => "malformed",
            Self::Expired => "expired",
            Self::NotYetValid => "not_yet_valid",
            Self::WrongIssuer => "wrong_issuer",
            Self::WrongAudience => "wrong_audience",
            Self::MissingScope => "missing_scope",
            Self::WrongClient => "wrong_client",
            Self::UnknownKey => "unknown_key",
            Self::BadSignature => "bad_signature",
            Self::AlgorithmNotAllowed => "algorithm_not_allowed",
            Self::WrongType => "wrong_type",
            Self::JwksUnavailable => "jwks_unavailable",
            Self::InvalidToken => "invalid_token",
            Self::VerifierTimeout => "verifier_timeout",
        }
    }

    /// The RFC 6750 `error` code of the challenge: none for a missing
    /// token, `insufficient_scope` for a missing scope, else
    /// `invalid_token`; `None` too for a token that was not judged.
    pub fn error_code(&self) -> Option<&'static str> {
        match self {
            Self::MissingToken | Self::JwksUnavailable | Self::VerifierTimeout => None,
            Self::MissingScope => Some("insufficient_scope"),
            _ => Some("invalid_token"),
        }
    }

    /// The `WWW-Authenticate` value of the `401` (or `403`) answer; `None`
    /// for a token that was not judged (`503`). Visible ASCII.
    pub fn www_authenticate(&self) -> Option<String> {
        if matches!(self, Self::JwksUnavailable | Self::VerifierTimeout) {
            return None;
        }
        Some(match self.error_code() {
            None => format!("Bearer realm=\"{BEARER_REALM}\""),
            Some(code) => format!(
                "Bearer realm=\"{BEARER_REALM}\", error=\"{code}\", error_description=\"{}\"",
                self.description()
            ),
        })
    }

    /// What the answer tells the caller: its `error_description` and its
    /// body's text. One text per RFC 6750 `error` code, never which check
    /// failed: whoever sends a token (a stolen one, one of another client
    /// or audience of the same IdP, a forged one) learns that it was
    /// refused, not how close it came (its key known, its signature valid,
    /// only its audience wrong), which would tell them what to look for
    /// next. A missing token, a scope (the token shows its own scopes) and
    /// an answer that judged nothing (`503`) say what they are. The typed
    /// reason is in the response's extensions and the log (see
    /// [`as_str`](Self::as_str)); `Display` says it in words.
    pub fn description(&self) -> &'static str {
        match self.error_code() {
            Some("invalid_token") => "the token is not accepted",
            _ => match self {
                Self::MissingToken => "no bearer token",
                Self::MissingScope => "the token lacks a required scope",
                _ => "the token could not be checked",
            },
        }
    }
}

impl fmt::Display for BearerError {
    /// Short, and fit for an RFC 6750 `error_description`: visible ASCII,
    /// no `"` or `\`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::MissingToken => "no bearer token",
            Self::Malformed => "the token is malformed",
            Self::Expired => "the token has expired",
            Self::NotYetValid => "the token is not yet valid",
            Self::WrongIssuer => "the token is not from the expected issuer",
            Self::WrongAudience => "the token is not for this audience",
            Self::MissingScope => "the token lacks a required scope",
            Self::WrongClient => "the token is not for the expected client",
            Self::UnknownKey => "the token's key is unknown",
            Self::BadSignature => "the token's signature is invalid",
            Self::AlgorithmNotAllowed => "the token's algorithm is not allowed",
            Self::WrongType => "the token is not an access token",
            Self::JwksUnavailable => "the keys to check the token are unavailable",
            Self::InvalidToken => "the token is not accepted",
            Self::VerifierTimeout => "the token's verifier did not answer in time",
        })
    }
}

impl std::error::Error for BearerError {}

/// The token of an `Authorization` header's value: `Bearer` (any case), one
/// or more spaces, then an RFC 6750 `b64token` (`[A-Za-z0-9-._~+/]+=*`).
/// `None` for no header or another scheme ([`BearerError::MissingToken`]);
/// anything else that is not such a token is
/// [`Malformed`](BearerError::Malformed), as is a value over
/// [`MAX_BEARER_TOKEN_LEN`], refused unread.
pub fn bearer_token(authorization: Option<&[u8]>) -> Result<&str, BearerError> {
    let value = authorization.ok_or(BearerError::MissingToken)?;
    if value.len() > MAX_BEARER_TOKEN_LEN {
        return Err(BearerError::Malformed);
    }
    let value = std::str::from_utf8(value).map_err(|_| BearerError::Malformed)?;
    let value = value.trim_matches([' ', '\t']);
    let (scheme, token) = value.split_once(' ').unwrap_or((value, ""));
    if !scheme.eq_ignore_ascii_case("Bearer") {
        return Err(BearerError::MissingToken);
    }
    let token = token.trim_start_matches(' ');
    let body = token.trim_end_matches('=');
    let b64token = |c: u8| c.is_ascii_alphanumeric() || b"-._~+/".contains(&c);
    if body.is_empty() || !body.bytes().all(b64token) {
        return Err(BearerError::Malformed);
    }
    Ok(token)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_token_follows_the_bearer_scheme_in_any_case() {
        assert_eq!(
            bearer_token(Some(b"Bearer abc.def-_~+/==")),
            Ok("abc.def-_~+/==")
        );
        assert_eq!(bearer_token(Some(b"bearer  abc")), Ok("abc"));
        assert_eq!(bearer_token(Some(b"BEARER abc ")), Ok("abc"));
    }

    #[test]
    fn no_header_or_another_scheme_is_a_missing_token() {
        assert_eq!(bearer_token(None), Err(BearerError::MissingToken));
        assert_eq!(
            bearer_token(Some(b"Basic dTpw")),
            Err(BearerError::MissingToken)
        );
        assert_eq!(
            bearer_token(Some(b"Bearerabc")),
            Err(BearerError::MissingToken)
        );
    }

    #[test]
    fn what_is_not_a_b64token_is_malformed() {
        for value in [
            &b"Bearer"[..],
            b"Bearer ",
            b"Bearer a b",
            b"Bearer a,b",
            b"Bearer \"a\"",
            b"Bearer ===",
            b"Bearer a=b",
            b"Bearer \xff",
            b"Bearer a\tb",
        ] {
            assert_eq!(
                bearer_token(Some(value)),
                Err(BearerError::Malformed),
                "{value:?}"
            );
        }
    }

    #[test]
    fn a_value_over_the_bound_is_malformed() {
        let mut value = b"Bearer ".to_vec();
        value.resize(MAX_BEARER_TOKEN_LEN + 1, b'a');
        assert_eq!(bearer_token(Some(&value)), Err(BearerError::Malformed));
        value.truncate(MAX_BEARER_TOKEN_LEN);
        assert!(bearer_token(Some(&value)).is_ok());
    }

    #[test]
    fn the_challenges_follow_rfc_6750() {
        assert_eq!(
            BearerError::MissingToken.www_authenticate().unwrap(),
            "Bearer realm=\"twilio\""
        );
        assert_eq!(
            BearerError::Expired.www_authenticate().unwrap(),
            "Bearer realm=\"twilio\", error=\"invalid_token\", \
             error_description=\"the token is not accepted\""
        );
        assert!(BearerError::MissingScope
            .www_authenticate()
            .unwrap()
            .contains("error=\"insufficient_scope\""));
        assert_eq!(BearerError::JwksUnavailable.www_authenticate(), None);
        assert_eq!(BearerError::VerifierTimeout.www_authenticate(), None);
    }

    #[test]
    fn the_description_does_not_say_which_check_failed() {
        let judged = [
            BearerError::Malformed,
            BearerError::Expired,
            BearerError::NotYetValid,
            BearerError::WrongIssuer,
            BearerError::WrongAudience,
            BearerError::WrongClient,
            BearerError::UnknownKey,
            BearerError::BadSignature,
            BearerError::AlgorithmNotAllowed,
            BearerError::WrongType,
            BearerError::InvalidToken,
        ];
        for error in judged {
            assert_eq!(
                error.description(),
                "the token is not accepted",
                "{error:?}"
            );
            assert_eq!(
                error.www_authenticate().unwrap(),
                BearerError::InvalidToken.www_authenticate().unwrap()
            );
        }
    }
}

//! HTTP Basic (RFC 7617) and Digest (RFC 7616, RFC 2617 clients) authentication
//! of webhook requests, on the server side.
//!
//! Twilio can put credentials into a webhook URL (`https://user:pass@host/...`).
//! It then sends the first request without `Authorization`, expects `401` with
//! `WWW-Authenticate`, retries with credentials and keeps sending them for the
//! rest of the call; with Digest it reuses the nonce with a rising `nc`.
//!
//! This module knows nothing of Tower or HTTP types: [`HttpAuth::check`] takes
//! the method, the request-target and the `Authorization` header's bytes, and
//! says who is authenticated or which `WWW-Authenticate` values to answer with.
//!
//! ```
//! use std::time::SystemTime;
//! use tower_twilio::auth::{AuthFailure, AuthScheme, HttpAuth};
//!
//! let auth = HttpAuth::builder()
//!     .basic_auth("twilio", "s3cret")
//!     .digest_auth("twilio", "s3cret")
//!     .build();
//!
//! // Twilio's first try carries no credentials: answer 401 with the challenges.
//! let challenge = auth.check("POST", "/voice", None, SystemTime::now()).unwrap_err();
//! assert_eq!(challenge.reason(), AuthFailure::MissingCredentials);
//! assert_eq!(challenge.www_authenticate().len(), 3); // Digest SHA-256, Digest MD5, Basic
//!
//! // The retry: "Basic " + base64("twilio:s3cret").
//! let header = b"Basic dHdpbGlvOnMzY3JldA==";
//! let user = auth.check("POST", "/voice", Some(header), SystemTime::now()).unwrap();
//! assert_eq!((user.user.as_str(), user.scheme), ("twilio", AuthScheme::Basic));
//! ```
//!
//! # Threat model and deployment
//!
//! - Basic sends the password with every request, and Digest protects the
//!   password but not the body (`auth-int` is not supported): serve webhooks
//!   over HTTPS only. The Twilio signature is what protects the body.
//! - Digest nonces are stateless (see [`HttpAuthBuilder::nonce_secret`]):
//!   instances behind a load balancer must share the nonce secret. The replay
//!   cache is per instance, so a captured Digest request could be replayed once
//!   against each other instance within the nonce lifetime, unless the
//!   instances share a [`HttpAuthBuilder::nonce_count_store`] (the replay
//!   guard's store, in Redis for many processes): then each nonce count is
//!   accepted once across all of them. HTTPS keeps it from being captured.
//! - The Digest `uri` must equal the request-target exactly as the client sent
//!   it. Behind a proxy that rewrites paths, pass the original target.
//! - A stored `HA1` is as good as the password for its realm; MD5 is offered
//!   for older clients only, drop it with
//!   [`HttpAuthBuilder::digest_algorithms`] if every client does SHA-256.
//! - User names, passwords and Digest responses are compared in constant time;
//!   Basic values are hashed first, so their lengths do not leak either. Which
//!   check failed (realm, nonce, uri...) is not secret and is reported.

mod basic;
mod builder;
mod digest;
mod failure;
mod nonce;
mod params;
mod replay;
mod shared;
#[cfg(test)]
mod tests;

use std::sync::Arc;
use std::time::SystemTime;

use sha2::{Digest as _, Sha256};
use subtle::{Choice, ConstantTimeEq};

pub use self::builder::{
    HttpAuthBuilder, DEFAULT_DIGEST_ALGORITHMS, DEFAULT_NONCE_LIFETIME, DEFAULT_REALM,
    DEFAULT_REPLAY_CACHE_CAPACITY,
};
pub use self::digest::DigestAlgorithm;
pub use self::failure::AuthFailure;
pub(crate) use self::shared::ClaimFuture;
pub use self::shared::DEFAULT_NONCE_COUNT_STORE_TIMEOUT;

/// `Authorization` values longer than this are refused unread.
pub const MAX_AUTHORIZATION_LEN: usize = 16 * 1024;

/// Checks Basic and Digest credentials; cheap to clone (the configuration and
/// the replay cache are shared), `Send + Sync`.
///
/// Its `Debug` redacts passwords, `HA1` and the nonce secret.
#[derive(Clone, Debug)]
pub struct HttpAuth {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    basic: Option<basic::Basic>,
    digest: Option<digest::Digest>,
}

/// The authentication scheme a request used.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum AuthScheme {
    /// RFC 7617 Basic.
    Basic,
    /// RFC 7616 Digest.
    Digest,
}

/// A request whose credentials were accepted.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Authenticated {
    /// The configured user the credentials belong to.
    pub user: String,
    /// How the request authenticated.
    pub scheme: AuthScheme,
}

/// A request that was refused: why, and what to answer it with.
///
/// Answer `401 Unauthorized` with one `WWW-Authenticate` header per value of
/// [`www_authenticate`](Self::www_authenticate), in order.
#[derive(Clone, Debug)]
pub struct AuthChallenge {
    reason: AuthFailure,
    www_authenticate: Vec<String>,
}

impl AuthChallenge {
    /// Why the request was refused.
    pub fn reason(&self) -> AuthFailure {
        self.reason
    }

    /// The `WWW-Authenticate` header values, in order of preference: one Digest
    /// challenge per offered algorithm (all with one fresh nonce, and with
    /// `stale=true` when only the nonce was at fault), then the Basic challenge.
    /// All are visible ASCII.
    pub fn www_authenticate(&self) -> &[String] {
        &self.www_authenticate
    }
}

impl HttpAuth {
    /// Starts configuring; see [`HttpAuthBuilder`] for the defaults.
    pub fn builder() -> HttpAuthBuilder {
        HttpAuthBuilder::default()
    }

    /// Checks a request's credentials.
    ///
    /// `method` is the request method (`"POST"`); `request_target` the raw
    /// request-target as the client sent it (usually path and query);
    /// `authorization` the `Authorization` header's value, `None` when there is
    /// none (rejecting several is the caller's job); `now` the current time,
    /// which dates new nonces and decides whether a nonce has expired.
    ///
    /// # Errors
    ///
    /// When the credentials are missing or not accepted: the
    /// [`AuthChallenge`] says why and what to answer. Never panics, whatever the
    /// header holds.
    pub fn check(
        &self,
        method: &str,
        request_target: &str,
        authorization: Option<&[u8]>,
        now: SystemTime,
    ) -> Result<Authenticated, AuthChallenge> {
        self.check_counted(method, request_target, authorization, now, false)
            .map(|(user, _)| user)
    }

    /// As [`check`](Self::check), but with a
    /// [`nonce_count_store`](HttpAuthBuilder::nonce_count_store) the Digest
    /// nonce count is not decided here: the credentials are right, and the
    /// [`ClaimFuture`] says whether the count is used for the first time.
    pub(crate) fn check_shared(
        &self,
        method: &str,
        request_target: &str,
        authorization: Option<&[u8]>,
        now: SystemTime,
    ) -> Result<(Authenticated, Option<ClaimFuture>), AuthChallenge> {
        self.check_counted(method, request_target, authorization, now, true)
    }

    fn check_counted(
        &self,
        method: &str,
        request_target: &str,
        authorization: Option<&[u8]>,
        now: SystemTime,
        shared: bool,
    ) -> Result<(Authenticated, Option<ClaimFuture>), AuthChallenge> {
        let result = match authorization {
            None => Err(AuthFailure::MissingCredentials),
            Some(value) => self.verify(method, request_target, value, now, shared),
        };
        result.map_err(|reason| self.challenge(reason, now))
    }

    fn verify(
        &self,
        method: &str,
        request_target: &str,
        authorization: &[u8],
        now: SystemTime,
        shared: bool,
    ) -> Result<(Authenticated, Option<ClaimFuture>), AuthFailure> {
        if authorization.len() > MAX_AUTHORIZATION_LEN {
            return Err(AuthFailure::MalformedAuthorization);
        }
        let value = std::str::from_utf8(authorization)
            .map_err(|_| AuthFailure::MalformedAuthorization)?
            .trim_matches([' ', '\t']);
        let (scheme, credentials) = value.split_once([' ', '\t']).unwrap_or((value, ""));
        let inner = &*self.inner;
        match (&inner.basic, &inner.digest) {
            (Some(basic), _) if scheme.eq_ignore_ascii_case("Basic") => {
                basic.check(credentials)?;
                let user = Authenticated {
                    user: basic.user().to_owned(),
                    scheme: AuthScheme::Basic,
                };
                Ok((user, None))
            }
            (_, Some(digest)) if scheme.eq_ignore_ascii_case("Digest") => {
                let shared = digest.shared().filter(|_| shared);
                let count =
                    digest.check(method, request_target, credentials, now, shared.is_some())?;
                let user = Authenticated {
                    user: digest.user().to_owned(),
                    scheme: AuthScheme::Digest,
                };
                let claim = shared.zip(count).map(|(shared, count)| shared.claim(count));
                Ok((user, claim))
            }
            _ => Err(AuthFailure::UnsupportedScheme),
        }
    }

    pub(crate) fn challenge(&self, reason: AuthFailure, now: SystemTime) -> AuthChallenge {
        let mut www_authenticate = Vec::with_capacity(3);
        if let Some(digest) = &self.inner.digest {
            digest.challenges(now, reason.is_stale(), &mut www_authenticate);
        }
        if let Some(basic) = &self.inner.basic {
            www_authenticate.push(basic.challenge().to_owned());
        }
        AuthChallenge {
            reason,
            www_authenticate,
        }
    }
}

/// Constant-time equality of `a` and `b` that hides their lengths too: it
/// compares their SHA-256 hashes.
fn eq_hashed(a: &[u8], b: &[u8]) -> Choice {
    Sha256::digest(a).ct_eq(&Sha256::digest(b))
}

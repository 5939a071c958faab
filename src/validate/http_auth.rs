//! The layer's side of HTTP authentication (the `http-auth` feature): the
//! request's `Authorization` against the configured credentials, before the
//! body is read.

use std::sync::atomic::Ordering;
use std::time::SystemTime;

use http::header::AUTHORIZATION;
use http::request::Parts;
use http::{HeaderValue, Version};

use super::config::Config;
use super::headers::single;
use super::public_url::original_uri;
use super::response::Refusal;
use crate::auth::{AuthChallenge, AuthFailure, Authenticated, ClaimFuture, HttpAuth};
use crate::replay::StoreError;
use crate::validate::rejection::Rejection;

/// The `Authorization` header against the configured credentials; more
/// than one such header is malformed. With a shared store of Digest nonce
/// counts, the count is left to claim: the future says whether it is new.
pub(crate) fn authenticate(
    auth: &HttpAuth,
    parts: &Parts,
) -> Result<(Authenticated, Option<ClaimFuture>), AuthChallenge> {
    let now = SystemTime::now();
    let authorization = single(&parts.headers, &AUTHORIZATION)
        .map_err(|()| auth.challenge(AuthFailure::MalformedAuthorization, now))?;
    // The Digest `uri` is the request-target as the client sent it. On
    // HTTP/1.1 that is the request line's, which the URI is (origin-form
    // `/path?query`, or absolute-form). On HTTP/2 and HTTP/3 the URI is
    // absolute, built from `:scheme`, `:authority` and `:path`, and the
    // target is `:path`: the origin-form.
    let uri = original_uri(parts);
    let target = match parts.version {
        Version::HTTP_2 | Version::HTTP_3 => uri
            .path_and_query()
            .map_or("/", |pq| pq.as_str())
            .to_owned(),
        _ => uri.to_string(),
    };
    auth.check_shared(
        parts.method.as_str(),
        &target,
        authorization.map(HeaderValue::as_bytes),
        now,
    )
}

/// The refusal of credentials: `401` with the challenges.
pub(crate) fn refusal(challenge: AuthChallenge) -> Refusal {
    Refusal {
        challenge: Some(challenge),
        ..Refusal::from(Rejection::Unauthenticated)
    }
}

/// The shared store's answer on a Digest nonce count: new, used before
/// (`401`, `stale=true`, as the instance's own cache answers), or not
/// known because the store failed (`503`: the request is not let through
/// unchecked).
pub(crate) fn counted(claimed: Result<bool, StoreError>, auth: &HttpAuth) -> Result<(), Refusal> {
    match claimed {
        Ok(true) => Ok(()),
        Ok(false) => Err(refusal(
            auth.challenge(AuthFailure::ReplayedNonceCount, SystemTime::now()),
        )),
        Err(error) => {
            tracing::warn!(
                target: "tower_twilio",
                %error,
                "the Digest nonce count could not be claimed"
            );
            Err(Refusal::from(Rejection::AuthUnavailable))
        }
    }
}

/// Warns once per layer when credentials are configured for a public URL
/// that is not `https`.
pub(crate) fn warn_if_plain_http(config: &Config, url: &str) {
    if config.auth.is_some()
        && (url.starts_with("http://") || url.starts_with("ws://"))
        && !config.warned_plain_http.swap(true, Ordering::Relaxed)
    {
        tracing::warn!(
            target: "tower_twilio",
            "HTTP authentication is configured but the public URL is not https: \
             credentials cross the network in the clear (Basic) or weakly protected (Digest)"
        );
    }
}

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
use crate::auth::{AuthChallenge, AuthFailure, Authenticated, HttpAuth};

/// The `Authorization` header against the configured credentials; more
/// than one such header is malformed.
pub(crate) fn authenticate(auth: &HttpAuth, parts: &Parts) -> Result<Authenticated, AuthChallenge> {
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
    auth.check(
        parts.method.as_str(),
        &target,
        authorization.map(HeaderValue::as_bytes),
        now,
    )
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

//! The layer's side of the bearer stage: the request's `Authorization`
//! read for the configured verifier, before the body is read, and the
//! verifier's answer turned into claims or a refusal.

use http::header::AUTHORIZATION;
use http::request::Parts;
use http::HeaderValue;

use super::headers::single;
use super::response::Refusal;
use crate::bearer::{bearer_token, BearerClaims, BearerError};

/// The request's bearer token; more than one `Authorization` header is
/// malformed, none (or another scheme) missing.
pub(crate) fn token(parts: &Parts) -> Result<&str, Refusal> {
    let authorization = single(&parts.headers, &AUTHORIZATION)
        .map_err(|()| Refusal::bearer(BearerError::Malformed))?;
    bearer_token(authorization.map(HeaderValue::as_bytes)).map_err(Refusal::bearer)
}

/// The verifier's answer: the claims go into the request's extensions.
pub(crate) fn accept(
    verdict: Result<BearerClaims, BearerError>,
    parts: &mut Parts,
) -> Result<(), Refusal> {
    let claims = verdict.map_err(Refusal::bearer)?;
    parts.extensions.insert(claims);
    Ok(())
}

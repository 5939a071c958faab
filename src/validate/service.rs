use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::SystemTime;

use bytes::Bytes;
use http::header::{AUTHORIZATION, CONTENT_LENGTH};
use http::request::Parts;
use http::{Request, Response, Version};
use http_body::Body;
use tower_service::Service;

use super::body::ResponseBody;
use super::future::ResponseFuture;
use super::layer::Config;
use super::public_url::original_uri;
use super::response::{log_rejection, Refusal};
use super::verdict::{header, X_TWILIO_SIGNATURE, X_TWILIO_WEBHOOKS_SIGNATURE_SETTINGS};
use crate::auth::{AuthChallenge, AuthFailure, Authenticated, HttpAuth};
use crate::rejection::Rejection;
use crate::validator::plausible_signature;

/// Middleware that validates Twilio's signature; made by [`TwilioValidateLayer`].
///
/// # Readiness
///
/// [`poll_ready`](Service::poll_ready) is ready at once and never touches
/// the inner service: it applies no back-pressure from the inner service
/// before a request's body is read. Each call takes its own clone of the
/// inner service; the request's body is read and its signature checked,
/// and only then is that clone driven to readiness and called. So the inner
/// service's back-pressure (a `ConcurrencyLimit`, a `Buffer`, a rate limit)
/// applies to validated requests only, a client that trickles or stalls its
/// body holds none of the inner service's capacity meanwhile (the layer's
/// own bounds on it are the body limit and the read timeout), and a
/// refused request never asks the inner service to be ready.
///
/// Layers outside this one see it as always ready: a `LoadShed` outside
/// never sheds. Put such layers inside, where they see validated requests,
/// and bound the number of connections at the server.
///
/// [`TwilioValidateLayer`]: super::TwilioValidateLayer
#[derive(Clone)]
pub struct TwilioValidate<S> {
    inner: S,
    config: Arc<Config>,
}

impl<S> std::fmt::Debug for TwilioValidate<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TwilioValidate")
            .field(
                "layer",
                &super::TwilioValidateLayer {
                    config: self.config.clone(),
                },
            )
            .finish_non_exhaustive()
    }
}

impl<S> TwilioValidate<S> {
    pub(crate) fn new(inner: S, config: Arc<Config>) -> Self {
        Self { inner, config }
    }

    /// The inner service.
    pub fn get_ref(&self) -> &S {
        &self.inner
    }
}

impl<S, B, ResBody> Service<Request<B>> for TwilioValidate<S>
where
    S: Service<Request<B>, Response = Response<ResBody>> + Clone,
    B: Body + From<Bytes>,
{
    type Response = Response<ResponseBody<ResBody>>;
    type Error = S::Error;
    type Future = ResponseFuture<S, B>;

    /// Always ready; the inner service's readiness is awaited per request,
    /// once its body is read and its signature checked (see
    /// [Readiness](TwilioValidate#readiness)).
    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, req: Request<B>) -> Self::Future {
        let (mut parts, body) = req.into_parts();
        match precheck(&self.config, &mut parts, &body) {
            Err(refusal) => {
                log_rejection(&refusal, None, false);
                ResponseFuture::rejected(refusal, &self.config)
            }
            // A clone of the inner service goes into the future, which
            // drives it to readiness once the request is validated.
            Ok(url) => {
                ResponseFuture::buffering(parts, body, url, self.inner.clone(), self.config.clone())
            }
        }
    }
}

/// What can be checked before the body is read: HTTP authentication, if
/// configured; the signature header is present once and plausible; the
/// declared length fits; the URL can be built.
fn precheck<B: Body>(config: &Config, parts: &mut Parts, body: &B) -> Result<String, Refusal> {
    if let Some(auth) = &config.auth {
        let user = authenticate(auth, parts).map_err(|challenge| Refusal {
            rejection: Rejection::Unauthenticated,
            challenge: Some(challenge),
        })?;
        parts.extensions.insert(user);
    }
    Ok(check_headers(config, parts, body)?)
}

/// The `Authorization` header against the configured credentials; more
/// than one such header is malformed.
fn authenticate(auth: &HttpAuth, parts: &Parts) -> Result<Authenticated, AuthChallenge> {
    let now = SystemTime::now();
    let mut values = parts.headers.get_all(AUTHORIZATION).iter();
    let first = values.next();
    if values.next().is_some() {
        return Err(auth.challenge(AuthFailure::MalformedAuthorization, now));
    }
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
        first.map(|v| v.as_bytes()),
        now,
    )
}

fn check_headers<B: Body>(config: &Config, parts: &Parts, body: &B) -> Result<String, Rejection> {
    let mut signatures = parts.headers.get_all(X_TWILIO_SIGNATURE).iter();
    let signature = signatures.next().ok_or(Rejection::MissingSignature)?;
    if signatures.next().is_some() {
        return Err(Rejection::DuplicateSignature);
    }
    // Refused before the body is read: what cannot be the base64 of a MAC
    // of the algorithm named (28 characters for HMAC-SHA1, 44 for
    // HMAC-SHA256) cannot validate.
    let signature = signature
        .to_str()
        .map_err(|_| Rejection::MalformedSignature)?;
    let settings = header(&parts.headers, X_TWILIO_WEBHOOKS_SIGNATURE_SETTINGS)
        .map_err(|_| Rejection::UnsupportedAlgorithm)?;
    plausible_signature(signature, settings)?;
    let limit = config.max_body_bytes as u64;
    let declared = parts
        .headers
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > limit) || body.size_hint().lower() > limit {
        return Err(Rejection::BodyTooLarge);
    }
    let url = config.origin.url(parts)?;
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
    Ok(url)
}

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::SystemTime;

use bytes::Bytes;
use http::header::{AUTHORIZATION, CONTENT_LENGTH, CONTENT_TYPE};
use http::request::Parts;
use http::{HeaderMap, Request, Response};
use http_body::Body;
use tower_service::Service;

use super::body::ResponseBody;
use super::future::ResponseFuture;
use super::layer::Config;
use super::public_url::{is_websocket, original_uri};
use crate::auth::{AuthChallenge, AuthFailure, Authenticated, HttpAuth};
use crate::candidates::UrlCandidates;
use crate::fields::FormFields;
use crate::rejection::Rejection;
use crate::validator::{is_form, RequestValidator, SignedRequest};
use crate::webhook::ValidatedWebhook;

/// The `X-Twilio-Signature` header.
pub const X_TWILIO_SIGNATURE: &str = "x-twilio-signature";
/// The `X-Twilio-Webhooks-Signature-Settings` header.
pub const X_TWILIO_WEBHOOKS_SIGNATURE_SETTINGS: &str = "x-twilio-webhooks-signature-settings";

/// Middleware that validates Twilio's signature; made by [`TwilioValidateLayer`].
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

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, req: Request<B>) -> Self::Future {
        let (mut parts, body) = req.into_parts();
        match precheck(&self.config, &mut parts, &body) {
            Err(refusal) => {
                log_rejection(&refusal, None, false);
                ResponseFuture::rejected(refusal, &self.config)
            }
            Ok(url) => {
                // The inner service that was driven to readiness goes into the
                // future; a fresh clone stays here.
                let clone = self.inner.clone();
                let inner = std::mem::replace(&mut self.inner, clone);
                ResponseFuture::buffering(parts, body, url, inner, self.config.clone())
            }
        }
    }
}

/// A refused request: why, and for a `401` the challenge to answer with.
#[derive(Debug)]
pub(crate) struct Refusal {
    pub(crate) rejection: Rejection,
    pub(crate) challenge: Option<AuthChallenge>,
}

impl From<Rejection> for Refusal {
    fn from(rejection: Rejection) -> Self {
        Self {
            rejection,
            challenge: None,
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
    let target = original_uri(parts).to_string();
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
    if signature.is_empty() || signature.len() > 64 {
        return Err(Rejection::MalformedSignature);
    }
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

/// Validates a request whose body has been read; returns what the handler
/// may extract.
pub(crate) fn check(
    validator: &RequestValidator,
    parts: &Parts,
    url: String,
    body: &Bytes,
) -> Result<ValidatedWebhook, Rejection> {
    let signature = header(&parts.headers, X_TWILIO_SIGNATURE)
        .ok()
        .flatten()
        .ok_or(Rejection::MalformedSignature)?;
    let settings = header(&parts.headers, X_TWILIO_WEBHOOKS_SIGNATURE_SETTINGS)
        .map_err(|_| Rejection::UnsupportedAlgorithm)?;
    let websocket = is_websocket(parts);
    let verdict = (|| -> Result<_, Rejection> {
        let fields = if is_form_post(parts) {
            FormFields::parse(body).map_err(|_| Rejection::MalformedBody)?
        } else {
            FormFields::default()
        };
        let request = SignedRequest::new(&url, signature)
            .settings(settings)
            .websocket(websocket);
        let request = if is_form_post(parts) {
            request.fields(&fields, body)
        } else {
            request.body(body)
        };
        let validated = validator.validate(&request)?;
        Ok((fields, validated))
    })();
    match verdict {
        Ok((fields, validated)) => {
            tracing::debug!(
                target: "tower_twilio",
                key = %validated.key,
                url = %validated.url,
                "validated Twilio webhook"
            );
            Ok(ValidatedWebhook::new(fields, validated))
        }
        Err(rejection) => {
            log_rejection(&rejection.into(), Some(&url), websocket);
            Err(rejection)
        }
    }
}

/// One `tracing` event per rejection, with the URLs that were tried when
/// the signature was checked.
pub(crate) fn log_rejection(refusal: &Refusal, url: Option<&str>, websocket: bool) {
    if tracing::enabled!(target: "tower_twilio", tracing::Level::INFO) {
        let rejection = refusal.rejection;
        // Each distinct URL once, though it may be tried under several rules.
        let mut candidates: Vec<String> = Vec::new();
        for candidate in url
            .map(|url| UrlCandidates::new(url, websocket).all())
            .unwrap_or_default()
        {
            if !candidates.iter().any(|c| *c == candidate.url) {
                candidates.push(candidate.url.into_owned());
            }
        }
        tracing::info!(
            target: "tower_twilio",
            reason = rejection.as_str(),
            auth_failure = refusal.challenge.as_ref().map(|c| c.reason().as_str()),
            url = url.unwrap_or("-"),
            candidates = ?candidates,
            "rejected Twilio webhook: {rejection}"
        );
    }
}

/// The `AccountSid` a multi-tenant request is for: the form field of a form
/// POST, else the query parameter.
pub(crate) fn account_sid(parts: &Parts, body: &Bytes) -> Option<String> {
    let find = |input: &[u8]| {
        form_urlencoded::parse(input)
            .find(|(k, _)| k == "AccountSid")
            .map(|(_, v)| v.into_owned())
    };
    let from_body = is_form_post(parts).then(|| find(body)).flatten();
    from_body.or_else(|| parts.uri.query().and_then(|q| find(q.as_bytes())))
}

/// A header that must appear at most once, as text.
fn header<'a>(headers: &'a HeaderMap, name: &str) -> Result<Option<&'a str>, ()> {
    let mut values = headers.get_all(name).iter();
    let first = values.next();
    if values.next().is_some() {
        return Err(());
    }
    first.map(|v| v.to_str().map_err(|_| ())).transpose()
}

/// Whether the request's body is form fields (the core's rule).
fn is_form_post(parts: &Parts) -> bool {
    is_form(
        &parts.method,
        parts.headers.get(CONTENT_TYPE).map(|v| v.as_bytes()),
    )
}

//! The Tower layer: buffer the body, rebuild the public URL, check the
//! signature, then call the inner service or refuse.
//!
//! # What happens to a request
//!
//! 1. No `X-Twilio-Signature`, more than one, or one that cannot be a MAC:
//!    `403` at once, before the body is read.
//! 2. `Content-Length` (or the body's size hint) over
//!    [`max_body_bytes`](TwilioValidateLayer::max_body_bytes): `413` before
//!    reading. The body is then read up to that limit: more is `413`, a body
//!    error is `400`.
//! 3. The public URL is rebuilt: scheme, host and prefix from the
//!    configuration ([`base_url`](TwilioValidateLayer::base_url)), else from
//!    trusted forwarded headers (only with
//!    [`trust_forwarded_headers`](TwilioValidateLayer::trust_forwarded_headers)),
//!    else the request's authority or `Host` with scheme `https`; then the
//!    path and query exactly as received (under axum's `Router::nest`, the
//!    original ones). A WebSocket handshake is checked as `wss://` (`ws://`).
//! 4. The signature is checked (see [`RequestValidator`](crate::RequestValidator)):
//!    form fields of a POST `application/x-www-form-urlencoded` body are
//!    signed; a URL with `bodySHA256` signs the URL alone and the body must hash
//!    to it; any other body is covered by no signature and is refused
//!    (`unsigned_body`); the Auth Token and secondary tokens are tried with HMAC-SHA1, or
//!    only the shared key named by `X-Twilio-Webhooks-Signature-Settings`.
//!    Candidate URLs with and without port, and normalized as Twilio's own
//!    libraries do, are accepted ([`UrlCandidates`](crate::UrlCandidates)).
//! 5. Valid: the inner service gets the same method, URI, headers, extensions
//!    and body bytes, plus a [`ValidatedWebhook`](crate::ValidatedWebhook)
//!    extension. Invalid: `403 text/plain` with a short reason; the typed
//!    [`Rejection`](crate::Rejection) is in the response's extensions and in
//!    a `tracing` event (target `tower_twilio`, level INFO) with the URL and
//!    the candidates tried. Neither ever contains a secret or the expected
//!    signature.
//!
//! # Threat model
//!
//! The signature proves that Twilio, holding your Auth Token (or shared key),
//! produced this URL and these fields. It does **not** prevent replay: a
//! captured signed request validates again, and Twilio's own retries are
//! such replays, so a replay guard would break them. Use HTTPS so requests
//! cannot be captured, and make handlers idempotent (keyed on `CallSid` or
//! `MessageSid`).
//!
//! The URL that is checked matters: configure `base_url` with the URL in the
//! Twilio console. Without it the `Host` header chooses the host, so a
//! request signed for another of your account's endpoints on another host
//! could be replayed here. Behind a proxy that rewrites `Host` or strips a
//! prefix, configure `base_url` (or `prefix`), or trust forwarded headers only
//! if the proxy overwrites them. Trailers are not signed and are dropped.
//!
//! The MAC is compared in constant time; the candidate URLs tried depend only
//! on the request, not on the secret.

mod body;
mod future;
mod layer;
mod public_url;
mod resolver;
mod response;
mod service;

pub use body::ResponseBody;
pub use future::ResponseFuture;
pub use layer::{
    FromEnvError, TwilioValidateLayer, DEFAULT_BODY_READ_TIMEOUT, DEFAULT_MAX_BODY_BYTES,
};
pub use public_url::InvalidBaseUrl;
pub use resolver::{KeyResolver, ResolveFuture};
pub use service::{TwilioValidate, X_TWILIO_SIGNATURE, X_TWILIO_WEBHOOKS_SIGNATURE_SETTINGS};

//! The Tower layer: buffer the body, rebuild the public URL, check the
//! signature, then call the inner service or refuse.
//!
//! # What happens to a request
//!
//! 0. With [HTTP authentication][http_auth], its
//!    credentials are checked (`401`); with a
//!    [bearer stage](TwilioValidateLayer::bearer_auth), a missing token is
//!    `401` at once, and once the headers below pass, the token is verified
//!    (async, `401`/`403`/`503`, see [`crate::bearer`]) before the body is
//!    read.
//! 1. No `X-Twilio-Signature`, more than one, or one that cannot be a MAC
//!    (anything but strict standard base64 of 20 or 32 bytes: 28 or 44
//!    characters with their `=`): `403` at once, before the body is read.
//! 2. `Content-Length` (or the body's size hint) over
//!    [`max_body_bytes`](TwilioValidateLayer::max_body_bytes): `413` before
//!    reading. The body is then read up to that limit: more is `413`, a body
//!    error is `400`, a body that stalls past the
//!    [read timeout](TwilioValidateLayer::body_read_timeout) is `408`.
//! 3. The public URL is rebuilt: scheme, host and prefix from the
//!    configuration ([`base_url`](TwilioValidateLayer::base_url)), else from
//!    trusted forwarded headers (only with
//!    [`trust_forwarded_headers`](TwilioValidateLayer::trust_forwarded_headers)),
//!    else the request's authority or `Host` with scheme `https`; then the
//!    path and query exactly as received (under axum's `Router::nest`, the
//!    original ones). A WebSocket handshake is checked as `wss://` (`ws://`).
//! 4. With a [`KeyResolver`], the account is read from the form fields (of a
//!    form POST) and the query: every `AccountSid` there must be the same
//!    (else `account_mismatch`), and the resolver must know it (else
//!    `unknown_account`).
//! 5. The signature is checked (see [`RequestValidator`](crate::RequestValidator)):
//!    form fields of a POST `application/x-www-form-urlencoded` body are
//!    signed (and are the webhook's fields; the query of such a POST is
//!    signed as part of the URL but its fields are not the webhook's); a
//!    GET's fields are its query, signed as part of the URL; a URL with `bodySHA256` signs the URL alone and the body must hash
//!    to it; any other body is covered by no signature and is refused
//!    (`unsigned_body`); the Auth Token and secondary tokens are tried with HMAC-SHA1, or
//!    only the shared key named by `X-Twilio-Webhooks-Signature-Settings`.
//!    Candidate URLs (the received URL with a default port added or
//!    removed, as Twilio's libraries try them) are tried only where they
//!    denote the same request as the URL received.
//! 6. Valid: the request's clone of the inner service is driven to
//!    readiness, then called with the same method, URI, headers and
//!    extensions, the body bytes as a [`ValidatedBody`], plus a
//!    [`ValidatedWebhook`] extension. The inner service is not asked to be ready before: see
//!    [`TwilioValidate`'s readiness](TwilioValidate#readiness).
//!    Invalid: `403 text/plain`, `invalid Twilio signature` whatever the
//!    signature's fault (a missing signature, a failed HTTP authentication
//!    and the body's `413`, `408` and `400` say what they are). The typed
//!    [`Rejection`] is in the response's extensions and in
//!    a `tracing` event (target `tower_twilio`, level INFO) with the URL and
//!    the candidates tried, cut to a bounded length. Neither ever contains a
//!    secret or the expected signature.
//!
//! # Threat model
//!
//! The signature proves that Twilio, holding your Auth Token (or shared key),
//! produced this URL and these fields. It does **not** prevent replay: a
//! captured signed request validates again. Add the
//! [replay guard](crate::replay) inside this layer for the routes where each
//! request is one event, use HTTPS so requests cannot be captured, and make
//! handlers idempotent (keyed on `CallSid` or `MessageSid`).
//!
//! The URL that is checked matters: configure `base_url` with the URL in the
//! Twilio console. Without it the `Host` header chooses the host, so a
//! request signed for another of your account's endpoints on another host
//! could be replayed here. Behind a proxy that rewrites `Host` or strips a
//! prefix, configure `base_url` (with the prefix as its path), or trust forwarded headers only
//! if the proxy overwrites them. Trailers are not signed and are dropped.
//!
//! The MAC is compared in constant time; the candidate URLs tried depend only
//! on the request, not on the secret.
#![doc = ""]
#![cfg_attr(
    feature = "http-auth",
    doc = "[http_auth]: TwilioValidateLayer::http_auth"
)]
#![cfg_attr(
    not(feature = "http-auth"),
    doc = "[http_auth]: https://docs.rs/tower-twilio/latest/tower_twilio/struct.TwilioValidateLayer.html#method.http_auth"
)]

mod bearer;
mod body;
mod config;
mod diagnosis;
mod future;
mod headers;
#[cfg(feature = "http-auth")]
mod http_auth;
mod layer;
mod limiter;
pub(crate) mod public_url;
pub(crate) mod rejection;
mod resolver;
pub(crate) mod response;
mod service;
mod verdict;
pub(crate) mod webhook;

pub use body::{ResponseBody, ValidatedBody};
pub use future::ResponseFuture;
pub use layer::{
    TwilioValidateLayer, DEFAULT_BEARER_TIMEOUT, DEFAULT_BODY_READ_TIMEOUT, DEFAULT_MAX_BODY_BYTES,
};
pub use rejection::Rejection;
pub use resolver::{KeyResolver, ResolveFuture};
pub use service::TwilioValidate;
pub use webhook::ValidatedWebhook;
#[cfg(feature = "axum")]
pub use webhook::{MissingTwilioValidateLayer, TwilioForm, TwilioFormRejection};

//! Tower middleware that validates Twilio webhook signatures, for axum and
//! any Tower stack.
//!
//! ```
//! # #[cfg(feature = "axum")] {
//! use axum::{routing::post, Router};
//! use tower_twilio::{twiml::Twiml, TwilioValidateLayer};
//!
//! let app: Router = Router::new()
//!     .route("/voice", post(|| async { Twiml::new("<Response><Say>Hello</Say></Response>") }))
//!     .layer(TwilioValidateLayer::new("your_auth_token").base_url("https://hooks.example.com"));
//! # }
//! ```
//!
//! Every request Twilio sends carries `X-Twilio-Signature`: the base64
//! HMAC-SHA1, keyed with your Auth Token, of the full public URL followed by
//! the POST form fields sorted by name. The layer buffers the body (bounded),
//! rebuilds the public URL, checks the signature and then hands the untouched
//! request to your handler, with the decoded fields in a [`ValidatedWebhook`]
//! extension; or it answers `403` (`413` for a body over the limit, `400` for a
//! body that could not be read). See [`validate`] for the rules and the threat
//! model, and [`auth`] for the optional HTTP Basic/Digest stage.
//!
//! # What a signature authorizes
//!
//! Exactly the request it was made for. Twilio's own libraries try several
//! forms of the URL; the layer tries a form only if the application would
//! route and read the same request from it: it may differ from the URL
//! received in the scheme's and host's case, an added default port or a
//! removed port, and in the query the percent-encoding of characters that
//! decode to the same bytes and the order of parameters of different names
//! (and, for a WebSocket handshake, a trailing slash, as Twilio's docs say).
//! So these, which twilio-node or twilio-python accept, are refused:
//!
//! - any change to the path: dot segments resolved, `\` read as `/`, a
//!   trailing `;` dropped, characters percent-encoded (`/admin/%2e%2e/voice`
//!   is not `/voice` to a router, nor a raw `/café` the route `/caf%C3%A9`);
//! - a target that is not a path (`*`, `host:port`), and a `Host` header
//!   that names another host than the target;
//! - a query re-encoded with pairs dropped (Node keeps the first 1000) or
//!   bytes replaced by U+FFFD;
//! - a host changed beyond its case, or `:80` added to a `wss` URL;
//! - a form body with an empty pair or name, or bytes that are not UTF-8
//!   once decoded (`400 malformed_body`, not repaired), a form body over
//!   [`MAX_FORM_BYTES`], a body nothing signed, and an empty key.
//!
//! Every signature failure gets the same `403`; the typed [`Rejection`] is
//! in the response's extensions and the `tracing` event. `SECURITY.md`
//! gives the reason for each difference, the cost bound
//! ([`MAX_MACS_PER_KEY`]), and what the scheme cannot stop (a captured
//! request whose fields are re-split still validates).
//!
//! # Testing your handlers
//!
//! [`Signer`] signs a request the way Twilio does:
//!
//! ```
//! # #[cfg(not(feature = "axum"))] fn main() {}
//! # #[cfg(feature = "axum")]
//! # #[tokio::main(flavor = "current_thread")] async fn main() {
//! use axum::{body::Body, routing::post, Router};
//! use tower::ServiceExt;
//! use tower_twilio::{Signer, TwilioValidateLayer, ValidatedWebhook};
//!
//! let app = Router::new()
//!     .route("/sms", post(|w: ValidatedWebhook| async move { w.get("Body").unwrap_or("").to_owned() }))
//!     .layer(TwilioValidateLayer::new("token").base_url("https://hooks.example.com"));
//!
//! let mut req = http::Request::post("/sms")
//!     .header("content-type", "application/x-www-form-urlencoded")
//!     .body("From=%2B14155550100&Body=hello")
//!     .unwrap();
//! Signer::new("token", "https://hooks.example.com").sign(&mut req);
//! let res = app.oneshot(req.map(Body::from)).await.unwrap();
//! assert_eq!(res.status(), 200);
//! # }
//! ```
//!
//! # The API
//!
//! The crate has three parts, one folder each in the source (`core/`,
//! `validate/`, `auth/`), and a module each for reading and answering a
//! webhook (`payload.rs`, `twiml/`):
//!
//! - **The layer** ([`validate`]): [`TwilioValidateLayer`] (every setting is
//!   one builder method; keys come from [`new`](TwilioValidateLayer::new),
//!   [`with_validator`](TwilioValidateLayer::with_validator),
//!   [`with_resolver`](TwilioValidateLayer::with_resolver) or
//!   [`from_env`](TwilioValidateLayer::from_env)), the service
//!   [`TwilioValidate`] and its [`ResponseFuture`](validate::ResponseFuture);
//!   the body it hands the inner service, [`ValidatedBody`](validate::ValidatedBody),
//!   and the one it answers with, [`ResponseBody`](validate::ResponseBody);
//!   [`KeyResolver`](validate::KeyResolver) for keys per account; and the
//!   refusal, [`Rejection`]. What a handler gets: [`ValidatedWebhook`] and,
//!   with the `axum` feature, the extractors `TwilioForm` (with
//!   `TwilioFormRejection`) and `MissingTwilioValidateLayer`.
//! - **The core**, with no Tower in it: [`RequestValidator`] (the keys) checks a
//!   [`SignedRequest`] and returns [`Validated`] (with the [`MatchedKey`]) or a
//!   [`SignatureError`]; [`compute_signature`] and [`body_sha256_hex`] with
//!   [`Algorithm`] compute what Twilio sends; [`Signer`] signs an
//!   `http::Request` for tests; [`Secret`] holds keys; [`ConfigError`] is the
//!   one error of every fallible setting; the header names
//!   [`X_TWILIO_SIGNATURE`] and [`X_TWILIO_WEBHOOKS_SIGNATURE_SETTINGS`] and
//!   the bounds [`MAX_FORM_BYTES`], [`MAX_MACS_PER_KEY`] and
//!   [`MAX_MACS_PER_HANDSHAKE_KEY`].
//! - **Reading** ([`payload`]): the webhooks Twilio sends most as typed
//!   structs, for `TwilioForm<T>` or [`ValidatedWebhook::deserialize`]:
//!   [`VoiceRequest`](payload::VoiceRequest),
//!   [`MessageRequest`](payload::MessageRequest) (SMS, MMS with its
//!   [`Media`](payload::Media), WhatsApp),
//!   [`CallStatusCallback`](payload::CallStatusCallback),
//!   [`MessageStatusCallback`](payload::MessageStatusCallback),
//!   [`GatherResult`](payload::GatherResult) and
//!   [`RecordResult`](payload::RecordResult), with the enums
//!   [`CallStatus`](payload::CallStatus), [`Direction`](payload::Direction)
//!   and [`MessageStatus`](payload::MessageStatus); unknown fields are kept,
//!   unknown values fall into `Other`.
//! - **Answering** ([`twiml`]): [`Twiml`](twiml::Twiml), a TwiML document
//!   sent as `text/xml` (Twilio reads `text/plain` as the text of a reply),
//!   built with the typed elements of [`twiml::voice`] and
//!   [`twiml::messaging`] (Twilio's whole vocabulary, generated from data),
//!   well-formed and escaped by construction.
//! - **The replay guard** ([`replay`]): [`ReplayGuardLayer`](replay::ReplayGuardLayer),
//!   placed inside the layer, lets each signature reach the handler once,
//!   with a [`MemoryStore`](replay::MemoryStore) or, with the `redis`
//!   feature, a `RedisStore` shared by many instances; any
//!   [`ReplayStore`](replay::ReplayStore) can be plugged in.
//! - **HTTP authentication** ([`auth`]): [`HttpAuth`][HttpAuth], built
//!   with [`HttpAuthBuilder`][HttpAuthBuilder] and given to the layer
//!   with [`http_auth`][http_auth], for Basic and
//!   Digest; usable on its own through [`HttpAuth::check`][HttpAuth::check].
//! - **Bearer tokens** ([`bearer`]): Twilio's webhook auth profiles send an
//!   OAuth 2.0 access token; [`bearer_auth`](TwilioValidateLayer::bearer_auth)
//!   checks it with a [`BearerVerifier`](bearer::BearerVerifier) before the
//!   body is read (the signature is still checked), putting the
//!   [`BearerClaims`](bearer::BearerClaims) into the request's extensions or
//!   answering with the [`BearerError`](bearer::BearerError); with the `jwt`
//!   feature, `bearer::jwt::JwtVerifier` verifies JWT access tokens against
//!   a JWKS, static or fetched through your own HTTP client.
//!
//! Features, both on by default: `axum` adds the extractors and reads
//! axum's `OriginalUri` under `Router::nest` (without it the layer serves
//! any Tower stack, plain hyper included); `http-auth` adds [`auth`] and
//! [`http_auth`][http_auth] (without it, md-5 and
//! getrandom are not built). Off by default, `redis` adds the replay
//! guard's `RedisStore` (redis-rs; it needs Rust 1.88), and `jwt` adds
//! `bearer::jwt` (jsonwebtoken with its RustCrypto backend; Rust 1.88 too).
//!
//! # Without Tower
//!
//! [`RequestValidator`] and [`compute_signature`] are the framework-free core.
// Without `http-auth` the links to its items point to the documentation
// of the crate with every feature.
#![doc = ""]
#![cfg_attr(
    feature = "http-auth",
    doc = "[HttpAuth]: auth::HttpAuth\n[HttpAuthBuilder]: auth::HttpAuthBuilder\n\
           [http_auth]: TwilioValidateLayer::http_auth\n[HttpAuth::check]: auth::HttpAuth::check"
)]
#![cfg_attr(
    not(feature = "http-auth"),
    doc = "[`auth`]: https://docs.rs/tower-twilio/latest/tower_twilio/auth/index.html\n\
           [HttpAuth]: https://docs.rs/tower-twilio/latest/tower_twilio/auth/struct.HttpAuth.html\n\
           [HttpAuthBuilder]: https://docs.rs/tower-twilio/latest/tower_twilio/auth/struct.HttpAuthBuilder.html\n\
           [http_auth]: https://docs.rs/tower-twilio/latest/tower_twilio/struct.TwilioValidateLayer.html#method.http_auth\n\
           [HttpAuth::check]: https://docs.rs/tower-twilio/latest/tower_twilio/auth/struct.HttpAuth.html#method.check"
)]
#![cfg_attr(docsrs, feature(doc_cfg))]
#![forbid(unsafe_code)]
#![warn(missing_docs)]

#[cfg(feature = "http-auth")]
pub mod auth;
pub mod bearer;
mod core;
pub mod payload;
pub mod replay;
pub mod twiml;
pub mod validate;

pub use crate::core::error::{ConfigError, SignatureError};
pub use crate::core::secret::Secret;
pub use crate::core::sign::{websocket_url, Signer};
pub use crate::core::signature::{body_sha256_hex, compute_signature, Algorithm, UnknownAlgorithm};
pub use crate::core::validator::{
    MatchedKey, RequestValidator, SignedRequest, Validated, MAX_FORM_BYTES,
    MAX_MACS_PER_HANDSHAKE_KEY, MAX_MACS_PER_KEY, X_TWILIO_SIGNATURE,
    X_TWILIO_WEBHOOKS_SIGNATURE_SETTINGS,
};
#[cfg(feature = "axum")]
pub use validate::{MissingTwilioValidateLayer, TwilioForm, TwilioFormRejection};
pub use validate::{Rejection, TwilioValidate, TwilioValidateLayer, ValidatedWebhook};

/// Internals the fuzz targets drive directly: not part of the API, and not
/// covered by semver.
#[cfg(feature = "fuzzing")]
#[doc(hidden)]
pub mod fuzzing {
    pub use crate::core::candidates::{plainly_whatwg, Received};
    pub use crate::core::candidates::{Candidate, Rules, UrlCandidates};
    pub use crate::core::fields::{FormFields, MalformedForm};
    pub use crate::core::settings::SignatureSettings;
    pub use crate::core::signature::{has_astral, SignedParams};
    pub use crate::core::whatwg::serialize as whatwg_serialize;

    /// Whether the parameter string borrows the body it was decoded from
    /// (as received, already sorted) rather than owning a sorted copy.
    pub fn borrows_body(params: &SignedParams<'_>) -> bool {
        params.borrows_body()
    }

    /// Reads a JWT's header as the bearer stage does before any key is
    /// looked up: whether it is accepted.
    #[cfg(feature = "jwt")]
    pub fn jwt_header_parses(token: &str) -> bool {
        crate::bearer::jwt::header_parses(token)
    }
}

/// Any error, boxed: what a body's error must convert into.
pub(crate) type BoxError = Box<dyn std::error::Error + Send + Sync>;

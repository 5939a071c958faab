//! The replay guard: each signed webhook reaches the handler once.
//!
//! Twilio's signature has no timestamp or nonce, so a captured request
//! validates again, forever; and because the signed string has no
//! delimiters, a copy with its fields re-split or a boundary moved
//! validates too. Twilio itself resends a webhook whose answer it did not
//! get. [`ReplayGuardLayer`], placed right inside
//! [`TwilioValidateLayer`](crate::TwilioValidateLayer), remembers each
//! validated signature in a [`ReplayStore`]:
//!
//! - The first request with a signature claims it (atomically: of 1,000
//!   concurrent copies, one wins) and reaches the handler. A 2xx answer is
//!   recorded (status, `Content-Type` and body, up to
//!   [`max_response_bytes`](ReplayGuardLayer::max_response_bytes)) for the
//!   [`ttl`](ReplayGuardLayer::ttl); any other answer, or an error, releases
//!   the claim, so that Twilio's retry reaches the handler again.
//! - A copy after a recorded answer gets that answer again, without
//!   reaching the handler ([`ReplayVerdict::Replayed`]); a copy while the
//!   first is handled gets `409` (Twilio counts it as a failure and retries
//!   later; [`ReplayVerdict::InProgress`]); a copy of a 2xx too large to
//!   record gets `409` too ([`ReplayVerdict::AnswerNotKept`]). Copies make
//!   a `tracing` event (target `tower_twilio`, INFO) with their reason and
//!   the key, at most one a second per reason (with the number left out,
//!   `suppressed`), and the verdict is in the answer's extensions.
//! - The key is a hash of the MAC ([`ReplayKey`]): every request that
//!   validates with the same signature is the same request to the guard,
//!   whatever fields, path or method the copy spells, so the handler never
//!   sees an attacker's re-reading of a captured request.
//! - A recorded answer keeps its status, `Content-Type` and body only: put
//!   compression and layers that add headers outside the guard, so that a
//!   copy gets the same bytes as the first request.
//! - A request whose future is dropped before its claim settled (the client
//!   went away, an outer timeout fired) still settles it: released if the
//!   handler never ran, recorded as answered (copies get `409`) if it did,
//!   since its effects may have happened; so is a 2xx whose body fails
//!   mid-stream.
//! - WebSocket handshakes (Media Streams, ConversationRelay) pass
//!   unguarded: Twilio signs their URL alone, the same for every call.
//! - A store that fails or does not answer within the
//!   [`store_timeout`](ReplayGuardLayer::store_timeout) gets `503`, or with
//!   [`fail_open(true)`](ReplayGuardLayer::fail_open) lets the request
//!   through unguarded; both log a WARN event. Failing open lets through
//!   whatever makes the store slow, a flood of copies of a captured request
//!   included: prefer it only where a second run costs less than a refusal.
//!
//! ```
//! # #[cfg(feature = "axum")] {
//! use axum::{routing::post, Router};
//! use tower_twilio::replay::ReplayGuardLayer;
//! use tower_twilio::twiml::Twiml;
//! use tower_twilio::TwilioValidateLayer;
//!
//! let app: Router = Router::new()
//!     .route("/status", post(|| async { Twiml::empty() }))
//!     // Inner first: `Router::layer` wraps what is already there.
//!     .layer(ReplayGuardLayer::in_memory())
//!     .layer(TwilioValidateLayer::new("token").base_url("https://hooks.example.com"));
//! # }
//! ```
//!
//! With `tower::ServiceBuilder` the order reads the other way: the
//! validate layer first (outermost), then the guard. Placed outside the
//! validate layer, or without it, the guard has nothing to key on and
//! answers `500` (logged once).
//!
//! # Stores
//!
//! [`MemoryStore`] (the store of [`ReplayGuardLayer::in_memory`]) holds one
//! process's signatures, bounded in entries and bytes. With the `redis`
//! feature, `RedisStore` keeps them in Redis, so that instances behind a
//! load balancer share them: a request answered by one and replayed to
//! another gets the first answer.
//!
//! # Tenants
//!
//! Every entry is counted against an [`Account`]: the `AccountSid` the
//! [`KeyResolver`](crate::validate::KeyResolver) gave keys for, or with
//! keys configured once the key that matched. Both stores bound each
//! account's share as well as the whole, so that a tenant signing a flood
//! of its own valid webhooks fills and evicts only its own share; past it,
//! that account's new requests get `503` ([`ReplayVerdict::AccountOverBudget`])
//! and no other account's. A store that is full as a whole (Redis's `OOM`)
//! answers [`ReplayVerdict::StoreFull`], told apart from an unreachable one.
//!
//! # Why it is not on by default
//!
//! Twilio sends the same signed request twice in normal use where nothing
//! in its fields differs: a caller who presses the same key twice in a
//! `<Gather>` loop on one call posts the same fields to the same action
//! URL. The guard answers the second with the first answer, which is right
//! for a handler that answers the same input the same way, and wrong for one
//! that counts attempts. So guard the routes where each request Twilio
//! sends is one event (incoming messages, status callbacks, most voice
//! webhooks), and leave out those that loop.
//!
//! # What it cannot prevent
//!
//! A copy that comes after the `ttl`, or after its entry was dropped to
//! keep a [`MemoryStore`] within its bounds, reaches the handler again; so
//! does one sent to an instance that does not share the store. Keep using
//! HTTPS, so that nothing can be captured, and make handlers idempotent
//! where the cost of a second run matters.

mod body;
mod config;
mod entry;
mod events;
mod future;
mod layer;
mod memory;
#[cfg(feature = "redis")]
mod redis;
mod service;
mod store;
mod verdict;

pub use body::GuardBody;
pub use config::{
    DEFAULT_IN_PROGRESS_TTL, DEFAULT_MAX_RESPONSE_BYTES, DEFAULT_STORE_TIMEOUT, DEFAULT_TTL,
};
pub use entry::{Account, ReplayKey};
pub use future::ResponseFuture;
pub use layer::ReplayGuardLayer;
pub use memory::{MemoryStore, DEFAULT_MAX_BYTES, DEFAULT_MAX_ENTRIES};
#[cfg(feature = "redis")]
pub use redis::{
    RedisStore, DEFAULT_MAX_ACCOUNT_BYTES, DEFAULT_MAX_ACCOUNT_ENTRIES, DEFAULT_PREFIX,
};
pub use service::ReplayGuard;
pub use store::{ReplayStore, StoreError, StoreErrorKind, StoreFuture};
pub use verdict::ReplayVerdict;

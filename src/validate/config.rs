//! The layer's configuration, shared by every service it makes behind one
//! `Arc`.

use std::fmt;
#[cfg(feature = "http-auth")]
use std::sync::atomic::AtomicBool;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http::Response;

use super::limiter::Limiter;
use super::public_url::PublicOrigin;
use super::resolver::KeyResolver;
#[cfg(feature = "http-auth")]
use crate::auth::HttpAuth;
use crate::bearer::BearerVerifier;
use crate::core::validator::RequestValidator;
use crate::validate::rejection::Rejection;

/// Where the keys come from.
#[derive(Clone)]
pub(crate) enum Keys {
    /// Configured once: tokens and shared keys.
    Static(RequestValidator),
    /// Looked up per request by `AccountSid`.
    Resolver(Arc<dyn KeyResolver>),
}

/// Builds the answer to a refused request.
type OnRejection = Arc<dyn Fn(Rejection) -> Response<Bytes> + Send + Sync>;

#[derive(Clone)]
pub(crate) struct Config {
    pub(crate) keys: Keys,
    pub(crate) origin: PublicOrigin,
    pub(crate) max_body_bytes: usize,
    pub(crate) body_read_timeout: Option<Duration>,
    #[cfg(feature = "http-auth")]
    pub(crate) auth: Option<HttpAuth>,
    /// Set once the warning about credentials over plain `http` was logged.
    #[cfg(feature = "http-auth")]
    pub(crate) warned_plain_http: Arc<AtomicBool>,
    /// Checks the bearer token, before the body is read.
    pub(crate) bearer: Option<Arc<dyn BearerVerifier>>,
    /// How long the bearer verifier may take.
    pub(crate) bearer_timeout: Duration,
    /// The bearer token alone authenticates: no signature is checked.
    pub(crate) skip_signature: bool,
    pub(crate) on_rejection: Option<OnRejection>,
    /// How often a refusal's cause is diagnosed for the log.
    pub(crate) diagnosis: Limiter,
}

impl fmt::Debug for Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let c = self;
        let mut d = f.debug_struct("Config");
        match &c.keys {
            Keys::Static(validator) => d.field("validator", validator),
            Keys::Resolver(_) => d.field("validator", &"KeyResolver"),
        };
        d.field("scheme", &c.origin.scheme)
            .field("host", &c.origin.host)
            .field("prefix", &c.origin.prefix)
            .field("trust_forwarded_headers", &c.origin.trust_forwarded)
            .field("max_body_bytes", &c.max_body_bytes)
            .field("body_read_timeout", &c.body_read_timeout);
        #[cfg(feature = "http-auth")]
        d.field("http_auth", &c.auth);
        d.field("bearer_auth", &c.bearer.as_ref().map(|_| "BearerVerifier"))
            .field("bearer_timeout", &c.bearer_timeout)
            .field("skip_signature", &c.skip_signature);
        d.field(
            "rejection_response",
            &c.on_rejection.as_ref().map(|_| "custom"),
        )
        .finish()
    }
}

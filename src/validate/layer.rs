use std::fmt;
#[cfg(feature = "http-auth")]
use std::sync::atomic::AtomicBool;
use std::sync::Arc;
use std::time::Duration;

use tower_layer::Layer;

use bytes::Bytes;
use http::Response;

use super::config::{Config, Keys};
use super::limiter::Limiter;
use super::public_url::PublicOrigin;
use super::resolver::KeyResolver;
use super::service::TwilioValidate;
#[cfg(feature = "http-auth")]
use crate::auth::HttpAuth;
use crate::bearer::BearerVerifier;
use crate::core::error::ConfigError;
use crate::core::secret::Secret;
use crate::core::target::parse_base_url;
use crate::core::validator::RequestValidator;
use crate::validate::rejection::Rejection;

/// The default body limit: 1 MiB.
///
/// Twilio's form webhooks are a few KiB, and a form body is refused beyond
/// [`MAX_FORM_BYTES`](crate::MAX_FORM_BYTES) (64 KiB) whatever this limit,
/// because its fields are hashed once per candidate URL and key. Other
/// bodies are hashed once (`bodySHA256`); JSON webhooks rarely exceed tens of
/// KiB. Raise it with [`TwilioValidateLayer::max_body_bytes`] if yours do.
pub const DEFAULT_MAX_BODY_BYTES: usize = 1024 * 1024;

/// The default body read timeout: 10 seconds from the first time the body
/// is not ready. Twilio sends its few KiB at once; a client that trickles or
/// stalls gets `408` and its buffer is released.
pub const DEFAULT_BODY_READ_TIMEOUT: Duration = Duration::from_secs(10);

/// The default time a [`BearerVerifier`] may take: 10 seconds, as long as
/// a JWKS fetch may (`DEFAULT_JWKS_TIMEOUT` with the `jwt` feature). A
/// verifier that does not answer by then gets the request `503`
/// (`bearer_unavailable`, [`BearerError::VerifierTimeout`]); Twilio retries
/// or gives up long before a verifier that hangs would.
///
/// [`BearerError::VerifierTimeout`]: crate::bearer::BearerError::VerifierTimeout
pub const DEFAULT_BEARER_TIMEOUT: Duration = Duration::from_secs(10);

/// Layer that validates `X-Twilio-Signature` before calling the inner service.
///
/// See the [module docs](crate::validate) for the behaviour and the threat
/// model. The builder methods consume and return the layer; an empty token
/// or an invalid base URL panics at build time with a clear message
/// ([`try_new`](Self::try_new) and [`try_base_url`](Self::try_base_url)
/// return the [`ConfigError`] instead).
/// Its `Debug` never shows a secret.
#[derive(Clone)]
#[must_use]
pub struct TwilioValidateLayer {
    pub(crate) config: Arc<Config>,
}

impl fmt::Debug for TwilioValidateLayer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TwilioValidateLayer")
            .field("config", &self.config)
            .finish()
    }
}

impl TwilioValidateLayer {
    /// Validates requests signed with the account's Auth Token.
    ///
    /// # Panics
    /// If the token is empty or only whitespace (a signature made with an
    /// empty key proves nothing); [`try_new`](Self::try_new) returns the error.
    #[track_caller]
    pub fn new(auth_token: impl Into<Secret>) -> Self {
        Self::with_validator(RequestValidator::new(auth_token))
    }

    /// Like [`new`](Self::new), with an error for an empty token.
    pub fn try_new(auth_token: impl Into<Secret>) -> Result<Self, ConfigError> {
        RequestValidator::try_new(auth_token).map(Self::with_validator)
    }

    /// Configures the layer from the environment:
    ///
    /// | variable | meaning |
    /// |---|---|
    /// | `TWILIO_AUTH_TOKEN` | the Auth Token (required) |
    /// | `TWILIO_BASE_URL` | the public base URL, see [`base_url`](Self::base_url) |
    /// | `TWILIO_SECONDARY_AUTH_TOKEN` | a second accepted token, for rotation |
    /// | `TWILIO_SHARED_KEYS` | shared keys as `id=secret` pairs separated by commas |
    ///
    /// The error names the variable to set or fix, never its value.
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_vars(|name| std::env::var(name).ok())
    }

    fn from_vars(var: impl Fn(&'static str) -> Option<String>) -> Result<Self, ConfigError> {
        let present = |name| var(name).filter(|v| !v.trim().is_empty());
        let in_variable = |variable| move |e: ConfigError| e.in_variable(variable);
        let token = present("TWILIO_AUTH_TOKEN").ok_or_else(|| {
            // Read again only when blank or unset: nothing secret then.
            let problem = match var("TWILIO_AUTH_TOKEN") {
                Some(_) => "is empty",
                None => "is not set",
            };
            ConfigError::new("TWILIO_AUTH_TOKEN", problem)
        })?;
        let mut validator =
            RequestValidator::try_new(token).map_err(in_variable("TWILIO_AUTH_TOKEN"))?;
        if let Some(token) = present("TWILIO_SECONDARY_AUTH_TOKEN") {
            validator = validator
                .try_secondary_token(token)
                .map_err(in_variable("TWILIO_SECONDARY_AUTH_TOKEN"))?;
        }
        // Holds the shared secrets: wiped when dropped, like a `Secret`.
        if let Some(keys) = present("TWILIO_SHARED_KEYS").map(zeroize::Zeroizing::new) {
            for pair in keys.split(',').filter(|p| !p.trim().is_empty()) {
                let (id, secret) = pair
                    .split_once('=')
                    .filter(|(id, _)| !id.trim().is_empty())
                    .ok_or(ConfigError::new(
                        "TWILIO_SHARED_KEYS",
                        "must be id=secret pairs separated by commas",
                    ))?;
                validator = validator
                    .try_shared_key(id.trim(), secret.trim())
                    .map_err(in_variable("TWILIO_SHARED_KEYS"))?;
            }
        }
        let mut layer = Self::with_validator(validator);
        if let Some(url) = present("TWILIO_BASE_URL") {
            layer = layer
                .try_base_url(url.trim())
                .map_err(in_variable("TWILIO_BASE_URL"))?;
        }
        Ok(layer)
    }

    /// Uses a [`RequestValidator`] built elsewhere (tokens and shared keys).
    pub fn with_validator(validator: RequestValidator) -> Self {
        Self::with_keys(Keys::Static(validator))
    }

    /// Looks up each request's keys by its `AccountSid`, for apps that serve
    /// many accounts or subaccounts; see [`KeyResolver`].
    pub fn with_resolver(resolver: impl KeyResolver) -> Self {
        Self::with_keys(Keys::Resolver(Arc::new(resolver)))
    }

    fn with_keys(keys: Keys) -> Self {
        Self {
            config: Arc::new(Config {
                keys,
                origin: PublicOrigin::default(),
                max_body_bytes: DEFAULT_MAX_BODY_BYTES,
                body_read_timeout: Some(DEFAULT_BODY_READ_TIMEOUT),
                #[cfg(feature = "http-auth")]
                auth: None,
                #[cfg(feature = "http-auth")]
                warned_plain_http: Arc::new(AtomicBool::new(false)),
                bearer: None,
                bearer_timeout: DEFAULT_BEARER_TIMEOUT,
                skip_signature: false,
                on_rejection: None,
                diagnosis: Limiter::default(),
            }),
        }
    }

    fn config(&mut self) -> &mut Config {
        Arc::make_mut(&mut self.config)
    }

    /// The public base URL Twilio calls, `scheme://host[:port][/prefix]`, as
    /// configured in the Twilio console. Userinfo (`user:pass@`) is dropped:
    /// Twilio removes credentials before signing.
    ///
    /// # Panics
    /// When `url` is not such a URL; see [`try_base_url`](Self::try_base_url).
    #[track_caller]
    pub fn base_url(self, url: &str) -> Self {
        match self.try_base_url(url) {
            Ok(layer) => layer,
            Err(e) => panic!("{e}"),
        }
    }

    /// Like [`base_url`](Self::base_url), returning an error instead of panicking.
    pub fn try_base_url(mut self, url: &str) -> Result<Self, ConfigError> {
        let (scheme, host, prefix) = parse_base_url(url)?;
        let origin = &mut self.config().origin;
        origin.scheme = Some(scheme);
        origin.host = Some(host);
        origin.prefix = Some(prefix);
        Ok(self)
    }

    /// Reads scheme, host, port and prefix from `Forwarded` (RFC 7239), then
    /// `X-Forwarded-Proto`, `-Host`, `-Port` and `-Prefix`, for what is not
    /// configured. Off by default: turn it on only behind a proxy that sets
    /// these headers itself, or a client can choose the URL that is checked.
    pub fn trust_forwarded_headers(mut self, trust: bool) -> Self {
        self.config().origin.trust_forwarded = trust;
        self
    }

    /// Replaces the answer to a refused request. The layer still puts the
    /// [`Rejection`] (and for a 401 the
    /// [`AuthFailure`][AuthFailure]) into the response's
    /// extensions and, when the status is 401, appends the `WWW-Authenticate`
    /// challenges Twilio needs to retry. Never put a secret or the expected
    /// signature into it.
    ///
    /// ```
    /// use tower_twilio::TwilioValidateLayer;
    ///
    /// let layer = TwilioValidateLayer::new("token").rejection_response(|rejection| {
    ///     http::Response::builder()
    ///         .status(rejection.status())
    ///         .header("content-type", "application/json")
    ///         .body(format!(r#"{{"error":"{}"}}"#, rejection.as_str()).into())
    ///         .unwrap()
    /// });
    /// ```
    #[doc = ""]
    #[cfg_attr(feature = "http-auth", doc = "[AuthFailure]: crate::auth::AuthFailure")]
    #[cfg_attr(
        not(feature = "http-auth"),
        doc = "[AuthFailure]: https://docs.rs/tower-twilio/latest/tower_twilio/auth/enum.AuthFailure.html"
    )]
    pub fn rejection_response(
        mut self,
        f: impl Fn(Rejection) -> Response<Bytes> + Send + Sync + 'static,
    ) -> Self {
        self.config().on_rejection = Some(Arc::new(f));
        self
    }

    /// Requires HTTP Basic or Digest credentials before the signature is
    /// checked, as Twilio sends them when the webhook URL carries
    /// `user:password@`: a request without them gets `401` with the
    /// `WWW-Authenticate` challenges Twilio answers. See [`crate::auth`].
    ///
    /// ```
    /// use tower_twilio::{auth::HttpAuth, TwilioValidateLayer};
    ///
    /// let layer = TwilioValidateLayer::new("token")
    ///     .http_auth(HttpAuth::builder().digest_auth("twilio", "a long password").build());
    /// ```
    ///
    /// # Panics
    /// If [`bearer_auth`](Self::bearer_auth) is configured too: Twilio sends
    /// one `Authorization` header, so an endpoint takes one of them.
    #[cfg(feature = "http-auth")]
    #[track_caller]
    pub fn http_auth(mut self, auth: HttpAuth) -> Self {
        assert!(
            self.config.bearer.is_none(),
            "invalid Twilio configuration: http_auth and bearer_auth exclude each other \
             (Twilio sends one Authorization header)"
        );
        self.config().auth = Some(auth);
        self
    }

    /// Requires an OAuth 2.0 bearer token (RFC 6750), as Twilio sends it for
    /// a webhook auth profile, checked by `verifier` before the body is read;
    /// the signature is still checked afterwards. A request without a token
    /// gets `401` with `WWW-Authenticate: Bearer realm="twilio"`; the accepted
    /// [`BearerClaims`](crate::bearer::BearerClaims) are in the request's
    /// extensions. See [`crate::bearer`], and with the `jwt` feature
    /// `bearer::jwt::JwtVerifier` for JWT access tokens.
    ///
    /// # Panics
    /// If [`http_auth`][http_auth] is configured too: Twilio sends one
    /// `Authorization` header, so an endpoint takes one of them.
    #[doc = ""]
    #[cfg_attr(feature = "http-auth", doc = "[http_auth]: Self::http_auth")]
    #[cfg_attr(
        not(feature = "http-auth"),
        doc = "[http_auth]: https://docs.rs/tower-twilio/latest/tower_twilio/struct.TwilioValidateLayer.html#method.http_auth"
    )]
    #[track_caller]
    pub fn bearer_auth(mut self, verifier: impl BearerVerifier) -> Self {
        #[cfg(feature = "http-auth")]
        assert!(
            self.config.auth.is_none(),
            "invalid Twilio configuration: http_auth and bearer_auth exclude each other \
             (Twilio sends one Authorization header)"
        );
        self.config().bearer = Some(Arc::new(verifier));
        self
    }

    /// How long the [`bearer_auth`](Self::bearer_auth) verifier may take to
    /// judge a token (default [`DEFAULT_BEARER_TIMEOUT`]); past it the
    /// request is answered `503` (`bearer_unavailable`, with
    /// [`BearerError::VerifierTimeout`](crate::bearer::BearerError::VerifierTimeout)
    /// in its extensions) and the verifier's future is dropped. Always
    /// bounded: a verifier that hangs (an introspection endpoint that does
    /// not answer) must not hold the connection. The timer needs a Tokio
    /// runtime with time enabled, as axum has.
    pub fn bearer_timeout(mut self, timeout: Duration) -> Self {
        self.config().bearer_timeout = timeout;
        self
    }

    /// **Weaker**: with [`bearer_auth`](Self::bearer_auth), the bearer token
    /// alone authenticates the request, and `X-Twilio-Signature` is not
    /// checked at all. Do not use it unless you cannot check the signature.
    ///
    /// A bearer token is not bound to a request: whoever holds one (a log, a
    /// proxy, a compromised IdP client) can send any URL and any body with it
    /// until it expires, and it is valid for every endpoint of its audience.
    /// The signature is what binds Twilio's request to its URL and fields.
    /// With this option the body is still read within the limits, and handed
    /// on as [`ValidatedBody`](super::ValidatedBody), but nothing signed it: the
    /// request carries no [`ValidatedWebhook`](crate::ValidatedWebhook), so
    /// `TwilioForm` and the [replay guard](crate::replay) refuse it (`500`, as
    /// for a request that no validate layer saw); read the
    /// fields with axum's `Form`, knowing that Twilio did not sign them.
    ///
    /// # Panics
    /// If [`bearer_auth`](Self::bearer_auth) was not configured before: the
    /// layer would then let every request through.
    #[track_caller]
    pub fn dangerously_skip_signature_with_bearer_only(mut self) -> Self {
        assert!(
            self.config.bearer.is_some(),
            "invalid Twilio configuration: dangerously_skip_signature_with_bearer_only \
             needs bearer_auth first (else nothing authenticates requests)"
        );
        self.config().skip_signature = true;
        self
    }

    /// How long the body may stall before the request is answered `408`
    /// (default [`DEFAULT_BODY_READ_TIMEOUT`]; `None` waits for ever). The
    /// timer needs a Tokio runtime with time enabled, as axum has.
    pub fn body_read_timeout(mut self, timeout: impl Into<Option<Duration>>) -> Self {
        self.config().body_read_timeout = timeout.into();
        self
    }

    /// The largest body read, in bytes (default [`DEFAULT_MAX_BODY_BYTES`]).
    /// A larger `Content-Length` is refused with 413 before reading.
    pub fn max_body_bytes(mut self, limit: usize) -> Self {
        self.config().max_body_bytes = limit;
        self
    }
}

impl<S> Layer<S> for TwilioValidateLayer {
    type Service = TwilioValidate<S>;

    fn layer(&self, inner: S) -> Self::Service {
        TwilioValidate::new(inner, self.config.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_redacts_every_secret() {
        let layer = TwilioValidateLayer::with_validator(
            RequestValidator::new("primary-token-value")
                .secondary_token("secondary-token-value")
                .shared_key("k1", "shared-secret-value"),
        )
        .base_url("https://user:hunter2@hooks.example.com/twilio");
        let debug = format!("{layer:?}");
        for secret in [
            "primary-token-value",
            "secondary-token-value",
            "shared-secret-value",
            "hunter2",
        ] {
            assert!(!debug.contains(secret), "{debug}");
        }
        assert!(debug.contains("hooks.example.com"));
    }

    #[test]
    #[should_panic(expected = "invalid Twilio configuration: base URL must be scheme://host")]
    fn base_url_panics_on_an_invalid_url() {
        let _ = TwilioValidateLayer::new("t").base_url("hooks.example.com");
    }

    fn vars<'a>(pairs: &'a [(&str, &str)]) -> impl Fn(&'static str) -> Option<String> + 'a {
        move |name| {
            pairs
                .iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| v.to_string())
        }
    }

    #[test]
    fn from_env_reads_token_base_url_secondary_and_shared_keys() {
        let layer = TwilioValidateLayer::from_vars(vars(&[
            ("TWILIO_AUTH_TOKEN", "tok"),
            ("TWILIO_BASE_URL", "https://hooks.example.com/twilio"),
            ("TWILIO_SECONDARY_AUTH_TOKEN", "tok2"),
            ("TWILIO_SHARED_KEYS", "k1=s1, k2=s2"),
        ]))
        .unwrap();
        let debug = format!("{layer:?}");
        assert!(
            debug.contains("hooks.example.com") && debug.contains("\"k2\""),
            "{debug}"
        );
        assert!(debug.contains("secondary_tokens: 1"), "{debug}");
    }

    #[test]
    fn from_env_names_the_missing_or_invalid_variable_but_not_its_value() {
        let err = TwilioValidateLayer::from_vars(vars(&[])).unwrap_err();
        assert_eq!(
            err.to_string(),
            "invalid Twilio configuration: TWILIO_AUTH_TOKEN is not set"
        );
        let err = TwilioValidateLayer::from_vars(vars(&[("TWILIO_AUTH_TOKEN", " ")])).unwrap_err();
        assert_eq!(
            err.to_string(),
            "invalid Twilio configuration: TWILIO_AUTH_TOKEN is empty"
        );
        let err = TwilioValidateLayer::from_vars(vars(&[
            ("TWILIO_AUTH_TOKEN", "tok"),
            ("TWILIO_SHARED_KEYS", "k1:hunter2"),
        ]))
        .unwrap_err();
        assert_eq!(err.setting(), "TWILIO_SHARED_KEYS");
        assert!(!err.to_string().contains("hunter2"));
    }

    #[test]
    #[should_panic(expected = "needs bearer_auth first")]
    fn skipping_the_signature_without_a_bearer_stage_panics() {
        let _ = TwilioValidateLayer::new("t").dangerously_skip_signature_with_bearer_only();
    }

    #[cfg(feature = "http-auth")]
    #[test]
    #[should_panic(expected = "http_auth and bearer_auth exclude each other")]
    fn bearer_and_http_authentication_exclude_each_other() {
        let verifier = |_: String| async { Err(crate::bearer::BearerError::InvalidToken) };
        let _ = TwilioValidateLayer::new("t")
            .bearer_auth(verifier)
            .http_auth(HttpAuth::builder().basic_auth("u", "p").build());
    }

    #[test]
    fn try_base_url_returns_an_error() {
        assert!(TwilioValidateLayer::new("t")
            .try_base_url("ftp://x")
            .is_err());
    }
}

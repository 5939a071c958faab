use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use tower_layer::Layer;

use super::config::{
    GuardConfig, DEFAULT_IN_PROGRESS_TTL, DEFAULT_MAX_RESPONSE_BYTES, DEFAULT_STORE_TIMEOUT,
    DEFAULT_TTL,
};
use super::events::Events;
use super::memory::MemoryStore;
use super::service::ReplayGuard;
use super::store::ReplayStore;

/// Layer that lets each signed webhook reach the inner service once; place
/// it right inside [`TwilioValidateLayer`](crate::TwilioValidateLayer).
///
/// See the [module docs](super) for what it does and why. Builder methods
/// consume and return the layer; clones share one store.
#[derive(Clone)]
#[must_use]
pub struct ReplayGuardLayer {
    pub(crate) config: Arc<GuardConfig>,
}

impl ReplayGuardLayer {
    /// A guard that remembers signatures in `store`: a
    /// [`MemoryStore`], or with the `redis` feature a `RedisStore` that
    /// several instances share.
    pub fn new(store: impl ReplayStore) -> Self {
        Self {
            config: Arc::new(GuardConfig {
                store: Arc::new(store),
                ttl: DEFAULT_TTL,
                in_progress_ttl: DEFAULT_IN_PROGRESS_TTL,
                max_response_bytes: DEFAULT_MAX_RESPONSE_BYTES,
                store_timeout: DEFAULT_STORE_TIMEOUT,
                fail_open: false,
                events: Events::default(),
            }),
        }
    }

    /// A guard with a [`MemoryStore`] of the default bounds: one process.
    pub fn in_memory() -> Self {
        Self::new(MemoryStore::new())
    }

    fn with(mut self, f: impl FnOnce(&mut GuardConfig)) -> Self {
        // The config is shared only once the layer has made services.
        match Arc::get_mut(&mut self.config) {
            Some(config) => f(config),
            None => {
                let c = &self.config;
                let mut config = GuardConfig {
                    store: c.store.clone(),
                    events: c.events.clone(),
                    ..**c
                };
                f(&mut config);
                self.config = Arc::new(config);
            }
        }
        self
    }

    /// How long an answered request is remembered ([`DEFAULT_TTL`]): a copy
    /// that comes later reaches the handler again.
    pub fn ttl(self, ttl: Duration) -> Self {
        self.with(|c| c.ttl = ttl)
    }

    /// How long a request being handled holds its claim
    /// ([`DEFAULT_IN_PROGRESS_TTL`]): if this instance dies meanwhile, a
    /// copy after that reaches the handler. Keep it above the handler's
    /// longest run.
    pub fn in_progress_ttl(self, ttl: Duration) -> Self {
        self.with(|c| c.in_progress_ttl = ttl)
    }

    /// The largest answer body recorded ([`DEFAULT_MAX_RESPONSE_BYTES`]).
    /// A larger 2xx is sent as it comes, and only the fact that it was
    /// answered is recorded: copies get `409`.
    pub fn max_response_bytes(self, n: usize) -> Self {
        self.with(|c| c.max_response_bytes = n)
    }

    /// How long one call to the store may take ([`DEFAULT_STORE_TIMEOUT`])
    /// before it counts as failed.
    pub fn store_timeout(self, timeout: Duration) -> Self {
        self.with(|c| c.store_timeout = timeout)
    }

    /// What a request gets when the store fails or times out: `false` (the
    /// default) answers `503`, so that no request goes unguarded (Twilio
    /// retries, or uses the fallback URL); `true` lets it through to the
    /// handler unguarded, with a WARN event, for apps that would rather
    /// answer twice than not at all.
    pub fn fail_open(self, fail_open: bool) -> Self {
        self.with(|c| c.fail_open = fail_open)
    }
}

impl Default for ReplayGuardLayer {
    fn default() -> Self {
        Self::in_memory()
    }
}

impl<S> Layer<S> for ReplayGuardLayer {
    type Service = ReplayGuard<S>;

    fn layer(&self, inner: S) -> Self::Service {
        ReplayGuard::new(inner, self.config.clone())
    }
}

impl fmt::Debug for ReplayGuardLayer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.config.fmt(f)
    }
}

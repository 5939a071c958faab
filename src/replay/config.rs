//! The guard's settings, shared by the layer, its services and their
//! futures.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use super::events::Events;
use super::store::ReplayStore;

/// The default [`ReplayGuardLayer::ttl`](super::ReplayGuardLayer::ttl): 24 hours.
pub const DEFAULT_TTL: Duration = Duration::from_secs(24 * 60 * 60);

/// The default [`ReplayGuardLayer::in_progress_ttl`](super::ReplayGuardLayer::in_progress_ttl): 60 seconds, four
/// times the 15 seconds Twilio waits for a voice webhook's answer.
pub const DEFAULT_IN_PROGRESS_TTL: Duration = Duration::from_secs(60);

/// The default [`ReplayGuardLayer::max_response_bytes`](super::ReplayGuardLayer::max_response_bytes): 64 KiB.
pub const DEFAULT_MAX_RESPONSE_BYTES: usize = 64 * 1024;

/// The default [`ReplayGuardLayer::store_timeout`](super::ReplayGuardLayer::store_timeout): 1 second.
pub const DEFAULT_STORE_TIMEOUT: Duration = Duration::from_secs(1);

/// What a [`ReplayGuardLayer`](super::ReplayGuardLayer) was built with.
pub(crate) struct GuardConfig {
    pub(crate) store: Arc<dyn ReplayStore>,
    pub(crate) ttl: Duration,
    pub(crate) in_progress_ttl: Duration,
    pub(crate) max_response_bytes: usize,
    pub(crate) store_timeout: Duration,
    pub(crate) fail_open: bool,
    pub(crate) events: Events,
}

impl fmt::Debug for GuardConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ReplayGuardLayer")
            .field("ttl", &self.ttl)
            .field("in_progress_ttl", &self.in_progress_ttl)
            .field("max_response_bytes", &self.max_response_bytes)
            .field("store_timeout", &self.store_timeout)
            .field("fail_open", &self.fail_open)
            .finish_non_exhaustive()
    }
}

//! The builder of [`HttpAuth`] and its configuration errors.

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use zeroize::Zeroizing;

use super::basic::Basic;
use super::digest::{self, Digest, DigestAlgorithm};
use super::nonce::Nonces;
use super::replay::ReplayCache;
use super::shared::{SharedCounts, DEFAULT_NONCE_COUNT_STORE_TIMEOUT};
use super::{HttpAuth, Inner};
use crate::core::error::ConfigError;
use crate::core::secret::Secret;
use crate::replay::ReplayStore;

/// The default realm.
pub const DEFAULT_REALM: &str = "Twilio webhook";
/// The default nonce lifetime: 4 hours, so that one nonce lasts a long phone call.
pub const DEFAULT_NONCE_LIFETIME: Duration = Duration::from_secs(4 * 60 * 60);
/// The default capacity of the replay cache, in (nonce, cnonce) pairs: about 4 MiB at most.
pub const DEFAULT_REPLAY_CACHE_CAPACITY: usize = 65_536;
/// The Digest algorithms offered by default, in order of preference.
pub const DEFAULT_DIGEST_ALGORITHMS: [DigestAlgorithm; 2] =
    [DigestAlgorithm::Sha256, DigestAlgorithm::Md5];
const MIN_NONCE_SECRET_LEN: usize = 16;

/// Configures and builds an [`HttpAuth`].
///
/// Configure Basic, Digest or both; then both kinds of challenge are sent and
/// either kind of credentials is accepted. Nothing is checked until
/// [`build`](Self::build) or [`try_build`](Self::try_build).
#[derive(Clone, Debug)]
#[must_use]
pub struct HttpAuthBuilder {
    realm: String,
    basic: Option<(String, Secret)>,
    digest: Option<DigestCredential>,
    algorithms: Option<Vec<DigestAlgorithm>>,
    nonce_secret: Option<Secret>,
    nonce_lifetime: Duration,
    replay_cache_capacity: usize,
    nonce_count_store: Option<SharedCounts>,
    nonce_count_store_timeout: Duration,
}

#[derive(Clone, Debug)]
enum DigestCredential {
    Password {
        user: String,
        password: Secret,
    },
    Ha1 {
        user: String,
        ha1: Vec<(DigestAlgorithm, Secret)>,
    },
}

impl DigestCredential {
    /// The user and the lowercase hex `HA1` of each offered algorithm, in order.
    fn offered_ha1(
        self,
        algorithms: Option<Vec<DigestAlgorithm>>,
        realm: &str,
    ) -> Result<(String, Vec<(DigestAlgorithm, Secret)>), Invalid> {
        match self {
            Self::Password { user, password } => {
                if password.expose().is_empty() {
                    return Err(Invalid::EmptyPassword);
                }
                let ha1 = algorithms
                    .unwrap_or_else(|| DEFAULT_DIGEST_ALGORITHMS.to_vec())
                    .into_iter()
                    .map(|alg| (alg, digest::ha1(alg, &user, realm, password.expose())))
                    .collect();
                Ok((user, ha1))
            }
            Self::Ha1 { user, ha1: stored } => {
                let mut normalized = Vec::with_capacity(stored.len());
                for (algorithm, ha1) in stored {
                    let raw = std::str::from_utf8(ha1.expose())
                        .ok()
                        .and_then(digest::from_hex)
                        .map(Zeroizing::new)
                        .filter(|raw| raw.len() * 2 == algorithm.hex_len())
                        .ok_or(Invalid::Ha1 { algorithm })?;
                    normalized.push((algorithm, Secret::new(digest::hex(&raw))));
                }
                let algorithms = algorithms.unwrap_or_else(|| {
                    DEFAULT_DIGEST_ALGORITHMS
                        .into_iter()
                        .filter(|alg| normalized.iter().any(|(stored, _)| stored == alg))
                        .collect()
                });
                let mut ha1 = Vec::with_capacity(algorithms.len());
                for algorithm in algorithms {
                    let index = normalized
                        .iter()
                        .position(|(stored, _)| *stored == algorithm)
                        .ok_or(Invalid::MissingHa1 { algorithm })?;
                    ha1.push(normalized.swap_remove(index));
                }
                Ok((user, ha1))
            }
        }
    }
}

impl Default for HttpAuthBuilder {
    fn default() -> Self {
        Self {
            realm: DEFAULT_REALM.to_owned(),
            basic: None,
            digest: None,
            algorithms: None,
            nonce_secret: None,
            nonce_lifetime: DEFAULT_NONCE_LIFETIME,
            replay_cache_capacity: DEFAULT_REPLAY_CACHE_CAPACITY,
            nonce_count_store: None,
            nonce_count_store_timeout: DEFAULT_NONCE_COUNT_STORE_TIMEOUT,
        }
    }
}

impl HttpAuthBuilder {
    /// Accepts Basic credentials for this user and password (RFC 7617).
    ///
    /// The user must not contain `:`, and neither may contain control
    /// characters. Basic sends the password with every request: use it only
    /// over HTTPS.
    pub fn basic_auth(mut self, user: impl Into<String>, password: impl Into<Secret>) -> Self {
        self.basic = Some((user.into(), password.into()));
        self
    }

    /// Accepts Digest credentials for this user and password (RFC 7616).
    ///
    /// Replaces any earlier Digest credential.
    pub fn digest_auth(mut self, user: impl Into<String>, password: impl Into<Secret>) -> Self {
        self.digest = Some(DigestCredential::Password {
            user: user.into(),
            password: password.into(),
        });
        self
    }

    /// Accepts Digest credentials for this user, given as the stored `HA1`
    /// (`H(user ":" realm ":" password)` in hex) of one algorithm instead of
    /// the password.
    ///
    /// `HA1` depends on the realm: compute it with the configured realm. Call
    /// once per algorithm to store one for each; calling it with another user
    /// replaces the earlier Digest credential. Unless
    /// [`digest_algorithms`](Self::digest_algorithms) is set, only the
    /// algorithms with a stored `HA1` are offered, in the default order. `HA1`
    /// is as good as the password for this realm: keep it as secret.
    pub fn digest_auth_ha1(
        mut self,
        user: impl Into<String>,
        algorithm: DigestAlgorithm,
        ha1_hex: impl Into<Secret>,
    ) -> Self {
        let user = user.into();
        let mut ha1 = match self.digest.take() {
            Some(DigestCredential::Ha1 { user: same, ha1 }) if same == user => ha1,
            _ => Vec::new(),
        };
        ha1.retain(|(alg, _)| *alg != algorithm);
        ha1.push((algorithm, ha1_hex.into()));
        self.digest = Some(DigestCredential::Ha1 { user, ha1 });
        self
    }

    /// The realm named in challenges. Default: [`DEFAULT_REALM`].
    ///
    /// It must be printable ASCII without `"` or `\`, so that every client
    /// reads it (and hashes it) the same way.
    pub fn realm(mut self, realm: impl Into<String>) -> Self {
        self.realm = realm.into();
        self
    }

    /// The Digest algorithms offered, in order of preference; each gets its
    /// own challenge. Default: [`DEFAULT_DIGEST_ALGORITHMS`] (SHA-256, then MD5
    /// for older clients). Must be non-empty, without repeats.
    pub fn digest_algorithms(
        mut self,
        algorithms: impl IntoIterator<Item = DigestAlgorithm>,
    ) -> Self {
        self.algorithms = Some(algorithms.into_iter().collect());
        self
    }

    /// The key that signs Digest nonces and derives `opaque`: at least 16
    /// bytes, 32 random bytes recommended.
    ///
    /// Default: 32 random bytes drawn once per process. Instances behind a load
    /// balancer must all be given the same secret, or a client that reaches
    /// another instance with its nonce is refused.
    pub fn nonce_secret(mut self, secret: impl Into<Secret>) -> Self {
        self.nonce_secret = Some(secret.into());
        self
    }

    /// How long a nonce may be used, in whole seconds (at least one).
    /// Default: [`DEFAULT_NONCE_LIFETIME`] (4 hours), so that a client stays
    /// logged in for a long call. After it, a correct response is answered with
    /// `stale=true` and the client continues with a fresh nonce.
    pub fn nonce_lifetime(mut self, lifetime: Duration) -> Self {
        self.nonce_lifetime = lifetime;
        self
    }

    /// How many (nonce, cnonce) pairs the replay cache remembers (at least
    /// one). Default: [`DEFAULT_REPLAY_CACHE_CAPACITY`]. When full, expired
    /// entries and then the oldest are dropped; a client whose pair was dropped
    /// is asked (`stale=true`) to take a fresh nonce, never let replay.
    pub fn replay_cache_capacity(mut self, entries: usize) -> Self {
        self.replay_cache_capacity = entries;
        self
    }

    /// Claims each Digest nonce count in `store` (the replay guard's
    /// [`MemoryStore`](crate::replay::MemoryStore), `RedisStore` with the
    /// `redis` feature, or any [`ReplayStore`]) instead of this instance's
    /// replay cache: give every instance behind one load balancer the same
    /// store (and the same [`nonce_secret`](Self::nonce_secret)), and a
    /// captured Digest `Authorization` is accepted once across all of them.
    ///
    /// Each (nonce, cnonce, nc) is accepted once, for as long as the nonce
    /// is fresh (its key expires with it), whatever the order the counts
    /// come in: Twilio's concurrent requests on one nonce may arrive out of
    /// order. A count used before gets `401` with `stale=true`. The layer
    /// claims the count before the body is read; a store that fails or does
    /// not answer within [`nonce_count_store_timeout`](Self::nonce_count_store_timeout)
    /// gets the request `503` (`auth_unavailable`): whether the count was
    /// used cannot be told, and the request is not let through. Only
    /// requests whose credentials are right reach the store.
    /// [`HttpAuth::check`](super::HttpAuth::check), which is synchronous,
    /// keeps using this instance's cache.
    pub fn nonce_count_store(mut self, store: impl ReplayStore) -> Self {
        self.nonce_count_store = Some(SharedCounts::new(Arc::new(store)));
        self
    }

    /// How long one claim in the [`nonce_count_store`](Self::nonce_count_store)
    /// may take (default [`DEFAULT_NONCE_COUNT_STORE_TIMEOUT`], 1 second)
    /// before the request is answered `503`. Needs a Tokio runtime with
    /// time enabled, as axum has.
    pub fn nonce_count_store_timeout(mut self, timeout: Duration) -> Self {
        self.nonce_count_store_timeout = timeout;
        self
    }

    /// Builds the [`HttpAuth`].
    ///
    /// # Panics
    ///
    /// If the configuration is invalid; use [`try_build`](Self::try_build)
    /// to handle that instead.
    #[track_caller]
    pub fn build(self) -> HttpAuth {
        match self.try_build() {
            Ok(auth) => auth,
            Err(e) => panic!("{e}"),
        }
    }

    /// Builds the [`HttpAuth`].
    ///
    /// # Errors
    ///
    /// The [`ConfigError`] that names the setting that is wrong.
    pub fn try_build(self) -> Result<HttpAuth, ConfigError> {
        Ok(self.check()?)
    }

    /// The [`HttpAuth`], or the rule its configuration breaks.
    pub(crate) fn check(self) -> Result<HttpAuth, Invalid> {
        let realm = self.realm;
        if !realm
            .bytes()
            .all(|b| (b' '..=b'~').contains(&b) && b != b'"' && b != b'\\')
        {
            return Err(Invalid::Realm);
        }
        if self
            .nonce_secret
            .as_ref()
            .is_some_and(|s| s.expose().len() < MIN_NONCE_SECRET_LEN)
        {
            return Err(Invalid::NonceSecretTooShort);
        }
        if self.nonce_lifetime.as_secs() == 0 {
            return Err(Invalid::NonceLifetime);
        }
        if self.replay_cache_capacity == 0 {
            return Err(Invalid::ReplayCacheCapacity);
        }
        if let Some(algorithms) = &self.algorithms {
            let repeated = algorithms
                .iter()
                .enumerate()
                .any(|(i, a)| algorithms[..i].contains(a));
            if algorithms.is_empty() || repeated {
                return Err(Invalid::DigestAlgorithms);
            }
        }

        let basic = match self.basic {
            None => None,
            Some((user, password)) => {
                if user.contains(':') || user.chars().any(char::is_control) {
                    return Err(Invalid::BasicUser);
                }
                if password.expose().iter().any(|b| b.is_ascii_control()) {
                    return Err(Invalid::BasicPassword);
                }
                if password.expose().is_empty() {
                    return Err(Invalid::EmptyPassword);
                }
                Some(Basic::new(user, password, &realm))
            }
        };

        let digest = match self.digest {
            None => None,
            Some(credential) => {
                let (user, ha1) = credential.offered_ha1(self.algorithms, &realm)?;
                let secret = match self.nonce_secret {
                    Some(secret) => secret,
                    None => process_nonce_secret().ok_or(Invalid::RandomUnavailable)?,
                };
                let nonces = Nonces::new(secret, &realm, self.nonce_lifetime);
                let replay = ReplayCache::new(self.replay_cache_capacity);
                Some(Digest::new(
                    user,
                    realm,
                    ha1,
                    nonces,
                    replay,
                    self.nonce_count_store
                        .map(|shared| shared.timeout(self.nonce_count_store_timeout)),
                ))
            }
        };

        if basic.is_none() && digest.is_none() {
            return Err(Invalid::NoCredentials);
        }
        Ok(HttpAuth {
            inner: Arc::new(Inner { basic, digest }),
        })
    }
}

/// 32 random bytes drawn the first time they are needed, then shared by every
/// [`HttpAuth`] of the process, so that two built from the same config accept
/// each other's nonces.
fn process_nonce_secret() -> Option<Secret> {
    static SECRET: OnceLock<Secret> = OnceLock::new();
    if let Some(secret) = SECRET.get() {
        return Some(secret.clone());
    }
    let mut bytes = Zeroizing::new(vec![0u8; 32]);
    getrandom::getrandom(&mut bytes).ok()?;
    Some(SECRET.get_or_init(|| Secret::new(bytes.to_vec())).clone())
}

/// What is wrong with an [`HttpAuthBuilder`]'s configuration, told to the
/// user as a [`ConfigError`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Invalid {
    /// Neither Basic nor Digest credentials were configured.
    NoCredentials,
    /// The Basic user contains `:` or a control character (RFC 7617 §2).
    BasicUser,
    /// The Basic password contains a control character (RFC 7617 §2).
    BasicPassword,
    /// A Basic or Digest password is empty: anyone could answer it.
    EmptyPassword,
    /// The realm is not printable ASCII, or contains `"` or `\`.
    Realm,
    /// The list of Digest algorithms is empty or repeats one.
    DigestAlgorithms,
    /// A stored `HA1` is not hex of the algorithm's length.
    Ha1 {
        /// The algorithm it was given for.
        algorithm: DigestAlgorithm,
    },
    /// An offered Digest algorithm has no stored `HA1`.
    MissingHa1 {
        /// The algorithm without one.
        algorithm: DigestAlgorithm,
    },
    /// The nonce secret is shorter than 16 bytes.
    NonceSecretTooShort,
    /// The nonce lifetime is shorter than one second.
    NonceLifetime,
    /// The replay cache capacity is zero.
    ReplayCacheCapacity,
    /// The operating system's random number generator failed while drawing
    /// the default nonce secret; configure one with `nonce_secret`.
    RandomUnavailable,
}

impl From<Invalid> for ConfigError {
    fn from(invalid: Invalid) -> Self {
        use DigestAlgorithm::{Md5, Sha256};
        let (setting, problem) = match invalid {
            Invalid::NoCredentials => (
                "HTTP authentication",
                "needs basic_auth or digest_auth (or both)",
            ),
            Invalid::BasicUser => (
                "Basic user",
                "must not contain ':' or control characters (RFC 7617)",
            ),
            Invalid::BasicPassword => (
                "Basic password",
                "must not contain control characters (RFC 7617)",
            ),
            Invalid::EmptyPassword => ("password", "is empty: anyone could answer the challenge"),
            Invalid::Realm => ("realm", "must be printable ASCII without '\"' or '\\'"),
            Invalid::DigestAlgorithms => (
                "Digest algorithms",
                "must be a non-empty list without repeats",
            ),
            Invalid::Ha1 { algorithm: Md5 } => ("stored HA1", "for MD5 must be 32 hex digits"),
            Invalid::Ha1 { algorithm: Sha256 } => {
                ("stored HA1", "for SHA-256 must be 64 hex digits")
            }
            Invalid::MissingHa1 { algorithm: Md5 } => {
                ("stored HA1", "for MD5 is missing, and MD5 is offered")
            }
            Invalid::MissingHa1 { algorithm: Sha256 } => (
                "stored HA1",
                "for SHA-256 is missing, and SHA-256 is offered",
            ),
            Invalid::NonceSecretTooShort => ("nonce secret", "must be at least 16 bytes"),
            Invalid::NonceLifetime => ("nonce lifetime", "must be at least one second"),
            Invalid::ReplayCacheCapacity => ("replay cache capacity", "must be at least 1"),
            Invalid::RandomUnavailable => (
                "nonce secret",
                "could not be drawn from the OS random number generator; configure nonce_secret",
            ),
        };
        ConfigError::new(setting, problem)
    }
}

// The message above says 16.
const _: () = assert!(MIN_NONCE_SECRET_LEN == 16);

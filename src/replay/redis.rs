use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use redis::Script;

use super::entry::ReplayKey;
use super::store::{ReplayStore, StoreError, StoreFuture};

/// The default [`RedisStore::prefix`] of its keys.
pub const DEFAULT_PREFIX: &str = "tower-twilio:replay:";

/// A [`ReplayStore`] in Redis, shared by every instance that uses the same
/// server and prefix (feature `redis`).
///
/// Each call is one Lua script, which Redis runs atomically: the claim is a
/// `SET` with an expiry (`PX`) made only if the key holds nothing, and
/// recording or releasing checks that the key still holds this claim's
/// mark. Keys are the prefix followed by the [`ReplayKey`] in hex; expiry is
/// Redis's own, so the server's `maxmemory` settings bound it. It needs
/// Redis 2.6 or later (or Valkey).
///
/// The connection is redis-rs's [`ConnectionManager`], which reconnects by
/// itself: while Redis is unreachable each call fails (within the guard's
/// [`store_timeout`](super::ReplayGuardLayer::store_timeout)), and the
/// guard answers as its [`fail_open`](super::ReplayGuardLayer::fail_open)
/// setting says. Its `Debug` shows the prefix, never the server's URL or
/// password.
#[derive(Clone)]
pub struct RedisStore {
    conn: ConnectionManager,
    prefix: Arc<str>,
    scripts: Arc<Scripts>,
}

struct Scripts {
    claim: Script,
    complete: Script,
    release: Script,
}

impl RedisStore {
    /// Connects to the server at `url` (`redis://[:password@]host[:port][/db]`),
    /// with connection and response timeouts of one second.
    ///
    /// Fails if the URL is not one or the server does not answer; the error
    /// does not repeat the URL.
    pub async fn connect(url: &str) -> Result<Self, StoreError> {
        let client = redis::Client::open(url)
            .map_err(|e| StoreError::new(format!("not a Redis URL ({:?})", e.kind())))?;
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(Duration::from_secs(1)))
            .set_response_timeout(Some(Duration::from_secs(1)));
        let conn = client
            .get_connection_manager_with_config(config)
            .await
            .map_err(|e| StoreError::new(format!("cannot connect to Redis ({:?})", e.kind())))?;
        Ok(Self::new(conn))
    }

    /// A store over a connection you configured.
    pub fn new(conn: ConnectionManager) -> Self {
        Self {
            conn,
            prefix: DEFAULT_PREFIX.into(),
            scripts: Arc::new(Scripts {
                claim: Script::new(
                    "local v = redis.call('GET', KEYS[1]) \
                     if v then return v end \
                     redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2]) \
                     return false",
                ),
                complete: Script::new(
                    "local v = redis.call('GET', KEYS[1]) \
                     if v == false or v == ARGV[1] then \
                       redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3]) \
                     end \
                     return 1",
                ),
                release: Script::new(
                    "if redis.call('GET', KEYS[1]) == ARGV[1] then \
                       redis.call('DEL', KEYS[1]) \
                     end \
                     return 1",
                ),
            }),
        }
    }

    /// The prefix of its keys ([`DEFAULT_PREFIX`]): apps that share a
    /// server but not their webhooks take different ones.
    #[must_use]
    pub fn prefix(mut self, prefix: impl Into<String>) -> Self {
        self.prefix = prefix.into().into();
        self
    }

    fn key(&self, key: ReplayKey) -> String {
        format!("{}{key}", self.prefix)
    }
}

/// Milliseconds for `PX`, at least one (Redis refuses zero).
fn millis(ttl: Duration) -> u64 {
    u64::try_from(ttl.as_millis()).unwrap_or(u64::MAX).max(1)
}

fn store_error(e: redis::RedisError) -> StoreError {
    StoreError::new(e)
}

impl ReplayStore for RedisStore {
    fn claim(&self, key: ReplayKey, mark: Bytes, ttl: Duration) -> StoreFuture<Option<Bytes>> {
        let (mut conn, scripts, key) = (self.conn.clone(), self.scripts.clone(), self.key(key));
        Box::pin(async move {
            let found: Option<Vec<u8>> = scripts
                .claim
                .key(key)
                .arg(&mark[..])
                .arg(millis(ttl))
                .invoke_async(&mut conn)
                .await
                .map_err(store_error)?;
            Ok(found.map(Bytes::from))
        })
    }

    fn complete(
        &self,
        key: ReplayKey,
        mark: Bytes,
        value: Bytes,
        ttl: Duration,
    ) -> StoreFuture<()> {
        let (mut conn, scripts, key) = (self.conn.clone(), self.scripts.clone(), self.key(key));
        Box::pin(async move {
            let _: i64 = scripts
                .complete
                .key(key)
                .arg(&mark[..])
                .arg(&value[..])
                .arg(millis(ttl))
                .invoke_async(&mut conn)
                .await
                .map_err(store_error)?;
            Ok(())
        })
    }

    fn release(&self, key: ReplayKey, mark: Bytes) -> StoreFuture<()> {
        let (mut conn, scripts, key) = (self.conn.clone(), self.scripts.clone(), self.key(key));
        Box::pin(async move {
            let _: i64 = scripts
                .release
                .key(key)
                .arg(&mark[..])
                .invoke_async(&mut conn)
                .await
                .map_err(store_error)?;
            Ok(())
        })
    }
}

impl fmt::Debug for RedisStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RedisStore")
            .field("prefix", &self.prefix)
            .finish_non_exhaustive()
    }
}

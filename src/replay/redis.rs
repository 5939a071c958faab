use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use redis::Script;

use super::entry::{Entry, ReplayKey};
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
/// Redis's own. It needs Redis 7.0 or later (or Valkey 7.2 or later).
///
/// # Shares per account
///
/// The claim script also keeps, per [`Account`](super::Account), the
/// entries it holds (a sorted set of their expiry times under
/// `{prefix}account:{account}`) and their bytes (`{prefix}account-bytes:{account}`),
/// and refuses a new entry past the account's
/// [`max_account_entries`](Self::max_account_entries) or
/// [`max_account_bytes`](Self::max_account_bytes): that account's new
/// requests get `503` ([`ReplayVerdict::AccountOverBudget`](super::ReplayVerdict)),
/// the others' are untouched. Nothing is evicted to make room: a Redis
/// entry is dropped only when it expires. An answer that would pass the
/// account's bytes is kept as the fact that it was given (copies get `409`).
///
/// # Sizing Redis
///
/// Run it with `maxmemory-policy noeviction`: an evicting policy
/// (`allkeys-lru`, `volatile-ttl`, ...) drops entries silently, and a copy
/// of a dropped request reaches the handler again. Give it a `maxmemory` of
/// at least the sum of the accounts' `max_account_bytes` plus Redis's own
/// overhead (about 100 bytes an entry beyond what `max_account_bytes`
/// counts, and a few MiB): then no account can fill it, and a full Redis
/// (`OOM`) means the sizing is wrong. A full Redis is told apart from an
/// unreachable one ([`ReplayVerdict::StoreFull`](super::ReplayVerdict)):
/// copies of recorded requests are still answered from it, and new
/// requests get `503`, or pass unguarded with
/// [`fail_open`](super::ReplayGuardLayer::fail_open), as for an
/// unreachable one. Recording an answer and releasing a claim run even
/// when Redis is full (`allow-oom`), so that no claim is left to expire
/// into a second run.
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
    max_account_entries: u64,
    max_account_bytes: u64,
}

/// The default [`RedisStore::max_account_entries`]: 100,000.
pub const DEFAULT_MAX_ACCOUNT_ENTRIES: u64 = 100_000;

/// The default [`RedisStore::max_account_bytes`]: 64 MiB.
pub const DEFAULT_MAX_ACCOUNT_BYTES: u64 = 64 * 1024 * 1024;

/// What an entry counts beyond its value against
/// [`RedisStore::max_account_bytes`]: its key, its place in the account's
/// sorted set and Redis's own share.
const ENTRY_OVERHEAD: u64 = 200;

/// The claim: a copy gets the value held; a new entry is counted in its
/// account, after dropping the account's expired entries from its count
/// (at most 100 a call), unless the account is at its bounds (`1`). The
/// sorted set's members are the key's hex and its cost, so that a count is
/// dropped exactly once.
const CLAIM: &str = r"
local v = redis.call('GET', KEYS[1])
if v then return v end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local gone = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', now, 'LIMIT', 0, 100)
local freed = 0
for _, m in ipairs(gone) do
  freed = freed + tonumber(string.match(m, ':(%d+)$'))
  redis.call('ZREM', KEYS[2], m)
end
if freed > 0 then redis.call('DECRBY', KEYS[3], freed) end
local cost = #ARGV[1] + tonumber(ARGV[6])
local bytes = tonumber(redis.call('GET', KEYS[3]) or '0')
if redis.call('ZCARD', KEYS[2]) >= tonumber(ARGV[3]) or bytes + cost > tonumber(ARGV[4]) then
  return 1
end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
redis.call('ZADD', KEYS[2], now + tonumber(ARGV[2]), ARGV[5] .. ':' .. cost)
redis.call('INCRBY', KEYS[3], cost)
if redis.call('PTTL', KEYS[2]) < tonumber(ARGV[2]) then
  redis.call('PEXPIRE', KEYS[2], ARGV[2])
  redis.call('PEXPIRE', KEYS[3], ARGV[2])
end
return 0
";

/// Recording: the claim's count is replaced by the answer's (or, past the
/// account's bytes, by the fallback value's, which says it was answered).
const COMPLETE: &str = r"#!lua flags=allow-oom
local v = redis.call('GET', KEYS[1])
if v ~= false and v ~= ARGV[1] then return 1 end
local overhead = tonumber(ARGV[7])
local old = ARGV[5] .. ':' .. (#ARGV[1] + overhead)
if redis.call('ZREM', KEYS[2], old) == 1 then
  redis.call('DECRBY', KEYS[3], #ARGV[1] + overhead)
end
local value = ARGV[2]
local bytes = tonumber(redis.call('GET', KEYS[3]) or '0')
if bytes + #value + overhead > tonumber(ARGV[4]) then value = ARGV[6] end
local cost = #value + overhead
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('SET', KEYS[1], value, 'PX', ARGV[3])
redis.call('ZADD', KEYS[2], now + tonumber(ARGV[3]), ARGV[5] .. ':' .. cost)
redis.call('INCRBY', KEYS[3], cost)
if redis.call('PTTL', KEYS[2]) < tonumber(ARGV[3]) then
  redis.call('PEXPIRE', KEYS[2], ARGV[3])
  redis.call('PEXPIRE', KEYS[3], ARGV[3])
end
return 1
";

/// Releasing: the key and its count go.
const RELEASE: &str = r"#!lua flags=allow-oom
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('DEL', KEYS[1])
  local cost = #ARGV[1] + tonumber(ARGV[3])
  if redis.call('ZREM', KEYS[2], ARGV[2] .. ':' .. cost) == 1 then
    redis.call('DECRBY', KEYS[3], cost)
  end
end
return 1
";

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
                claim: Script::new(CLAIM),
                complete: Script::new(COMPLETE),
                release: Script::new(RELEASE),
            }),
            max_account_entries: DEFAULT_MAX_ACCOUNT_ENTRIES,
            max_account_bytes: DEFAULT_MAX_ACCOUNT_BYTES,
        }
    }

    /// At most `n` entries for one account ([`DEFAULT_MAX_ACCOUNT_ENTRIES`]):
    /// past it, that account's new requests get `503` until some expire.
    #[must_use]
    pub fn max_account_entries(mut self, n: u64) -> Self {
        self.max_account_entries = n;
        self
    }

    /// At most `n` bytes for one account ([`DEFAULT_MAX_ACCOUNT_BYTES`]),
    /// values and 200 bytes an entry: past it, that account's new requests
    /// get `503` until some expire, and an answer that would pass it is kept
    /// as the fact that it was given.
    #[must_use]
    pub fn max_account_bytes(mut self, n: u64) -> Self {
        self.max_account_bytes = n;
        self
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

    /// The key, and its account's sorted set and byte count.
    fn keys(&self, key: ReplayKey) -> [String; 3] {
        let account = key.account();
        [
            self.key(key),
            format!("{}account:{account}", self.prefix),
            format!("{}account-bytes:{account}", self.prefix),
        ]
    }
}

/// Milliseconds for `PX`, at least one (Redis refuses zero).
fn millis(ttl: Duration) -> u64 {
    u64::try_from(ttl.as_millis()).unwrap_or(u64::MAX).max(1)
}

/// A full Redis (`OOM` under `maxmemory`) apart from an unreachable one.
fn store_error(e: redis::RedisError) -> StoreError {
    if e.code() == Some("OOM") || e.to_string().contains("OOM command not allowed") {
        StoreError::full(e)
    } else {
        StoreError::new(e)
    }
}

impl ReplayStore for RedisStore {
    fn claim(&self, key: ReplayKey, mark: Bytes, ttl: Duration) -> StoreFuture<Option<Bytes>> {
        let (mut conn, scripts) = (self.conn.clone(), self.scripts.clone());
        let [data, set, bytes] = self.keys(key);
        let limits = (self.max_account_entries, self.max_account_bytes);
        Box::pin(async move {
            let answer: redis::Value = scripts
                .claim
                .key(data)
                .key(set)
                .key(bytes)
                .arg(&mark[..])
                .arg(millis(ttl))
                .arg(limits.0)
                .arg(limits.1)
                .arg(key.to_string())
                .arg(ENTRY_OVERHEAD)
                .invoke_async(&mut conn)
                .await
                .map_err(store_error)?;
            match answer {
                redis::Value::Int(0) => Ok(None),
                redis::Value::Int(1) => Err(StoreError::account_over_budget()),
                redis::Value::BulkString(found) => Ok(Some(Bytes::from(found))),
                _ => Err(StoreError::new("an answer the claim script does not give")),
            }
        })
    }

    fn complete(
        &self,
        key: ReplayKey,
        mark: Bytes,
        value: Bytes,
        ttl: Duration,
    ) -> StoreFuture<()> {
        let (mut conn, scripts) = (self.conn.clone(), self.scripts.clone());
        let [data, set, bytes] = self.keys(key);
        let max_bytes = self.max_account_bytes;
        Box::pin(async move {
            let _: i64 = scripts
                .complete
                .key(data)
                .key(set)
                .key(bytes)
                .arg(&mark[..])
                .arg(&value[..])
                .arg(millis(ttl))
                .arg(max_bytes)
                .arg(key.to_string())
                .arg(&Entry::NotKept.encode()[..])
                .arg(ENTRY_OVERHEAD)
                .invoke_async(&mut conn)
                .await
                .map_err(store_error)?;
            Ok(())
        })
    }

    fn release(&self, key: ReplayKey, mark: Bytes) -> StoreFuture<()> {
        let (mut conn, scripts) = (self.conn.clone(), self.scripts.clone());
        let [data, set, bytes] = self.keys(key);
        Box::pin(async move {
            let _: i64 = scripts
                .release
                .key(data)
                .key(set)
                .key(bytes)
                .arg(&mark[..])
                .arg(key.to_string())
                .arg(ENTRY_OVERHEAD)
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
            .field("max_account_entries", &self.max_account_entries)
            .field("max_account_bytes", &self.max_account_bytes)
            .finish_non_exhaustive()
    }
}

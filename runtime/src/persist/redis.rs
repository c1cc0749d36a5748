//! The Redis store: results shared by every process and machine that reaches one Redis server
//! (feature `redis`).
//!
//! Entries are Redis strings under `py38:<namespace>:<key bytes>`, with Redis's own expiry for
//! the `ttl`. Each namespace keeps a sorted set `py38:<namespace>` of its entries by their last
//! use, numbered by a counter on the server: `maxsize` evicts the least recently used (exact
//! LRU across all processes), `cache_clear()` removes what it lists, and `cache_info().currsize`
//! is its size once the entries Redis has expired are dropped from it.
//!
//! Functions use blocking connections, pooled per server; `async fn`s share one multiplexed
//! asynchronous connection per server, which serves every task at once without blocking a
//! thread (it runs on the tokio runtime the call is made from, else on `smol`'s executor and
//! reactor, so it works under any executor). Connections have short timeouts, and after a
//! failure the store rests for a second (calls run their body meanwhile) before it tries the
//! server again, so a server that is down slows no call by more than a connect timeout, and one
//! that comes back is used again.

use core::future::Future;
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use redis::aio::MultiplexedConnection;
use redis::{AsyncConnectionConfig, Client, Connection, RedisResult, Script, ScriptInvocation};

use super::{AsyncStore, PersistentStore, Policy, StoreError, StoreFuture};

/// How long a connection attempt may take.
const CONNECT_TIMEOUT: Duration = Duration::from_millis(250);
/// How long a command may take.
const COMMAND_TIMEOUT: Duration = Duration::from_millis(500);
/// How long the store rests after a failure before it tries the server again.
const REST: Duration = Duration::from_secs(1);
/// The most idle connections kept.
const POOL: usize = 8;

/// Reads an entry and records its use, in one step on the server. Uses are numbered by a
/// counter of the namespace's, so that their order is exact across processes. `KEYS`: the
/// entry, the namespace's index, its counter.
const GET: &str = r"
local value = redis.call('GET', KEYS[1])
if value then
    redis.call('ZADD', KEYS[2], 'XX', redis.call('INCR', KEYS[3]), KEYS[1])
end
return value
";

/// Stores an entry, records its use and evicts past `maxsize`, in one step on the server.
/// `KEYS`: the entry, the namespace's index, its counter. `ARGV`: value, ttl in ms (0: none),
/// maxsize (-1: none).
const PUT: &str = r"
if tonumber(ARGV[2]) > 0 then
    redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
else
    redis.call('SET', KEYS[1], ARGV[1])
end
redis.call('ZADD', KEYS[2], redis.call('INCR', KEYS[3]), KEYS[1])
local bound = tonumber(ARGV[3])
if bound >= 0 then
    local excess = redis.call('ZCARD', KEYS[2]) - bound
    if excess > 0 then
        local evicted = redis.call('ZPOPMIN', KEYS[2], excess)
        for i = 1, #evicted, 2 do
            redis.call('DEL', evicted[i])
        end
    end
end
return 1
";

/// Drops from the namespace's index the entries Redis has expired, then counts it. Reads the
/// whole index: for `cache_info()`, not for calls.
const LEN: &str = r"
local entries = redis.call('ZRANGE', KEYS[1], 0, -1)
for i = 1, #entries do
    if redis.call('EXISTS', entries[i]) == 0 then
        redis.call('ZREM', KEYS[1], entries[i])
    end
end
return redis.call('ZCARD', KEYS[1])
";

/// Removes every entry the namespace's index lists, then the index and its counter.
const CLEAR: &str = r"
local entries = redis.call('ZRANGE', KEYS[1], 0, -1)
for i = 1, #entries, 500 do
    redis.call('DEL', unpack(entries, i, math.min(i + 499, #entries)))
end
redis.call('DEL', KEYS[1], KEYS[2])
return #entries
";

/// A Redis server. See the module documentation.
pub struct RedisStore {
    url: String,
    client: Client,
    idle: Mutex<Vec<Connection>>,
    /// The connection `async fn`s share, once made.
    multiplexed: Mutex<Option<MultiplexedConnection>>,
    /// When the latest failure happened.
    failed: Mutex<Option<Instant>>,
    get: Script,
    put: Script,
    len: Script,
    clear: Script,
}

impl std::fmt::Debug for RedisStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisStore")
            .field("url", &self.url)
            .finish()
    }
}

impl RedisStore {
    /// A store on the server at `url` (`redis://host:port/db`). Connects when first used.
    ///
    /// # Errors
    /// When `url` is not a Redis URL.
    pub fn new(url: &str) -> Result<Self, StoreError> {
        let client = Client::open(url)
            .map_err(|e| StoreError::new(format_args!("bad Redis URL {url}: {e}")))?;
        Ok(RedisStore {
            url: url.to_owned(),
            client,
            idle: Mutex::new(Vec::new()),
            multiplexed: Mutex::new(None),
            failed: Mutex::new(None),
            get: Script::new(GET),
            put: Script::new(PUT),
            len: Script::new(LEN),
            clear: Script::new(CLEAR),
        })
    }

    /// The server `store = redis` uses: `$PY38_REDIS_URL`, else `redis://127.0.0.1:6379`.
    #[must_use]
    pub fn default_url() -> String {
        std::env::var("PY38_REDIS_URL")
            .ok()
            .filter(|url| !url.is_empty())
            .unwrap_or_else(|| "redis://127.0.0.1:6379".to_owned())
    }

    fn error(&self, doing: &str, cause: impl std::fmt::Display) -> StoreError {
        StoreError::new(format_args!("{doing} Redis at {}: {cause}", self.url))
    }

    /// Whether a failure happened less than [`REST`] ago (the server is then left alone).
    fn resting(&self) -> bool {
        self.failed
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .is_some_and(|at| at.elapsed() < REST)
    }

    /// Records a failure: the store rests, and the connection that failed is not used again.
    fn failure(&self, doing: &str, cause: impl std::fmt::Display) -> StoreError {
        *self.failed.lock().unwrap_or_else(PoisonError::into_inner) = Some(Instant::now());
        self.error(doing, cause)
    }

    fn skipped(&self, doing: &str) -> StoreError {
        self.error(doing, "skipped: the server failed less than a second ago")
    }

    /// Runs `command` on a pooled connection. A failure drops the connection and rests the
    /// store (see the module documentation).
    fn with<T>(
        &self,
        doing: &str,
        command: impl FnOnce(&mut Connection) -> RedisResult<T>,
    ) -> Result<T, StoreError> {
        if self.resting() {
            return Err(self.skipped(doing));
        }
        let pooled = self
            .idle
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .pop();
        let connection = match pooled {
            Some(connection) => Ok(connection),
            None => self.connect(),
        };
        let result = connection.and_then(|mut connection| {
            let result = command(&mut connection);
            if result.is_ok() {
                let mut idle = self.idle.lock().unwrap_or_else(PoisonError::into_inner);
                if idle.len() < POOL {
                    idle.push(connection);
                }
            }
            result
        });
        result.map_err(|e| self.failure(doing, e))
    }

    /// Runs `command` on the shared asynchronous connection (a handle to it: handles are cheap
    /// and share the one connection). A failure drops the connection and rests the store.
    async fn with_async<T, F>(
        &self,
        doing: &str,
        command: impl FnOnce(MultiplexedConnection) -> F,
    ) -> Result<T, StoreError>
    where
        F: Future<Output = RedisResult<T>>,
    {
        if self.resting() {
            return Err(self.skipped(doing));
        }
        let result = match self.multiplexed().await {
            Ok(connection) => command(connection).await,
            Err(error) => Err(error),
        };
        result.map_err(|e| {
            self.multiplexed
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .take();
            self.failure(doing, e)
        })
    }

    /// A handle to the shared asynchronous connection, connecting first if there is none.
    async fn multiplexed(&self) -> RedisResult<MultiplexedConnection> {
        let made = self
            .multiplexed
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone();
        if let Some(connection) = made {
            return Ok(connection);
        }
        let config = AsyncConnectionConfig::new()
            .set_connection_timeout(CONNECT_TIMEOUT)
            .set_response_timeout(COMMAND_TIMEOUT);
        let connection = self
            .client
            .get_multiplexed_async_connection_with_config(&config)
            .await?;
        // Two tasks may have connected at once: both use the first one kept.
        let mut shared = self
            .multiplexed
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        Ok(shared.get_or_insert(connection).clone())
    }

    fn connect(&self) -> redis::RedisResult<Connection> {
        let connection = self.client.get_connection_with_timeout(CONNECT_TIMEOUT)?;
        connection.set_read_timeout(Some(COMMAND_TIMEOUT))?;
        connection.set_write_timeout(Some(COMMAND_TIMEOUT))?;
        Ok(connection)
    }
}

/// `py38:<namespace>`, the namespace's index.
fn index(namespace: &str) -> Vec<u8> {
    format!("py38:{namespace}").into_bytes()
}

/// `py38:<namespace>#uses`, the counter that numbers the namespace's uses.
fn clock(namespace: &str) -> Vec<u8> {
    format!("py38:{namespace}#uses").into_bytes()
}

/// `py38:<namespace>:<key>`, an entry.
fn entry(namespace: &str, key: &[u8]) -> Vec<u8> {
    let mut entry = format!("py38:{namespace}:").into_bytes();
    entry.extend_from_slice(key);
    entry
}

impl RedisStore {
    /// The `GET` script for an entry, ready to run.
    fn get_entry(&self, namespace: &str, key: &[u8]) -> ScriptInvocation<'_> {
        let mut invocation = self.get.prepare_invoke();
        invocation
            .key(entry(namespace, key))
            .key(index(namespace))
            .key(clock(namespace));
        invocation
    }

    /// The `PUT` script for an entry, ready to run: `ttl` in milliseconds (0: none), `maxsize`
    /// (-1: none).
    fn put_entry(
        &self,
        namespace: &str,
        key: &[u8],
        value: &[u8],
        policy: &Policy,
    ) -> ScriptInvocation<'_> {
        let ttl = policy.ttl.map_or(0, |ttl| {
            u64::try_from(ttl.as_millis()).unwrap_or(u64::MAX).max(1)
        });
        let maxsize = policy
            .maxsize
            .map_or(-1, |n| i64::try_from(n).unwrap_or(i64::MAX));
        let mut invocation = self.put.prepare_invoke();
        invocation
            .key(entry(namespace, key))
            .key(index(namespace))
            .key(clock(namespace))
            .arg(value)
            .arg(ttl)
            .arg(maxsize);
        invocation
    }
}

impl PersistentStore for RedisStore {
    fn as_async(&self) -> Option<&dyn AsyncStore> {
        Some(self)
    }

    fn get(
        &self,
        namespace: &str,
        key: &[u8],
        _policy: &Policy,
    ) -> Result<Option<Vec<u8>>, StoreError> {
        self.with("cannot read from", |connection| {
            self.get_entry(namespace, key).invoke(connection)
        })
    }

    fn put(
        &self,
        namespace: &str,
        key: &[u8],
        value: &[u8],
        policy: &Policy,
    ) -> Result<(), StoreError> {
        self.with("cannot write to", |connection| {
            let invocation = self.put_entry(namespace, key, value, policy);
            invocation.invoke::<i64>(connection).map(|_| ())
        })
    }

    fn remove(&self, namespace: &str, key: &[u8]) -> Result<bool, StoreError> {
        let entry = entry(namespace, key);
        self.with("cannot write to", |connection| {
            let (removed, _): (i64, i64) = redis::pipe()
                .del(&entry)
                .zrem(index(namespace), &entry)
                .query(connection)?;
            Ok(removed > 0)
        })
    }

    fn clear(&self, namespace: &str) -> Result<(), StoreError> {
        self.with("cannot write to", |connection| {
            self.clear
                .key(index(namespace))
                .key(clock(namespace))
                .invoke::<i64>(connection)
                .map(|_| ())
        })
    }

    fn len(&self, namespace: &str) -> Result<usize, StoreError> {
        self.with("cannot read from", |connection| {
            self.len.key(index(namespace)).invoke(connection)
        })
    }
}

impl AsyncStore for RedisStore {
    fn get<'a>(
        &'a self,
        namespace: &'a str,
        key: &'a [u8],
        _policy: &'a Policy,
    ) -> StoreFuture<'a, Option<Vec<u8>>> {
        Box::pin(
            self.with_async("cannot read from", move |mut connection| async move {
                let invocation = self.get_entry(namespace, key);
                invocation.invoke_async(&mut connection).await
            }),
        )
    }

    fn put<'a>(
        &'a self,
        namespace: &'a str,
        key: &'a [u8],
        value: &'a [u8],
        policy: &'a Policy,
    ) -> StoreFuture<'a, ()> {
        Box::pin(
            self.with_async("cannot write to", move |mut connection| async move {
                let invocation = self.put_entry(namespace, key, value, policy);
                invocation
                    .invoke_async::<i64>(&mut connection)
                    .await
                    .map(|_| ())
            }),
        )
    }
}

/// The store for `url`, made once per process and shared by every function that uses it.
///
/// # Errors
/// As [`RedisStore::new`].
pub(crate) fn shared(url: String) -> Result<std::sync::Arc<RedisStore>, StoreError> {
    static OPENED: super::Opened<String, RedisStore> = Mutex::new(None);
    super::shared(&OPENED, url, |url| RedisStore::new(url))
}

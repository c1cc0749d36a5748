//! One memoized function's persistent cache: what `#[memoize(store = ...)]` keeps in a static
//! and calls on every call.

use core::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock, PoisonError};
use std::time::{Duration, Instant};

use serde::Serialize;
use serde::de::DeserializeOwned;

use super::encoding::{append, decode, encode, key_start};
use super::offload::offload;
use super::{Namespace, PersistentStore, Policy, Reporter, StoreError};
use crate::outcome::{Outcome, Whole, keep_all};
use crate::{CacheInfo, CacheParameters};

/// How long after a failed open a call tries again (meanwhile calls run without the cache).
const RETRY_OPEN: Duration = Duration::from_secs(5);

/// Opens a store of the user's own (`store = custom(open)`).
pub(crate) type OpenStore = fn() -> Result<Arc<dyn PersistentStore>, StoreError>;

/// Where a function's results go.
#[derive(Clone, Copy, Debug)]
pub enum Backend {
    /// `store = disk` (`None`: the crate's default file) or `store = disk("path")`.
    Disk(Option<&'static str>),
    /// `store = redis` (`None`: `$PY38_REDIS_URL` or the local server) or
    /// `store = redis("redis://host:port/db")`.
    Redis(Option<&'static str>),
    /// `store = custom(open)`: a [`PersistentStore`] of the user's own, opened by `open` (once
    /// per function; share one store between functions by returning clones of one `Arc`).
    Custom(OpenStore),
}

impl Backend {
    fn open(self, namespace: &Namespace) -> Result<Arc<dyn PersistentStore>, StoreError> {
        match self {
            Backend::Custom(open) => open(),
            #[cfg(feature = "disk")]
            Backend::Disk(path) => {
                let path = path.map_or_else(
                    || super::disk::DiskStore::default_path(namespace.krate),
                    std::path::PathBuf::from,
                );
                let store: Arc<dyn PersistentStore> = super::disk::shared(path)?;
                Ok(store)
            }
            #[cfg(feature = "redis")]
            Backend::Redis(url) => {
                let url = url.map_or_else(super::redis::RedisStore::default_url, str::to_owned);
                let store: Arc<dyn PersistentStore> = super::redis::shared(url)?;
                Ok(store)
            }
            #[allow(unreachable_patterns)]
            other => {
                let _ = namespace;
                Err(StoreError::new(format_args!(
                    "py38 was built without the feature {other:?} needs"
                )))
            }
        }
    }
}

/// What an argument of a function with a persistent store must be: it is written into the
/// store's key.
#[diagnostic::on_unimplemented(
    message = "`#[memoize(store = ...)]` cannot write an argument of type `{Self}` into its key",
    label = "the argument must be `serde::Serialize`",
    note = "derive `serde::Serialize` for the type, or keep this function's cache in memory"
)]
pub trait StoredKey {
    /// `bytes` followed by this argument's encoding.
    ///
    /// # Errors
    /// When the argument's `Serialize` implementation fails.
    fn append_to(&self, bytes: Vec<u8>) -> Result<Vec<u8>, StoreError>;
}

impl<T: Serialize + ?Sized> StoredKey for T {
    fn append_to(&self, bytes: Vec<u8>) -> Result<Vec<u8>, StoreError> {
        append(self, bytes)
    }
}

/// What the return value of a function with a persistent store must be: it is written to
/// the store and read back by later calls, in this process or another.
#[diagnostic::on_unimplemented(
    message = "`#[memoize(store = ...)]` cannot store a return value of type `{Self}`",
    label = "the return type must be `serde::Serialize + serde::de::DeserializeOwned`",
    note = "derive `serde::Serialize` and `serde::Deserialize` for the type"
)]
pub trait StoredValue: Sized {
    /// The value, encoded.
    ///
    /// # Errors
    /// When its `Serialize` implementation fails.
    fn encode_value(&self) -> Result<Vec<u8>, StoreError>;
    /// The value `bytes` encode.
    ///
    /// # Errors
    /// When they are not a value of this type.
    fn decode_value(bytes: &[u8]) -> Result<Self, StoreError>;
}

impl<T: Serialize + DeserializeOwned> StoredValue for T {
    fn encode_value(&self) -> Result<Vec<u8>, StoreError> {
        encode(self)
    }
    fn decode_value(bytes: &[u8]) -> Result<Self, StoreError> {
        decode(bytes)
    }
}

/// A call's key: its arguments, encoded one by one as the call passes them.
#[derive(Debug)]
pub struct Key(Result<Vec<u8>, StoreError>);

/// One argument, encoded (see [`arg`]).
#[derive(Debug)]
pub struct Part(Result<Vec<u8>, StoreError>);

/// `argument`, encoded for a key. Generated code calls it once per argument, where the
/// argument's type is written, so that a type that cannot be encoded is reported there.
pub fn arg<T: StoredKey + ?Sized>(argument: &T) -> Part {
    Part(argument.append_to(Vec::new()))
}

impl Key {
    /// No argument yet.
    #[must_use]
    pub fn new() -> Self {
        Key(Ok(key_start()))
    }

    /// The key with `part` appended.
    #[must_use]
    pub fn part(self, part: Part) -> Self {
        Key(self.0.and_then(|mut bytes| {
            bytes.extend(part.0?);
            Ok(bytes)
        }))
    }
}

impl Default for Key {
    fn default() -> Self {
        Key::new()
    }
}

/// A call [`Persistent::lookup`] did not find: the key's bytes (`None` when the key could not
/// be encoded, and the result is then not stored), and how to encode a `V`. The encoder is
/// taken where `lookup` checks `V: StoredValue`, so that a type that cannot be stored is
/// reported once, there.
#[doc(hidden)]
pub struct Miss<V> {
    key: Option<Vec<u8>>,
    encode: fn(&V) -> Result<Vec<u8>, StoreError>,
}

/// A memoized function's cache in a [`PersistentStore`], with this process's statistics.
pub struct Persistent {
    backend: Backend,
    namespace: Namespace,
    policy: Policy,
    store: OnceLock<Arc<dyn PersistentStore>>,
    /// `namespace`, as the store names it (made once).
    name: OnceLock<String>,
    /// When opening the store last failed.
    failed_open: Mutex<Option<Instant>>,
    hits: AtomicU64,
    misses: AtomicU64,
    reporter: Reporter,
}

impl Persistent {
    /// A cache not opened yet (it opens on the first call).
    #[must_use]
    pub const fn new(backend: Backend, namespace: Namespace, policy: Policy) -> Self {
        Persistent {
            backend,
            namespace,
            policy,
            store: OnceLock::new(),
            name: OnceLock::new(),
            failed_open: Mutex::new(None),
            hits: AtomicU64::new(0),
            misses: AtomicU64::new(0),
            reporter: Reporter::new(),
        }
    }

    /// The store, opened on first use; `None` while it cannot be opened (tried again after a
    /// few seconds, so a store that comes back is used again).
    fn store(&self) -> Option<&Arc<dyn PersistentStore>> {
        if let Some(store) = self.store.get() {
            return Some(store);
        }
        let mut failed = self
            .failed_open
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if let Some(store) = self.store.get() {
            return Some(store);
        }
        if failed.is_some_and(|at| at.elapsed() < RETRY_OPEN) {
            return None;
        }
        match self.backend.open(&self.namespace) {
            Ok(store) => {
                *failed = None;
                Some(self.store.get_or_init(|| store))
            }
            Err(error) => {
                *failed = Some(Instant::now());
                self.reporter.report(&self.namespace, "to open", &error);
                None
            }
        }
    }

    fn namespace(&self) -> &str {
        self.name.get_or_init(|| self.namespace.to_string())
    }

    /// The key's bytes, or `None` (reported) when it cannot be encoded.
    fn key(&self, key: Key) -> Option<Vec<u8>> {
        key.0
            .map_err(|error| {
                self.reporter
                    .report(&self.namespace, "to encode a key", &error)
            })
            .ok()
    }

    /// A stored result for the key, if the store has one that decodes.
    fn get<V: StoredValue>(&self, key: &[u8]) -> Option<V> {
        let store = self.store()?;
        let bytes = store
            .get(self.namespace(), key, &self.policy)
            .map_err(|error| self.reporter.report(&self.namespace, "to read", &error))
            .ok()??;
        V::decode_value(&bytes)
            .map_err(|error| self.reporter.report(&self.namespace, "to read", &error))
            .ok()
    }

    fn put<V>(&self, key: &[u8], value: &V, encode: fn(&V) -> Result<Vec<u8>, StoreError>) {
        if self.policy.maxsize == Some(0) {
            return;
        }
        let Some(store) = self.store() else {
            return;
        };
        let written =
            encode(value).and_then(|bytes| store.put(self.namespace(), key, &bytes, &self.policy));
        if let Err(error) = written {
            self.reporter.report(&self.namespace, "to write", &error);
        }
    }

    /// The stored result for `key`, or the body's, which is then stored.
    pub fn call<V: StoredValue>(&self, key: Key, body: impl FnOnce() -> V) -> V {
        let whole = Whole::default();
        match self.lookup(whole, key) {
            Ok(value) => value,
            Err(miss) => self.settle(miss, whole, body(), keep_all),
        }
    }

    /// The stored part of the result for `key` (see [`Outcome`]), or the [`Miss`] to give
    /// [`Persistent::settle`] with the body's result. In two halves so that generated code
    /// calls the body directly between them (a `#[track_caller]` body then sees its caller).
    pub fn lookup<V: StoredValue, O: Outcome<Stored = V>>(
        &self,
        outcome: O,
        key: Key,
    ) -> Result<V, Miss<V>> {
        let _ = outcome;
        let key = self.key(key);
        if let Some(value) = key.as_deref().and_then(|key| self.get(key)) {
            self.hits.fetch_add(1, Ordering::Relaxed);
            return Ok(value);
        }
        self.misses.fetch_add(1, Ordering::Relaxed);
        Err(Miss {
            key,
            encode: V::encode_value,
        })
    }

    /// Stores what `outcome` takes of the body's `result` for the key that missed, if `keep`
    /// accepts it, and returns the result.
    pub fn settle<O: Outcome>(
        &self,
        miss: Miss<O::Stored>,
        outcome: O,
        result: O::Result,
        keep: impl FnOnce(&O::Stored) -> bool,
    ) -> O::Result {
        if let (Some(key), Some(value)) = (miss.key, outcome.stored(&result))
            && keep(value)
        {
            self.put(&key, value, miss.encode);
        }
        result
    }

    /// [`Persistent::get`], for an `async fn`: through the store's asynchronous side, else on
    /// a store thread.
    async fn get_async<V: StoredValue>(&self, key: Vec<u8>) -> Option<V> {
        let store = Arc::clone(self.store()?);
        let read = match store.as_async() {
            Some(store) => store.get(self.namespace(), &key, &self.policy).await,
            None => {
                let namespace = self.namespace().to_owned();
                let policy = self.policy;
                offload(move || store.get(&namespace, &key, &policy)).await
            }
        };
        let bytes = read
            .map_err(|error| self.reporter.report(&self.namespace, "to read", &error))
            .ok()??;
        V::decode_value(&bytes)
            .map_err(|error| self.reporter.report(&self.namespace, "to read", &error))
            .ok()
    }

    /// [`Persistent::put`], for an `async fn`: through the store's asynchronous side, else on
    /// a store thread.
    async fn put_async<V: StoredValue>(&self, key: Vec<u8>, value: &V) {
        if self.policy.maxsize == Some(0) {
            return;
        }
        let Some(store) = self.store().map(Arc::clone) else {
            return;
        };
        let bytes = match value.encode_value() {
            Ok(bytes) => bytes,
            Err(error) => return self.reporter.report(&self.namespace, "to write", &error),
        };
        let written = match store.as_async() {
            Some(store) => {
                let written = store.put(self.namespace(), &key, &bytes, &self.policy);
                written.await
            }
            None => {
                let namespace = self.namespace().to_owned();
                let policy = self.policy;
                offload(move || store.put(&namespace, &key, &bytes, &policy)).await
            }
        };
        if let Err(error) = written {
            self.reporter.report(&self.namespace, "to write", &error);
        }
    }

    /// [`Persistent::lookup`] then [`Persistent::settle`], for an `async fn`: no executor thread
    /// waits on a file or the network (the store's asynchronous side, or a store thread: see
    /// `offload`).
    pub async fn call_async<V: StoredValue, O: Outcome<Stored = V>>(
        &self,
        outcome: O,
        key: Key,
        body: impl Future<Output = O::Result>,
        keep: impl FnOnce(&O::Stored) -> bool,
    ) -> O::Result {
        let key = self.key(key);
        if let Some(key) = &key
            && let Some(value) = self.get_async(key.clone()).await
        {
            self.hits.fetch_add(1, Ordering::Relaxed);
            return outcome.hit(value);
        }
        self.misses.fetch_add(1, Ordering::Relaxed);
        let result = body.await;
        if let (Some(key), Some(value)) = (key, outcome.stored(&result))
            && keep(value)
        {
            self.put_async(key, value).await;
        }
        result
    }

    /// This process's hits and misses, and how many entries the store holds for the function
    /// (0 when it cannot tell).
    pub fn info(&self) -> CacheInfo {
        let currsize = self
            .store()
            .and_then(|store| {
                store
                    .len(self.namespace())
                    .map_err(|error| self.reporter.report(&self.namespace, "to count", &error))
                    .ok()
            })
            .unwrap_or(0);
        CacheInfo {
            hits: self.hits.load(Ordering::Relaxed),
            misses: self.misses.load(Ordering::Relaxed),
            maxsize: self.policy.maxsize,
            currsize,
        }
    }

    /// The options, as `cache_parameters()` reports them.
    pub fn parameters(&self) -> CacheParameters {
        CacheParameters {
            maxsize: self.policy.maxsize,
            typed: false,
            ttl: self.policy.ttl,
        }
    }

    /// Removes the function's entries from the store and resets this process's statistics.
    pub fn clear(&self) {
        self.hits.store(0, Ordering::Relaxed);
        self.misses.store(0, Ordering::Relaxed);
        if let Some(store) = self.store()
            && let Err(error) = store.clear(self.namespace())
        {
            self.reporter.report(&self.namespace, "to clear", &error);
        }
    }

    /// Removes the entry for `key`; whether there was one.
    pub fn invalidate(&self, key: Key) -> bool {
        let (Some(key), Some(store)) = (self.key(key), self.store()) else {
            return false;
        };
        store
            .remove(self.namespace(), &key)
            .map_err(|error| {
                self.reporter
                    .report(&self.namespace, "to invalidate", &error)
            })
            .unwrap_or(false)
    }

    /// How many times the store failed this process (each time, the call ran without it).
    pub fn errors(&self) -> u64 {
        self.reporter.errors()
    }
}

#[cfg(all(test, feature = "disk"))]
mod tests;

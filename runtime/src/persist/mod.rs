//! Caches that outlive the process (features `disk` and `redis`).
//!
//! `#[memoize(store = disk)]` keeps results in a file that later runs and other processes on
//! the machine share; `#[memoize(store = redis)]` in a Redis server that other machines share.
//! Both are a [`PersistentStore`]: bytes under a key, in a namespace of their own. A user can
//! implement the trait for another backend.
//!
//! Arguments and results cross the process boundary encoded with serde
//! (postcard's format, after a byte that names it, so that a later format can tell old entries
//! apart).
//! Each function's entries live in a [`Namespace`] named after the crate, its version (or the
//! `version` option), the function's path and its argument and result types, so that two
//! functions, or two builds that disagree about a type, never read each other's entries.
//!
//! A store is never a reason for a call to fail: when it cannot be read or written, the
//! function body runs and its result is returned; the failure is logged through the `log`
//! facade (once per burst) and counted.

pub(crate) mod cache;
mod encoding;
mod offload;
mod report;

#[cfg(feature = "disk")]
pub mod disk;
#[cfg(feature = "redis")]
pub mod redis;

use core::fmt;
use core::hash::Hash;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

pub use cache::{StoredKey, StoredValue};
use report::Reporter;

/// A place where cached results outlive the process: bytes under keys, grouped in namespaces.
///
/// Implementations must be safe to share between threads (`&self` everywhere), and should
/// be safe to share between processes: several processes may run the same program at once.
/// An error is reported, never raised: the caller runs the function body instead.
pub trait PersistentStore: Send + Sync {
    /// The value stored under `key`, unless it is missing or older than `policy.ttl`.
    ///
    /// # Errors
    /// When the store cannot be read.
    fn get(
        &self,
        namespace: &str,
        key: &[u8],
        policy: &Policy,
    ) -> Result<Option<Vec<u8>>, StoreError>;

    /// Stores `value` under `key`, then keeps the namespace within `policy.maxsize` entries.
    ///
    /// # Errors
    /// When the store cannot be written.
    fn put(
        &self,
        namespace: &str,
        key: &[u8],
        value: &[u8],
        policy: &Policy,
    ) -> Result<(), StoreError>;

    /// Removes the entry under `key`; whether there was one.
    ///
    /// # Errors
    /// When the store cannot be written.
    fn remove(&self, namespace: &str, key: &[u8]) -> Result<bool, StoreError>;

    /// Removes every entry of the namespace.
    ///
    /// # Errors
    /// When the store cannot be written.
    fn clear(&self, namespace: &str) -> Result<(), StoreError>;

    /// How many entries the namespace holds.
    ///
    /// # Errors
    /// When the store cannot be read.
    fn len(&self, namespace: &str) -> Result<usize, StoreError>;

    /// The store's asynchronous side, when it has one: `async fn`s then read and write through
    /// it, without blocking a thread. By default `None`: an `async fn` runs the store's
    /// blocking calls on a few threads of py38's own, so that no executor thread waits.
    fn as_async(&self) -> Option<&dyn AsyncStore> {
        None
    }
}

/// A future an [`AsyncStore`] returns.
pub type StoreFuture<'a, T> =
    core::pin::Pin<Box<dyn core::future::Future<Output = Result<T, StoreError>> + Send + 'a>>;

/// The reads and writes a call of a memoized `async fn` makes, without blocking: see
/// [`PersistentStore::as_async`]. Same meaning as the [`PersistentStore`] methods of the same
/// names. The futures must not depend on one executor in particular (`async fn`s of any
/// executor call them).
pub trait AsyncStore: Send + Sync {
    /// As [`PersistentStore::get`].
    fn get<'a>(
        &'a self,
        namespace: &'a str,
        key: &'a [u8],
        policy: &'a Policy,
    ) -> StoreFuture<'a, Option<Vec<u8>>>;

    /// As [`PersistentStore::put`].
    fn put<'a>(
        &'a self,
        namespace: &'a str,
        key: &'a [u8],
        value: &'a [u8],
        policy: &'a Policy,
    ) -> StoreFuture<'a, ()>;
}

/// How long entries live and how many a namespace keeps.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct Policy {
    /// Entries older than this are not returned (`ttl = seconds`); `None`: no limit.
    pub ttl: Option<Duration>,
    /// The most entries the namespace keeps (`maxsize = n`); `None`: no bound.
    pub maxsize: Option<usize>,
}

/// The namespace of one function's entries: `crate@version/path::to::f(ArgTypes) -> Result`.
///
/// Two functions, two incompatible builds of one function (a changed argument or result type,
/// or a bumped `version`), never share a namespace.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Namespace {
    /// The crate's name (`env!("CARGO_PKG_NAME")`).
    pub krate: &'static str,
    /// The `version` option, else the crate's version.
    pub version: &'static str,
    /// The function's path (`module_path!()` and its name).
    pub function: &'static str,
    /// Its argument types and return type, as written.
    pub types: &'static str,
}

impl fmt::Display for Namespace {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}@{}/{}{}",
            self.krate, self.version, self.function, self.types
        )
    }
}

/// Why a store could not be opened, read or written.
#[derive(Debug)]
pub struct StoreError {
    message: String,
}

impl StoreError {
    /// An error saying `message`.
    pub fn new(message: impl fmt::Display) -> Self {
        StoreError {
            message: message.to_string(),
        }
    }
}

impl fmt::Display for StoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for StoreError {}

/// Stores opened so far, by where they are (a path, a URL).
type Opened<K, S> = Mutex<Option<HashMap<K, Arc<S>>>>;

/// The store at `place`, made by `open` the first time and shared by every function that uses
/// it afterwards (one file handle, one connection pool, per process).
#[cfg_attr(not(any(feature = "disk", feature = "redis")), allow(dead_code))]
fn shared<K: Hash + Eq + Clone, S>(
    opened: &Opened<K, S>,
    place: K,
    open: impl FnOnce(&K) -> Result<S, StoreError>,
) -> Result<Arc<S>, StoreError> {
    let mut opened = opened.lock().unwrap_or_else(PoisonError::into_inner);
    let opened = opened.get_or_insert_with(HashMap::new);
    if let Some(store) = opened.get(&place) {
        return Ok(Arc::clone(store));
    }
    let store = Arc::new(open(&place)?);
    opened.insert(place, Arc::clone(&store));
    Ok(store)
}

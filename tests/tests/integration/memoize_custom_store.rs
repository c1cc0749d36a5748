//! `#[memoize(store = custom(open))]`: a `PersistentStore` of the user's own behind the same
//! `#[memoize]` semantics.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};

use py38::memoize;
use py38::persist::{PersistentStore, Policy, StoreError};

/// `(namespace, key)` to value.
type Entries = HashMap<(String, Vec<u8>), Vec<u8>>;

/// A store in a map, recording the namespaces it was asked about.
#[derive(Default)]
struct MapStore {
    entries: Mutex<Entries>,
    fail: std::sync::atomic::AtomicBool,
}

impl MapStore {
    fn check(&self) -> Result<(), StoreError> {
        if self.fail.load(Ordering::SeqCst) {
            Err(StoreError::new("the map store is down"))
        } else {
            Ok(())
        }
    }
}

impl PersistentStore for MapStore {
    fn get(&self, ns: &str, key: &[u8], _: &Policy) -> Result<Option<Vec<u8>>, StoreError> {
        self.check()?;
        let entries = self.entries.lock().unwrap();
        Ok(entries.get(&(ns.to_owned(), key.to_vec())).cloned())
    }

    fn put(&self, ns: &str, key: &[u8], value: &[u8], _: &Policy) -> Result<(), StoreError> {
        self.check()?;
        let mut entries = self.entries.lock().unwrap();
        let _ = entries.insert((ns.to_owned(), key.to_vec()), value.to_vec());
        Ok(())
    }

    fn remove(&self, ns: &str, key: &[u8]) -> Result<bool, StoreError> {
        self.check()?;
        let mut entries = self.entries.lock().unwrap();
        Ok(entries.remove(&(ns.to_owned(), key.to_vec())).is_some())
    }

    fn clear(&self, ns: &str) -> Result<(), StoreError> {
        self.check()?;
        self.entries.lock().unwrap().retain(|(n, _), _| n != ns);
        Ok(())
    }

    fn len(&self, ns: &str) -> Result<usize, StoreError> {
        self.check()?;
        Ok(self
            .entries
            .lock()
            .unwrap()
            .keys()
            .filter(|(n, _)| n == ns)
            .count())
    }
}

fn the_store() -> &'static Arc<MapStore> {
    static STORE: OnceLock<Arc<MapStore>> = OnceLock::new();
    STORE.get_or_init(Arc::default)
}

fn open() -> Result<Arc<dyn PersistentStore>, StoreError> {
    let store: Arc<dyn PersistentStore> = the_store().clone();
    Ok(store)
}

static RUNS: AtomicU64 = AtomicU64::new(0);

#[memoize(store = custom(open), version = "7")]
fn shout(text: &str) -> String {
    RUNS.fetch_add(1, Ordering::SeqCst);
    text.to_uppercase()
}

#[test]
fn a_store_of_ones_own_gets_the_same_semantics() {
    assert_eq!(shout("hi"), "HI");
    assert_eq!(shout("hi"), "HI");
    assert_eq!(RUNS.load(Ordering::SeqCst), 1);
    let info = shout::cache_info();
    assert_eq!((info.hits, info.misses, info.currsize), (1, 1, 1));
    // Entries are namespaced by crate, version, function and types.
    let namespaces: Vec<String> = the_store()
        .entries
        .lock()
        .unwrap()
        .keys()
        .map(|(ns, _)| ns.clone())
        .collect();
    assert_eq!(
        namespaces,
        ["py38-tests@7/integration::memoize_custom_store::shout(& str) -> String"]
    );
    // A failing store is never a reason for the call to fail.
    the_store().fail.store(true, Ordering::SeqCst);
    assert_eq!(shout("hi"), "HI");
    assert_eq!(
        shout::cache_errors(),
        2,
        "the read and the write both failed"
    );
    the_store().fail.store(false, Ordering::SeqCst);
    assert!(shout::cache_invalidate("hi"));
    shout::cache_clear();
    assert_eq!(shout::cache_info().currsize, 0);
}

/// A store of its own: the test above checks every namespace in the shared one.
fn tracked_store() -> Result<Arc<dyn PersistentStore>, StoreError> {
    static STORE: OnceLock<Arc<MapStore>> = OnceLock::new();
    let store: Arc<dyn PersistentStore> = STORE.get_or_init(Arc::default).clone();
    Ok(store)
}

static TRACKED_RUNS: AtomicU64 = AtomicU64::new(0);

#[memoize(store = custom(tracked_store))]
#[track_caller]
fn caller_line(text: &str) -> Result<u32, String> {
    TRACKED_RUNS.fetch_add(1, Ordering::SeqCst);
    if text.is_empty() {
        return Err("empty".to_owned());
    }
    let n: u32 = text
        .parse()
        .map_err(|e: std::num::ParseIntError| e.to_string())?;
    Ok(n * 1000 + std::panic::Location::caller().line())
}

/// On a miss the body sees the caller's location; a hit returns what the first caller stored.
#[test]
fn track_caller_reaches_the_body_and_only_ok_is_stored() {
    let (line, first) = (line!(), caller_line("2"));
    assert_eq!(first, Ok(2000 + line));
    assert_eq!(caller_line("2"), Ok(2000 + line));
    assert_eq!(TRACKED_RUNS.load(Ordering::SeqCst), 1);
    assert!(caller_line("").is_err());
    assert!(caller_line("x").is_err());
    assert!(caller_line("x").is_err());
    assert_eq!(
        TRACKED_RUNS.load(Ordering::SeqCst),
        4,
        "errors are not stored"
    );
    assert_eq!(caller_line::cache_info().currsize, 1);
}

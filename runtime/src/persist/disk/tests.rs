//! The disk store against real files in the system's temporary directory.

use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use super::DiskStore;
use crate::persist::{PersistentStore, Policy};

/// A fresh directory of this test run's own.
fn scratch(name: &str) -> PathBuf {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let dir = std::env::temp_dir().join(format!(
        "py38-disk-{}-{}-{name}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

const NONE: Policy = Policy {
    ttl: None,
    maxsize: None,
};

#[test]
fn entries_are_stored_removed_and_cleared_by_namespace() {
    let store = DiskStore::open(scratch("basic").join("nested/dir/cache.sqlite3")).unwrap();
    store.put("f", b"k1", b"one", &NONE).unwrap();
    store.put("f", b"k2", b"two", &NONE).unwrap();
    store.put("g", b"k1", b"other", &NONE).unwrap();
    assert_eq!(
        store.get("f", b"k1", &NONE).unwrap().as_deref(),
        Some(&b"one"[..])
    );
    assert_eq!(
        store.get("g", b"k1", &NONE).unwrap().as_deref(),
        Some(&b"other"[..])
    );
    assert_eq!(store.get("f", b"k3", &NONE).unwrap(), None);
    store.put("f", b"k1", b"uno", &NONE).unwrap();
    assert_eq!(
        store.get("f", b"k1", &NONE).unwrap().as_deref(),
        Some(&b"uno"[..])
    );
    assert_eq!((store.len("f").unwrap(), store.len("g").unwrap()), (2, 1));
    assert!(store.remove("f", b"k1").unwrap());
    assert!(!store.remove("f", b"k1").unwrap());
    store.clear("f").unwrap();
    assert_eq!((store.len("f").unwrap(), store.len("g").unwrap()), (0, 1));
}

#[test]
fn a_second_handle_on_the_file_sees_the_first_ones_writes() {
    // Two handles on one file stand for two processes (each has its own connection and locks).
    let path = scratch("shared").join("cache.sqlite3");
    let first = DiskStore::open(&path).unwrap();
    let second = DiskStore::open(&path).unwrap();
    first.put("f", b"k", b"from the first", &NONE).unwrap();
    assert_eq!(
        second.get("f", b"k", &NONE).unwrap().as_deref(),
        Some(&b"from the first"[..])
    );
    second.clear("f").unwrap();
    assert_eq!(first.get("f", b"k", &NONE).unwrap(), None);
}

#[test]
fn entries_older_than_the_ttl_are_not_returned() {
    let store = DiskStore::open(scratch("ttl").join("c.sqlite3")).unwrap();
    store.put("f", b"k", b"v", &NONE).unwrap();
    let hour = Policy {
        ttl: Some(Duration::from_secs(3600)),
        maxsize: None,
    };
    let none_left = Policy {
        ttl: Some(Duration::ZERO),
        maxsize: None,
    };
    assert!(store.get("f", b"k", &hour).unwrap().is_some());
    assert_eq!(store.get("f", b"k", &none_left).unwrap(), None);
    std::thread::sleep(Duration::from_millis(30));
    let short = Policy {
        ttl: Some(Duration::from_millis(20)),
        maxsize: None,
    };
    assert_eq!(store.get("f", b"k", &short).unwrap(), None);
}

#[test]
fn maxsize_evicts_the_least_recently_used() {
    let store = DiskStore::open(scratch("lru").join("c.sqlite3")).unwrap();
    let two = Policy {
        ttl: None,
        maxsize: Some(2),
    };
    store.put("f", b"a", b"1", &two).unwrap();
    std::thread::sleep(Duration::from_millis(5));
    store.put("f", b"b", b"2", &two).unwrap();
    // Uses are recorded once a second per entry: wait until a use of `a` counts.
    std::thread::sleep(Duration::from_millis(1100));
    assert!(store.get("f", b"a", &two).unwrap().is_some());
    store.put("f", b"c", b"3", &two).unwrap();
    assert_eq!(store.len("f").unwrap(), 2);
    assert!(
        store.get("f", b"b", &two).unwrap().is_none(),
        "b was the least recently used"
    );
    assert!(store.get("f", b"a", &two).unwrap().is_some());
    assert!(store.get("f", b"c", &two).unwrap().is_some());
    // Other namespaces are not counted against this one's bound.
    store.put("g", b"x", b"9", &two).unwrap();
    assert_eq!((store.len("f").unwrap(), store.len("g").unwrap()), (2, 1));
}

#[test]
fn a_garbage_file_is_an_error_at_open() {
    let path = scratch("garbage").join("c.sqlite3");
    std::fs::write(&path, vec![0x5a_u8; 8192]).unwrap();
    let error = DiskStore::open(&path).unwrap_err().to_string();
    assert!(error.contains("c.sqlite3"), "{error}");
    assert!(error.contains("not a database"), "{error}");
}

#[test]
fn another_programs_database_is_an_error_at_open() {
    let path = scratch("foreign").join("c.sqlite3");
    let other = rusqlite::Connection::open(&path).unwrap();
    other
        .execute_batch("CREATE TABLE accounts (id INTEGER PRIMARY KEY, owner TEXT)")
        .unwrap();
    drop(other);
    let error = DiskStore::open(&path).unwrap_err().to_string();
    assert!(error.contains("not a py38 cache file"), "{error}");
}

#[test]
fn a_place_where_no_file_can_be_made_is_an_error_at_open() {
    // A regular file where the directory should be: no one, root included, can create it.
    let blocker = scratch("blocked").join("not-a-dir");
    std::fs::write(&blocker, b"").unwrap();
    let error = DiskStore::open(blocker.join("c.sqlite3")).unwrap_err();
    assert!(
        error.to_string().contains("cannot create the directory"),
        "{error}"
    );
}

#[test]
fn the_default_path_follows_py38_cache_dir() {
    // Read only, so that tests running in parallel do not race on the variable.
    let path = DiskStore::default_path("my_crate");
    assert!(path.ends_with("my_crate.sqlite3"), "{}", path.display());
    match std::env::var_os("PY38_CACHE_DIR").filter(|d| !d.is_empty()) {
        Some(dir) => assert_eq!(path, PathBuf::from(dir).join("my_crate.sqlite3")),
        None => assert!(path.parent().unwrap().ends_with("py38")),
    }
}

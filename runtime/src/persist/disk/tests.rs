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
    let store = DiskStore::open(scratch("basic").join("nested/dir/cache.lmdb")).unwrap();
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
    // Two handles on one file share it (LMDB opens a file once per process); other processes
    // are the integration tests' (`tests/tests/integration/memoize_disk.rs`).
    let path = scratch("shared").join("cache.lmdb");
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
    let store = DiskStore::open(scratch("ttl").join("c.lmdb")).unwrap();
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
    let store = DiskStore::open(scratch("lru").join("c.lmdb")).unwrap();
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

/// The file's bytes, and the names in its directory.
fn snapshot(path: &std::path::Path) -> (Vec<u8>, Vec<std::ffi::OsString>) {
    let mut names: Vec<_> = std::fs::read_dir(path.parent().unwrap())
        .unwrap()
        .map(|entry| entry.unwrap().file_name())
        .collect();
    names.sort();
    (std::fs::read(path).unwrap(), names)
}

#[test]
fn a_garbage_file_is_an_error_at_open_and_left_alone() {
    for garbage in [
        vec![0x5a_u8; 8192],
        vec![0_u8; 8192],
        b"0123456789".to_vec(),
    ] {
        let path = scratch("garbage").join("c.lmdb");
        std::fs::write(&path, &garbage).unwrap();
        let before = snapshot(&path);
        let error = DiskStore::open(&path).unwrap_err().to_string();
        assert!(error.contains("c.lmdb"), "{error}");
        assert!(error.contains("not a py38 cache file"), "{error}");
        assert_eq!(snapshot(&path).0, before.0, "the file is unchanged");
        if garbage.len() >= 20 {
            assert_eq!(snapshot(&path), before, "nothing made beside it");
        }
    }
}

#[test]
fn an_sqlite_cache_file_of_an_older_py38_is_refused_and_left_alone() {
    // As py38 0.1 made it: its header, its table, an entry.
    let path = scratch("sqlite").join("c.sqlite3");
    let old = rusqlite::Connection::open(&path).unwrap();
    old.execute_batch(
        "PRAGMA application_id = 2021209912;
         CREATE TABLE entries (namespace TEXT NOT NULL, key BLOB NOT NULL, value BLOB NOT NULL,
             stored INTEGER NOT NULL, used INTEGER NOT NULL, PRIMARY KEY (namespace, key))
             WITHOUT ROWID;
         INSERT INTO entries VALUES ('f', x'01', x'0102', 0, 0);",
    )
    .unwrap();
    drop(old);
    let before = snapshot(&path);
    let error = DiskStore::open(&path).unwrap_err().to_string();
    assert!(error.contains("SQLite"), "{error}");
    assert_eq!(snapshot(&path), before);
}

#[test]
#[allow(unsafe_code)]
fn another_programs_lmdb_file_is_an_error_at_open() {
    let path = scratch("foreign").join("c.lmdb");
    {
        let mut options = heed::EnvOpenOptions::new();
        // SAFETY: NO_SUB_DIR only names the file; nothing else opens it while this test does.
        unsafe { options.flags(heed::EnvFlags::NO_SUB_DIR) };
        // SAFETY: a fresh file of this test's own, opened once, closed before the store opens.
        let env = unsafe { options.open(&path) }.unwrap();
        let db = env
            .create_databases_and_commit(env.write_txn().unwrap(), |opener, txn| {
                opener
                    .create_database::<heed::types::Bytes, heed::types::Bytes>(txn, None)
                    .map(heed::CommitOrAbort::<_, ()>::Commit)
            })
            .unwrap()
            .unwrap_commit();
        let mut txn = env.write_txn().unwrap();
        db.put(&mut txn, b"accounts", b"alice").unwrap();
        txn.commit().unwrap();
        env.prepare_for_closing().wait();
    }
    let before = std::fs::read(&path).unwrap();
    let error = DiskStore::open(&path).unwrap_err().to_string();
    assert!(error.contains("not a py38 cache file"), "{error}");
    assert_eq!(std::fs::read(&path).unwrap(), before);
}

#[test]
fn keys_longer_than_lmdb_allows_are_stored_by_hash_and_compared_whole() {
    let store = DiskStore::open(scratch("long").join("c.lmdb")).unwrap();
    let two = Policy {
        ttl: None,
        maxsize: Some(2),
    };
    let long = |tail: u8| {
        let mut key = vec![7_u8; 4000];
        key.push(tail);
        key
    };
    // Uses are told apart to the millisecond.
    store.put("f", &long(1), b"one", &two).unwrap();
    std::thread::sleep(Duration::from_millis(5));
    store.put("f", &long(2), b"two", &two).unwrap();
    std::thread::sleep(Duration::from_millis(5));
    store.put("f", &[7_u8; 493], b"short", &two).unwrap();
    assert_eq!(store.len("f").unwrap(), 2, "evicted down to maxsize");
    assert_eq!(store.get("f", &long(1), &two).unwrap(), None, "the oldest");
    assert_eq!(
        store.get("f", &long(2), &two).unwrap().as_deref(),
        Some(&b"two"[..])
    );
    assert_eq!(store.get("f", &long(3), &two).unwrap(), None);
    assert!(store.remove("f", &long(2)).unwrap());
    assert!(!store.remove("f", &long(2)).unwrap());
    assert_eq!(
        store.get("f", &[7_u8; 493], &two).unwrap().as_deref(),
        Some(&b"short"[..])
    );
    assert_eq!(store.len("f").unwrap(), 1);
}

#[test]
fn namespaces_with_long_names_are_kept_apart() {
    let store = DiskStore::open(scratch("names").join("c.lmdb")).unwrap();
    let (a, b) = ("n".repeat(3000), format!("{}x", "n".repeat(2999)));
    store.put(&a, b"k", b"a", &NONE).unwrap();
    store.put(&b, b"k", b"b", &NONE).unwrap();
    assert_eq!(
        store.get(&a, b"k", &NONE).unwrap().as_deref(),
        Some(&b"a"[..])
    );
    assert_eq!(
        store.get(&b, b"k", &NONE).unwrap().as_deref(),
        Some(&b"b"[..])
    );
    store.clear(&a).unwrap();
    assert_eq!((store.len(&a).unwrap(), store.len(&b).unwrap()), (0, 1));
}

#[test]
fn a_place_where_no_file_can_be_made_is_an_error_at_open() {
    // A regular file where the directory should be: no one, root included, can create it.
    let blocker = scratch("blocked").join("not-a-dir");
    std::fs::write(&blocker, b"").unwrap();
    let error = DiskStore::open(blocker.join("c.lmdb")).unwrap_err();
    assert!(
        error.to_string().contains("cannot create the directory"),
        "{error}"
    );
}

#[test]
fn the_default_path_follows_py38_cache_dir() {
    // Read only, so that tests running in parallel do not race on the variable.
    let path = DiskStore::default_path("my_crate");
    assert!(path.ends_with("my_crate.lmdb"), "{}", path.display());
    match std::env::var_os("PY38_CACHE_DIR").filter(|d| !d.is_empty()) {
        Some(dir) => assert_eq!(path, PathBuf::from(dir).join("my_crate.lmdb")),
        None => assert!(path.parent().unwrap().ends_with("py38")),
    }
}

#[test]
fn the_file_stops_growing_once_maxsize_entries_are_kept() {
    let path = scratch("bounded").join("c.lmdb");
    let store = DiskStore::open(&path).unwrap();
    let ten = Policy {
        ttl: None,
        maxsize: Some(10),
    };
    let value = vec![1_u8; 1024];
    let mut sizes = Vec::new();
    for round in 0..4_u32 {
        for n in 0..1000_u32 {
            let key = (round * 1000 + n).to_le_bytes();
            store.put("f", &key, &value, &ten).unwrap();
        }
        sizes.push(std::fs::metadata(&path).unwrap().len());
    }
    assert_eq!(store.len("f").unwrap(), 10);
    // Pages freed by evictions are reused: after the first round, each further round of 1000
    // entries of 1 KiB (1 MiB if nothing were reused) grows the file by a few pages at most,
    // those of LMDB's own free list (a run in CI grew one page over three rounds:
    // [94208, 94208, 94208, 98304]).
    let page_slack = 4 * 4096;
    assert!(sizes[3] <= sizes[0] + page_slack, "{sizes:?}");
    assert!(sizes[3] < 200 * 1024, "{sizes:?}");
}

#[test]
#[cfg(unix)]
#[allow(unsafe_code)]
fn a_child_of_fork_does_not_use_its_parents_handle() {
    let store = DiskStore::open(scratch("fork").join("c.lmdb")).unwrap();
    store.put("f", b"k", b"v", &NONE).unwrap();
    assert!(store.get("f", b"k", &NONE).unwrap().is_some());
    // SAFETY: the child only reads through the store (which refuses at once, before LMDB is
    // touched) and leaves with `_exit`, running nothing of the test harness's.
    let pid = unsafe { libc::fork() };
    if pid == 0 {
        let refused = store
            .get("f", b"k", &NONE)
            .is_err_and(|e| e.to_string().contains("fork()"));
        // SAFETY: ends the child without running the parent's exit handlers.
        unsafe { libc::_exit(if refused { 0 } else { 1 }) };
    }
    let mut status = 0;
    // SAFETY: waits for the child just forked, into a local.
    assert_eq!(unsafe { libc::waitpid(pid, &mut status, 0) }, pid);
    assert!(
        libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0,
        "the child used the parent's handle: {status}"
    );
    assert!(
        store.get("f", b"k", &NONE).unwrap().is_some(),
        "the parent still does"
    );
}

//! The crash guard: what a reopened file holds after a record of another boot, and how
//! writes move the record between `Dirty` and `Clean`.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use super::{LEN, Record, State, boot_id, last_txn, record_path};
use crate::persist::disk::DiskStore;
use crate::persist::disk::flusher::IDLE;
use crate::persist::{PersistentStore, Policy};

const NONE: Policy = Policy {
    ttl: None,
    maxsize: None,
};

/// A cache file in a fresh directory, holding `f(k) = v`, closed (and so marked `Clean`).
fn written(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("py38-guard-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("c.lmdb");
    let store = DiskStore::open(&path).unwrap();
    store.put("f", b"k", b"v", &NONE).unwrap();
    drop(store);
    path
}

fn this_boot() -> [u8; 16] {
    boot_id().expect("Linux has a boot id")
}

/// A boot id that is not this boot's.
fn another_boot() -> [u8; 16] {
    this_boot().map(|byte| !byte)
}

fn record(path: &Path) -> Option<Record> {
    Record::decode(&std::fs::read(record_path(path)).unwrap())
}

fn set_record(path: &Path, record: Record) {
    std::fs::write(record_path(path), record.encode()).unwrap();
}

fn last(path: &Path) -> u64 {
    last_txn(path).unwrap().expect("an LMDB file")
}

/// `f(k)` in the file at `path`, reopened.
fn reopened(path: &Path) -> Option<Vec<u8>> {
    DiskStore::open(path)
        .unwrap()
        .get("f", b"k", &NONE)
        .unwrap()
}

#[test]
fn a_closed_file_is_marked_clean_at_its_last_transaction() {
    let path = written("closed");
    let expected = Record {
        boot: this_boot(),
        state: State::Clean { txn: last(&path) },
    };
    assert_eq!(record(&path), Some(expected));
}

#[test]
fn the_last_transaction_read_from_the_file_is_lmdbs() {
    let path = written("txn");
    let store = DiskStore::open(&path).unwrap();
    for n in 0..5_u8 {
        store.put("f", &[n], b"v", &NONE).unwrap();
        let lmdb = store.file.env.info().last_txn_id;
        assert_eq!(last(&path), u64::try_from(lmdb).unwrap());
    }
}

#[test]
fn a_file_left_dirty_by_another_boot_is_emptied_not_read() {
    let path = written("dirty");
    set_record(
        &path,
        Record {
            boot: another_boot(),
            state: State::Dirty,
        },
    );
    assert_eq!(reopened(&path), None, "the cache was emptied");
    let store = DiskStore::open(&path).unwrap();
    assert_eq!(store.len("f").unwrap(), 0);
    store.put("f", b"k", b"again", &NONE).unwrap();
    assert_eq!(
        store.get("f", b"k", &NONE).unwrap().as_deref(),
        Some(&b"again"[..])
    );
}

#[test]
fn a_file_left_clean_by_another_boot_is_read() {
    let path = written("clean");
    set_record(
        &path,
        Record {
            boot: another_boot(),
            state: State::Clean { txn: last(&path) },
        },
    );
    assert_eq!(reopened(&path).as_deref(), Some(&b"v"[..]));
    // Reopening took the record over for this boot.
    assert_eq!(record(&path).unwrap().boot, this_boot());
}

#[test]
fn a_file_past_its_clean_record_of_another_boot_is_emptied() {
    // The file's last commit is not the one the record says was flushed.
    let path = written("past");
    set_record(
        &path,
        Record {
            boot: another_boot(),
            state: State::Clean {
                txn: last(&path) - 1,
            },
        },
    );
    assert_eq!(reopened(&path), None);
}

#[test]
fn a_torn_or_garbage_record_empties_the_file() {
    let valid = Record {
        boot: this_boot(),
        state: State::Clean { txn: 1 },
    }
    .encode();
    let mut flipped = valid;
    flipped[20] ^= 1;
    for (name, bytes) in [
        ("empty", Vec::new()),
        ("torn", valid[..20].to_vec()),
        ("flipped", flipped.to_vec()),
        ("garbage", vec![0x5a; LEN]),
        ("longer", [&valid[..], b"x"].concat()),
    ] {
        let path = written(name);
        std::fs::write(record_path(&path), bytes).unwrap();
        assert_eq!(reopened(&path), None, "{name}");
    }
}

#[test]
fn a_cache_file_without_its_record_is_refused_and_left_alone() {
    let path = written("no-record");
    std::fs::remove_file(record_path(&path)).unwrap();
    let before = std::fs::read(&path).unwrap();
    let error = DiskStore::open(&path).unwrap_err().to_string();
    assert!(error.contains("not a py38 cache file"), "{error}");
    assert_eq!(std::fs::read(&path).unwrap(), before);
    assert!(!record_path(&path).exists(), "no record made beside it");
}

#[test]
fn a_write_marks_the_file_dirty_and_a_pause_marks_it_clean() {
    let path = written("pause");
    let store = DiskStore::open(&path).unwrap();
    store.put("f", b"k2", b"v2", &NONE).unwrap();
    let dirty = Record {
        boot: this_boot(),
        state: State::Dirty,
    };
    assert_eq!(
        record(&path),
        Some(dirty),
        "marked before the commit returned"
    );
    let deadline = Instant::now() + IDLE + Duration::from_secs(10);
    while record(&path) == Some(dirty) && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
    let clean = Record {
        boot: this_boot(),
        state: State::Clean { txn: last(&path) },
    };
    assert_eq!(record(&path), Some(clean));
}

#[test]
fn records_read_back_as_written_and_any_flipped_bit_is_caught() {
    for state in [
        State::Dirty,
        State::Clean {
            txn: 0x0123_4567_89ab,
        },
    ] {
        let bytes = Record {
            boot: another_boot(),
            state,
        }
        .encode();
        assert_eq!(Record::decode(&bytes).map(|r| r.state), Some(state));
        for bit in 0..LEN * 8 {
            let mut torn = bytes;
            torn[bit / 8] ^= 1 << (bit % 8);
            assert_eq!(Record::decode(&torn), None, "bit {bit}");
        }
    }
}

#[test]
fn the_record_is_unlocked_once_the_file_is_open() {
    // Another process opening the file takes this lock (a lock of another open file here).
    let path = written("unlocked");
    let store = DiskStore::open(&path).unwrap();
    let other = std::fs::File::open(record_path(&path)).unwrap();
    assert!(other.try_lock().is_ok(), "the opening's lock was released");
    other.unlock().unwrap();
    drop(store);
}

#[test]
fn a_record_left_without_its_file_starts_a_new_cache() {
    let path = written("deleted");
    let txn = last(&path);
    std::fs::remove_file(&path).unwrap();
    set_record(
        &path,
        Record {
            boot: another_boot(),
            state: State::Clean { txn },
        },
    );
    let store = DiskStore::open(&path).unwrap();
    assert_eq!(store.get("f", b"k", &NONE).unwrap(), None);
    store.put("f", b"k", b"new", &NONE).unwrap();
    assert_eq!(
        store.get("f", b"k", &NONE).unwrap().as_deref(),
        Some(&b"new"[..])
    );
}

#[cfg(unix)]
#[test]
fn the_record_is_readable_by_its_owner_alone_as_the_data_file_is() {
    use std::os::unix::fs::PermissionsExt;
    let path = written("mode");
    let mode = |path: &Path| std::fs::metadata(path).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&record_path(&path)), 0o600);
    assert_eq!(mode(&path), 0o600);
}

//! py38's disk store as it was before LMDB (0.1: SQLite in WAL mode, one connection per
//! process), kept here to be measured side by side with the store that replaced it, with the
//! knobs tried on it ([`Tuning`]).

use std::path::Path;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use py38::persist::{PersistentStore, Policy, StoreError};
use rusqlite::{Connection, OptionalExtension, Transaction, TransactionBehavior, params};

const APPLICATION_ID: i64 = 0x7079_3338;
const USE_GRANULARITY_MS: i64 = 1000;
const BUSY_TIMEOUT: Duration = Duration::from_millis(500);

/// What is changed from py38 0.1's SQLite store.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tuning {
    /// As py38 0.1 shipped it.
    Shipped,
    /// `PRAGMA mmap_size = 256 MiB`: pages read from a memory map instead of `pread`.
    Mmap,
    /// `PRAGMA locking_mode = EXCLUSIVE` (and `mmap_size`): no lock per read, but one
    /// process at a time. Not a candidate: the floor of SQLite's own work on a hit.
    Exclusive,
}

/// The SQLite store: a connection behind a mutex.
pub struct SqliteStore {
    connection: Mutex<Connection>,
}

/// Opens (creating) the SQLite cache file at `path`, tuned as `tuning` says.
pub fn open(path: &Path, tuning: Tuning) -> Arc<dyn PersistentStore> {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    let connection = Connection::open(path).unwrap();
    connection.busy_timeout(BUSY_TIMEOUT).unwrap();
    assert!(set_up(&connection).unwrap());
    if tuning != Tuning::Shipped {
        connection
            .query_row("PRAGMA mmap_size = 268435456", [], |_| Ok(()))
            .unwrap();
    }
    if tuning == Tuning::Exclusive {
        connection
            .query_row("PRAGMA locking_mode = EXCLUSIVE", [], |_| Ok(()))
            .unwrap();
    }
    Arc::new(SqliteStore {
        connection: Mutex::new(connection),
    })
}

impl SqliteStore {
    fn with<T>(
        &self,
        doing: &str,
        run: impl FnOnce(&Connection) -> rusqlite::Result<T>,
    ) -> Result<T, StoreError> {
        let connection = self
            .connection
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        run(&connection).map_err(|e| StoreError::new(format_args!("{doing}: {e}")))
    }
}

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

fn ms(duration: Duration) -> i64 {
    i64::try_from(duration.as_millis()).unwrap_or(i64::MAX)
}

/// Reads the file's header, creates the table in a new file, and turns on the write-ahead
/// log. `false` for a database that is not a py38 cache file.
fn set_up(connection: &Connection) -> rusqlite::Result<bool> {
    // The first read of the file: a file that is not a database fails here. One statement,
    // so both come from one state of the file (another process may be setting it up).
    let (application_id, tables): (i64, i64) = connection.query_row(
        "SELECT (SELECT application_id FROM pragma_application_id()),
                (SELECT count(*) FROM sqlite_master)",
        [],
        |row| Ok((row.get(0)?, row.get(1)?)),
    )?;
    match (application_id, tables) {
        (APPLICATION_ID, _) => {}
        (0, 0) => connection.execute_batch(&format!(
            "BEGIN IMMEDIATE;
             PRAGMA application_id = {APPLICATION_ID};
             CREATE TABLE IF NOT EXISTS entries (
                 namespace TEXT NOT NULL,
                 key BLOB NOT NULL,
                 value BLOB NOT NULL,
                 stored INTEGER NOT NULL,
                 used INTEGER NOT NULL,
                 PRIMARY KEY (namespace, key)
             ) WITHOUT ROWID;
             CREATE INDEX IF NOT EXISTS entries_by_use ON entries (namespace, used);
             COMMIT;"
        ))?,
        _ => return Ok(false),
    }
    // Readers and a writer side by side, across processes; a commit survives the process,
    // not necessarily a power cut (a cache can lose its last results).
    connection.query_row("PRAGMA journal_mode = WAL", [], |_| Ok(()))?;
    connection.execute_batch("PRAGMA synchronous = NORMAL")?;
    Ok(true)
}

impl PersistentStore for SqliteStore {
    fn get(
        &self,
        namespace: &str,
        key: &[u8],
        policy: &Policy,
    ) -> Result<Option<Vec<u8>>, StoreError> {
        self.with("cannot read", |db| {
            let found: Option<(Vec<u8>, i64, i64)> = db
                .prepare_cached(
                    "SELECT value, stored, used FROM entries WHERE namespace = ?1 AND key = ?2",
                )?
                .query_row(params![namespace, key], |row| {
                    Ok((row.get(0)?, row.get(1)?, row.get(2)?))
                })
                .optional()?;
            let Some((value, stored, used)) = found else {
                return Ok(None);
            };
            let now = now_ms();
            if policy
                .ttl
                .is_some_and(|ttl| now.saturating_sub(stored) >= ms(ttl))
            {
                return Ok(None);
            }
            if policy.maxsize.is_some() && now.saturating_sub(used) >= USE_GRANULARITY_MS {
                // Recency is a hint: a busy file must not turn a hit into a failure.
                let _ = db
                    .prepare_cached(
                        "UPDATE entries SET used = ?3 WHERE namespace = ?1 AND key = ?2",
                    )
                    .and_then(|mut update| update.execute(params![namespace, key, now]));
            }
            Ok(Some(value))
        })
    }

    fn put(
        &self,
        namespace: &str,
        key: &[u8],
        value: &[u8],
        policy: &Policy,
    ) -> Result<(), StoreError> {
        self.with("cannot write", |db| {
            let now = now_ms();
            // Takes the write lock first (waiting for another writer as long as the busy
            // timeout allows), rather than upgrading a read, which SQLite may refuse at once.
            let transaction = Transaction::new_unchecked(db, TransactionBehavior::Immediate)?;
            transaction
                .prepare_cached(
                    "INSERT OR REPLACE INTO entries (namespace, key, value, stored, used)
                     VALUES (?1, ?2, ?3, ?4, ?4)",
                )?
                .execute(params![namespace, key, value, now])?;
            if let Some(maxsize) = policy.maxsize {
                let maxsize = i64::try_from(maxsize).unwrap_or(i64::MAX);
                let count: i64 = transaction
                    .prepare_cached("SELECT count(*) FROM entries WHERE namespace = ?1")?
                    .query_row(params![namespace], |row| row.get(0))?;
                if count > maxsize {
                    transaction
                        .prepare_cached(
                            "DELETE FROM entries WHERE namespace = ?1 AND key IN (
                                 SELECT key FROM entries WHERE namespace = ?1
                                 ORDER BY used, stored LIMIT ?2)",
                        )?
                        .execute(params![namespace, count - maxsize])?;
                }
            }
            transaction.commit()
        })
    }

    fn remove(&self, namespace: &str, key: &[u8]) -> Result<bool, StoreError> {
        self.with("cannot write", |db| {
            let removed = db
                .prepare_cached("DELETE FROM entries WHERE namespace = ?1 AND key = ?2")?
                .execute(params![namespace, key])?;
            Ok(removed > 0)
        })
    }

    fn clear(&self, namespace: &str) -> Result<(), StoreError> {
        self.with("cannot write", |db| {
            db.prepare_cached("DELETE FROM entries WHERE namespace = ?1")?
                .execute(params![namespace])
                .map(|_| ())
        })
    }

    fn len(&self, namespace: &str) -> Result<usize, StoreError> {
        self.with("cannot read", |db| {
            let count: i64 = db
                .prepare_cached("SELECT count(*) FROM entries WHERE namespace = ?1")?
                .query_row(params![namespace], |row| row.get(0))?;
            Ok(usize::try_from(count).unwrap_or(0))
        })
    }
}

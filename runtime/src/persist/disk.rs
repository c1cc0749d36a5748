//! The disk store: one SQLite database file, shared by every process on the machine that
//! opens it (feature `disk`).
//!
//! Why SQLite: several processes may use one file at once (its locks and write-ahead log let
//! readers and one writer work side by side), a process killed mid-write leaves the file as
//! its last committed transaction left it, and a damaged or foreign file is an error when it
//! is opened. redb, the pure-Rust alternative, lets only one process open a file at a time.
//!
//! Entries older than the `ttl` are not returned (checked on read). `maxsize` keeps the
//! entries used most recently: the time of last use is written at most once a second per
//! entry, so hits on a hot entry stay reads, and eviction is LRU to within that second.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use rusqlite::{Connection, OptionalExtension, Transaction, TransactionBehavior, params};

use super::{PersistentStore, Policy, StoreError};

/// `PRAGMA application_id` of a py38 cache file ("py38" in ASCII).
const APPLICATION_ID: i64 = 0x7079_3338;

/// How long a use is recorded for: a hit within this of the last recorded use writes nothing.
const USE_GRANULARITY_MS: i64 = 1000;

/// How long an operation waits for another process's write before it gives up (and the call
/// runs without the cache).
const BUSY_TIMEOUT: Duration = Duration::from_millis(500);

/// A cache file. See the module documentation.
pub struct DiskStore {
    path: PathBuf,
    connection: Mutex<Connection>,
}

impl std::fmt::Debug for DiskStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DiskStore")
            .field("path", &self.path)
            .finish()
    }
}

fn error(path: &Path, doing: &str, cause: impl std::fmt::Display) -> StoreError {
    StoreError::new(format_args!("{doing} {}: {cause}", path.display()))
}

impl DiskStore {
    /// Opens the cache file at `path`, creating it (and its directory) if needed.
    ///
    /// # Errors
    /// When the file cannot be created or opened, or is not a py38 cache file (another
    /// program's database, a damaged file, anything else).
    pub fn open(path: impl Into<PathBuf>) -> Result<Self, StoreError> {
        let path = path.into();
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)
                .map_err(|e| error(&path, "cannot create the directory of", e))?;
        }
        let connection = Connection::open(&path).map_err(|e| error(&path, "cannot open", e))?;
        connection
            .busy_timeout(BUSY_TIMEOUT)
            .map_err(|e| error(&path, "cannot open", e))?;
        // Several processes may open a new file at once: setting it up waits its turn.
        let started = std::time::Instant::now();
        loop {
            match set_up(&connection) {
                Ok(true) => break,
                Ok(false) => {
                    return Err(error(
                        &path,
                        "refusing to use",
                        "it is a database, but not a py38 cache file",
                    ));
                }
                Err(e) if is_busy(&e) && started.elapsed() < BUSY_TIMEOUT * 4 => {
                    // Out of a set-up transaction left half done, if any.
                    let _ = connection.execute_batch("ROLLBACK");
                    std::thread::sleep(Duration::from_millis(10));
                }
                Err(e) => return Err(error(&path, "cannot open", e)),
            }
        }
        Ok(DiskStore {
            path,
            connection: Mutex::new(connection),
        })
    }

    /// Where `store = disk` keeps the crate's cache: `$PY38_CACHE_DIR/<crate>.sqlite3`, else
    /// `py38/<crate>.sqlite3` in the platform's cache directory (`$XDG_CACHE_HOME` or
    /// `~/.cache` on Linux, `~/Library/Caches` on macOS, `%LOCALAPPDATA%` on Windows), else in
    /// the system's temporary directory.
    #[must_use]
    pub fn default_path(krate: &str) -> PathBuf {
        let file = format!("{krate}.sqlite3");
        if let Some(dir) = std::env::var_os("PY38_CACHE_DIR").filter(|d| !d.is_empty()) {
            return PathBuf::from(dir).join(file);
        }
        platform_cache_dir()
            .unwrap_or_else(std::env::temp_dir)
            .join("py38")
            .join(file)
    }

    /// The file's path.
    #[must_use]
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn with<T>(
        &self,
        doing: &str,
        run: impl FnOnce(&Connection) -> rusqlite::Result<T>,
    ) -> Result<T, StoreError> {
        let connection = self
            .connection
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        run(&connection).map_err(|e| error(&self.path, doing, e))
    }
}

/// The store at `path`, opened once per process and shared by every function that uses it.
///
/// # Errors
/// As [`DiskStore::open`].
pub(crate) fn shared(path: PathBuf) -> Result<Arc<DiskStore>, StoreError> {
    static OPENED: super::Opened<PathBuf, DiskStore> = Mutex::new(None);
    super::shared(&OPENED, path, |path| DiskStore::open(path.clone()))
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

/// Whether another connection holds the lock this one needs.
fn is_busy(error: &rusqlite::Error) -> bool {
    matches!(
        error.sqlite_error_code(),
        Some(rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked)
    )
}

fn platform_cache_dir() -> Option<PathBuf> {
    let var = |name: &str| {
        std::env::var_os(name)
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
    };
    if cfg!(target_os = "windows") {
        var("LOCALAPPDATA")
    } else if cfg!(target_os = "macos") {
        var("HOME").map(|home| home.join("Library/Caches"))
    } else {
        var("XDG_CACHE_HOME").or_else(|| var("HOME").map(|home| home.join(".cache")))
    }
}

/// Milliseconds since the Unix epoch: a clock every process on the machine agrees on.
fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

fn ms(duration: Duration) -> i64 {
    i64::try_from(duration.as_millis()).unwrap_or(i64::MAX)
}

impl PersistentStore for DiskStore {
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

#[cfg(test)]
mod tests;

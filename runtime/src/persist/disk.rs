//! The disk store: one LMDB file, shared by every process on the machine that opens it
//! (feature `disk`).
//!
//! Why LMDB: a read takes no lock and makes no system call (readers find the latest committed
//! state through a memory map, and each thread registers once in the file's reader table), so
//! a hit costs a fraction of what SQLite's locks cost; several processes read and write one
//! file at once (one writer at a time, through a robust mutex that a killed writer does not
//! leave locked); a write is copy-on-write and becomes visible in one step, so a process
//! killed mid-write leaves the file as its last commit left it; and every read sees every
//! other process's last commit, so an entry cleared or invalidated anywhere is a miss
//! everywhere at once. A file that is not a py38 cache file is refused and left untouched.
//! redb, the pure-Rust alternative, lets only one process open a file at a time.
//!
//! Entries older than the `ttl` are not returned (checked on read). `maxsize` keeps the
//! entries used most recently: the time of last use is written at most once a second per
//! entry, so hits on a hot entry stay reads, and eviction is LRU to within that second. The
//! file holds at most 64 GiB (`MAP_SIZE`; 512 MiB on 32-bit targets); a write past that fails
//! (and is reported).
//!
//! A commit is in the kernel's page cache before any process can see it, so it outlives the
//! process that made it. It is not flushed to the disk at once (that costs a miss about a
//! millisecond): a record beside the file says whether every commit is on the disk, and after
//! a power cut or an OS crash a file that was not is deleted and started again, empty, rather
//! than read (`disk/guard.rs`, `disk/flusher.rs`). Where the machine's boot cannot be told
//! (not Linux), each commit is flushed instead (LMDB's `NO_META_SYNC`). A child of `fork()` may not use a file its parent had opened (LMDB's rule): it is
//! refused there (`disk/fork.rs`); the store opens on a function's first call, so a child
//! whose parent never called the function opens the file itself.
//!
//! The record layout is in `disk/layout.rs`.

mod flusher;
mod fork;
mod guard;
mod layout;

use std::collections::HashMap;
use std::ops::Bound;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError, RwLock, Weak};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use heed::types::Bytes;
use heed::{CommitOrAbort, Database, Env, EnvFlags, EnvOpenOptions, RoTxn, RwTxn};
use rustc_hash::FxHashMap;

use self::flusher::Flusher;
use self::guard::Opened;
use self::layout::{
    Entry, FORMAT, MARKER, RecordKey, count_key, entries_of, entry_key, entry_key_of_use, first_id,
    name_key, use_key, uses_of,
};
use super::{PersistentStore, Policy, StoreError};

/// How long a use is recorded for: a hit within this of the last recorded use writes nothing.
const USE_GRANULARITY_MS: i64 = 1000;

/// The most bytes the file may hold: the size of its memory map, which takes address space,
/// not memory (the file itself grows with what it holds).
#[cfg(target_pointer_width = "64")]
const MAP_SIZE: usize = 64 << 30;
/// The most bytes the file may hold: the size of its memory map, which takes address space,
/// not memory (the file itself grows with what it holds).
#[cfg(not(target_pointer_width = "64"))]
const MAP_SIZE: usize = 512 << 20;

/// Threads of every process that may read the file at once (each takes a slot in the file's
/// reader table for its life; 64 bytes each).
const MAX_READERS: u32 = 1024;

/// How many ids after a namespace's hash are tried before giving up (names are never removed,
/// so probing ends at the first free id; a collision at all is once in 2^64).
const MAX_PROBES: u64 = 64;

/// LMDB's meta page: its magic number, 16 bytes into the file (after the page header).
const LMDB_MAGIC: [u8; 4] = 0xBEEF_C0DE_u32.to_ne_bytes();

/// A cache file. See the module documentation.
pub struct DiskStore {
    path: PathBuf,
    file: Arc<File>,
}

/// The open file, shared by every [`DiskStore`] of the process on one path (LMDB must not
/// open one file twice in a process).
struct File {
    env: Env,
    db: Database<'static, Bytes, Bytes>,
    /// Namespaces found in the file, by name: ids never change once given.
    ids: RwLock<FxHashMap<Box<str>, u64>>,
    /// The crash guard's writer side; `None` where each commit is flushed instead.
    flusher: Option<Flusher>,
    /// `fork::now()` when the file was opened: another count, and this is a child's copy.
    forks: u64,
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
    /// Opens the cache file at `path`, creating it (and its directory) if needed. LMDB keeps
    /// its lock table beside it, in `<path>-lock`, and the store its crash record in
    /// `<path>-sync`. A file that a power cut or an OS crash may have left half-flushed is
    /// deleted and started again, empty (see the module documentation).
    ///
    /// # Errors
    /// When the file cannot be created or opened, or is not a py38 cache file (another
    /// program's file, a damaged file, an older py38's SQLite cache file, an LMDB file
    /// without its crash record, anything else). Such a file is left as it is.
    pub fn open(path: impl Into<PathBuf>) -> Result<Self, StoreError> {
        let path = path.into();
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)
                .map_err(|e| error(&path, "cannot create the directory of", e))?;
        }
        let key = canonical(&path).map_err(|e| error(&path, "cannot open", e))?;
        static OPEN: Mutex<Option<HashMap<PathBuf, Weak<File>>>> = Mutex::new(None);
        let mut open = OPEN.lock().unwrap_or_else(PoisonError::into_inner);
        let open = open.get_or_insert_with(HashMap::new);
        if let Some(file) = open.get(&key).and_then(Weak::upgrade) {
            return Ok(DiskStore { path, file });
        }
        // Not while this process has the file open: LMDB must be its only user here.
        refuse_foreign(&path)?;
        let file = Arc::new(File::open(&path)?);
        open.retain(|_, file| file.strong_count() > 0);
        open.insert(key, Arc::downgrade(&file));
        Ok(DiskStore { path, file })
    }

    /// Where `store = disk` keeps the crate's cache: `$PY38_CACHE_DIR/<crate>.lmdb`, else
    /// `py38/<crate>.lmdb` in the platform's cache directory (`$XDG_CACHE_HOME` or `~/.cache`
    /// on Linux, `~/Library/Caches` on macOS, `%LOCALAPPDATA%` on Windows), else in the
    /// system's temporary directory.
    #[must_use]
    pub fn default_path(krate: &str) -> PathBuf {
        let file = format!("{krate}.lmdb");
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

    /// The open file, unless this process is a child of the one that opened it.
    fn file(&self) -> Result<&File, StoreError> {
        if self.file.forks == fork::now() {
            return Ok(&self.file);
        }
        Err(error(
            &self.path,
            "cannot use",
            "it was opened before fork(), by the parent process (open it in the child)",
        ))
    }

    fn fail<'a>(&'a self, doing: &'a str) -> impl FnOnce(heed::Error) -> StoreError + 'a {
        move |e| error(&self.path, doing, e)
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

/// Refuses a file that is there and is not an LMDB file, before LMDB opens it (LMDB would
/// refuse it too, but only after making its lock file beside it).
fn refuse_foreign(path: &Path) -> Result<(), StoreError> {
    let mut head = [0_u8; 20];
    let read = match std::fs::File::open(path) {
        Ok(mut file) => guard::read_up_to(&mut file, &mut head),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => Err(e),
    }
    .map_err(|e| error(path, "cannot open", e))?;
    // Shorter: empty (new), or being made by another process this instant; LMDB decides.
    if read < head.len() || head[16..] == LMDB_MAGIC {
        return Ok(());
    }
    let what = if head.starts_with(b"SQLite format 3\0") {
        "it is a SQLite file (an older py38 kept its disk cache in SQLite: delete the file, and \
         its -wal and -shm files, to start a new cache there)"
    } else {
        "it is not a py38 cache file"
    };
    Err(error(path, "refusing to use", what))
}

/// The path with its directory made canonical, the name for the file in [`DiskStore::open`]'s
/// table of open files.
fn canonical(path: &Path) -> std::io::Result<PathBuf> {
    let dir = match path.parent().filter(|d| !d.as_os_str().is_empty()) {
        Some(dir) => dir.canonicalize()?,
        None => std::env::current_dir()?,
    };
    Ok(dir.join(path.file_name().unwrap_or(path.as_os_str())))
}

/// Opens the LMDB environment: `guarded`, without flushing commits (the crash guard decided
/// the file may be read, and will mark it flushed); else flushing each commit's data.
// LMDB's options and its opening are `unsafe` in heed: each block says why it is sound.
#[allow(unsafe_code)]
fn open_env(path: &Path, guarded: bool) -> Result<Env, StoreError> {
    let mut options = EnvOpenOptions::new();
    options
        .map_size(MAP_SIZE)
        .max_readers(MAX_READERS)
        .max_dbs(0);
    let sync = if guarded {
        EnvFlags::NO_SYNC
    } else {
        EnvFlags::NO_META_SYNC
    };
    // SAFETY: the flags are LMDB's own, and none lets a process see a torn or uncommitted
    // state: NO_SUB_DIR names the file itself (not a directory), NO_READ_AHEAD suits random
    // reads. NO_SYNC leaves flushing to the disk to the crash guard (a commit is in the
    // kernel's page cache before it is visible, so it outlives its process; after a power cut
    // or an OS crash, `guard::open` empties a file not known to be flushed rather than read
    // it); NO_META_SYNC flushes each commit's pages before its meta page, which LMDB
    // documents as keeping the file whole (a crash may undo the last commit).
    unsafe {
        options.flags(EnvFlags::NO_SUB_DIR | sync | EnvFlags::NO_READ_AHEAD);
    }
    // SAFETY: the file is only ever changed through LMDB (by this process and others, which
    // coordinate through the lock file beside it); `DiskStore::open` opens each path once per
    // process and shares it, as LMDB requires; transactions are short and never outlive the
    // call that made them; `refuse_foreign` has left any file that is not LMDB's alone, which
    // LMDB then checks again; and the crash guard has emptied a file that a crash may have
    // left damaged.
    unsafe { options.open(path) }.map_err(|e| match e {
        heed::Error::Mdb(heed::MdbError::Invalid | heed::MdbError::VersionMismatch) => {
            error(path, "refusing to use", "it is not a py38 cache file")
        }
        e => error(path, "cannot open", e),
    })
}

/// Why a file without a crash record beside it is refused.
const NO_RECORD: &str = "it is not a py38 cache file (it has no -sync record beside it; a py38 \
                         cache file without one cannot be checked after a crash: delete it to \
                         start a new cache there)";

impl File {
    fn open(path: &Path) -> Result<Self, StoreError> {
        let forks = fork::at_open();
        let fail = |e: heed::Error| error(path, "cannot open", e);
        let io_fail = |e: std::io::Error| error(path, "cannot open", e);
        // Decided under the record's lock, held until the file is open and marked.
        let guarded = match guard::boot_id() {
            Some(boot) => match guard::open(path, boot).map_err(io_fail)? {
                Opened::Go {
                    guard,
                    opening,
                    emptied,
                } => Some((guard, opening, emptied)),
                Opened::Refused => return Err(error(path, "refusing to use", NO_RECORD)),
            },
            None => None,
        };
        let env = open_env(path, guarded.is_some())?;
        // Reader slots of processes killed mid-read hold back the reuse of freed pages.
        env.clear_stale_readers().map_err(fail)?;
        let db = env
            .open_databases_and_commit(env.read_txn().map_err(fail)?, |opener, rtxn| {
                opener
                    .open_database::<Bytes, Bytes>(rtxn, None)
                    .map(CommitOrAbort::<_, ()>::Commit)
            })
            .map_err(fail)?
            .unwrap_commit()
            .ok_or_else(|| error(path, "cannot open", "LMDB has no unnamed database"))?;
        let (flusher, opening) = match guarded {
            Some((guard, opening, emptied)) => {
                if emptied {
                    log::warn!(
                        "py38: the cache file {} may not have been flushed to the disk before \
                         the machine stopped; it was emptied rather than read",
                        path.display()
                    );
                }
                let dirty = !guard.is_clean().map_err(io_fail)?;
                let flusher = Flusher::start(env.clone(), guard, dirty).map_err(io_fail)?;
                (Some(flusher), Some(opening))
            }
            None => (None, None),
        };
        let file = File {
            env,
            db,
            ids: RwLock::new(FxHashMap::default()),
            flusher,
            forks,
        };
        file.mark(path)?;
        drop(opening);
        Ok(file)
    }

    /// Checks the marker that says this is a py38 cache file, and writes it in a new file.
    fn mark(&self, path: &Path) -> Result<(), StoreError> {
        let fail = |e: heed::Error| error(path, "cannot open", e);
        let check = |txn: &RoTxn<'_>| -> Result<bool, StoreError> {
            match self.db.get(txn, MARKER).map_err(fail)? {
                Some(FORMAT) => Ok(true),
                Some(_) => Err(error(
                    path,
                    "refusing to use",
                    "it is a py38 cache file of another format",
                )),
                None if self.db.is_empty(txn).map_err(fail)? => Ok(false),
                None => Err(error(
                    path,
                    "refusing to use",
                    "it is an LMDB file, but not a py38 cache file",
                )),
            }
        };
        let txn = self.env.read_txn().map_err(fail)?;
        if check(&txn)? {
            return Ok(());
        }
        drop(txn);
        // A new file: marked by whichever process gets there first.
        let mut txn = self.env.write_txn().map_err(fail)?;
        if check(&txn)? {
            return Ok(());
        }
        self.db.put(&mut txn, MARKER, FORMAT).map_err(fail)?;
        self.commit(txn).map_err(fail)
    }

    /// The namespace's id, if the file has it.
    fn find(&self, namespace: &str) -> heed::Result<Option<u64>> {
        if let Some(&id) = self
            .ids
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .get(namespace)
        {
            return Ok(Some(id));
        }
        let txn = self.env.read_txn()?;
        let found = self.probe(&txn, namespace)?;
        if let Ok(id) = found {
            self.remember(namespace, id);
        }
        Ok(found.ok())
    }

    /// The namespace's id (`Ok`), or the free id it would take (`Err`); an error when
    /// `MAX_PROBES` ids are taken by other names.
    fn probe(&self, txn: &RoTxn<'_>, namespace: &str) -> heed::Result<Result<u64, u64>> {
        let first = first_id(namespace);
        for n in 0..MAX_PROBES {
            let id = first.wrapping_add(n);
            match self.db.get(txn, name_key(id).as_bytes())? {
                Some(name) if name == namespace.as_bytes() => return Ok(Ok(id)),
                Some(_) => {}
                None => return Ok(Err(id)),
            }
        }
        Err(heed::Error::Mdb(heed::MdbError::KeyExist))
    }

    /// The namespace's id, given in `txn` if the file has none yet (remembered only once
    /// the transaction commits: see [`File::remember`]).
    fn id_in(&self, txn: &mut RwTxn<'_>, namespace: &str) -> heed::Result<(u64, bool)> {
        if let Some(&id) = self
            .ids
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .get(namespace)
        {
            return Ok((id, false));
        }
        match self.probe(txn, namespace)? {
            Ok(id) => Ok((id, true)),
            Err(free) => {
                self.db
                    .put(txn, name_key(free).as_bytes(), namespace.as_bytes())?;
                Ok((free, true))
            }
        }
    }

    fn remember(&self, namespace: &str, id: u64) {
        self.ids
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(namespace.into(), id);
    }

    /// Commits `txn`: with the crash guard, marks the file `Dirty` first (on the disk, while
    /// `txn` holds LMDB's writer lock) and has it marked `Clean` once writes pause.
    fn commit(&self, txn: RwTxn<'_>) -> heed::Result<()> {
        let Some(flusher) = &self.flusher else {
            return txn.commit();
        };
        flusher.before_commit().map_err(heed::Error::Io)?;
        txn.commit()?;
        flusher.after_commit();
        Ok(())
    }

    fn count(&self, txn: &RoTxn<'_>, id: u64) -> heed::Result<u64> {
        Ok(self
            .db
            .get(txn, count_key(id).as_bytes())?
            .and_then(|bytes| bytes.try_into().ok())
            .map_or(0, u64::from_le_bytes))
    }

    fn set_count(&self, txn: &mut RwTxn<'_>, id: u64, count: u64) -> heed::Result<()> {
        self.db
            .put(txn, count_key(id).as_bytes(), &count.to_le_bytes())
    }

    /// Records a use of the entry at `now`, unless another call recorded one meanwhile.
    fn touch(&self, id: u64, entry: &RecordKey, hashed: bool, now: i64) -> heed::Result<()> {
        let mut txn = self.env.write_txn()?;
        let Some(bytes) = self.db.get(&txn, entry.as_bytes())? else {
            return Ok(());
        };
        let Some(mut found) = Entry::read(bytes, hashed) else {
            return Ok(());
        };
        if now.saturating_sub(found.used) < USE_GRANULARITY_MS {
            return Ok(());
        }
        let old = use_key(id, found.used, entry);
        found.used = now;
        let bytes = found.write();
        self.db.delete(&mut txn, old.as_bytes())?;
        self.db
            .put(&mut txn, use_key(id, now, entry).as_bytes(), &[])?;
        self.db.put(&mut txn, entry.as_bytes(), &bytes)?;
        self.commit(txn)
    }

    /// Removes the `excess` least recently used entries of the namespace; how many it removed.
    fn evict(&self, txn: &mut RwTxn<'_>, id: u64, excess: u64) -> heed::Result<u64> {
        let (start, end) = uses_of(id);
        let range = (
            Bound::Included(start.as_bytes()),
            Bound::Excluded(end.as_bytes()),
        );
        let mut oldest = Vec::new();
        for record in self
            .db
            .range(txn, &range)?
            .take(usize::try_from(excess).unwrap_or(usize::MAX))
        {
            oldest.push(record?.0.to_vec());
        }
        let mut removed = 0;
        for use_key in &oldest {
            self.db.delete(txn, use_key)?;
            if self
                .db
                .delete(txn, entry_key_of_use(id, use_key).as_bytes())?
            {
                removed += 1;
            }
        }
        Ok(removed)
    }
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
        let file = self.file()?;
        let fail = self.fail("cannot read");
        let Some(id) = file.find(namespace).map_err(fail)? else {
            return Ok(None);
        };
        let (entry, hashed) = entry_key(id, key);
        let txn = file.env.read_txn().map_err(self.fail("cannot read"))?;
        let Some(bytes) = file
            .db
            .get(&txn, entry.as_bytes())
            .map_err(self.fail("cannot read"))?
        else {
            return Ok(None);
        };
        let found = Entry::read(bytes, hashed)
            .ok_or_else(|| error(&self.path, "cannot read", "an entry is damaged"))?;
        if found.key.is_some_and(|whole| whole != key) {
            return Ok(None);
        }
        let now = now_ms();
        if policy
            .ttl
            .is_some_and(|ttl| now.saturating_sub(found.stored) >= ms(ttl))
        {
            return Ok(None);
        }
        let (value, used) = (found.value.to_vec(), found.used);
        drop(txn);
        if policy.maxsize.is_some() && now.saturating_sub(used) >= USE_GRANULARITY_MS {
            // Recency is a hint: a failed write must not turn a hit into a failure.
            let _ = file.touch(id, &entry, hashed, now);
        }
        Ok(Some(value))
    }

    fn put(
        &self,
        namespace: &str,
        key: &[u8],
        value: &[u8],
        policy: &Policy,
    ) -> Result<(), StoreError> {
        let file = self.file()?;
        let fail = |e| error(&self.path, "cannot write", e);
        let now = now_ms();
        let mut txn = file.env.write_txn().map_err(fail)?;
        let (id, new) = file.id_in(&mut txn, namespace).map_err(fail)?;
        let (entry, hashed) = entry_key(id, key);
        let mut count = file.count(&txn, id).map_err(fail)?;
        let old = file
            .db
            .get(&txn, entry.as_bytes())
            .map_err(fail)?
            .and_then(|bytes| Entry::read(bytes, hashed).map(|old| old.used));
        match old {
            Some(used) => {
                file.db
                    .delete(&mut txn, use_key(id, used, &entry).as_bytes())
                    .map_err(fail)?;
            }
            None => count += 1,
        }
        let bytes = Entry {
            stored: now,
            used: now,
            key: hashed.then_some(key),
            value,
        }
        .write();
        file.db
            .put(&mut txn, entry.as_bytes(), &bytes)
            .map_err(fail)?;
        file.db
            .put(&mut txn, use_key(id, now, &entry).as_bytes(), &[])
            .map_err(fail)?;
        if let Some(maxsize) = policy.maxsize.map(|n| u64::try_from(n).unwrap_or(u64::MAX))
            && count > maxsize
        {
            count -= file.evict(&mut txn, id, count - maxsize).map_err(fail)?;
        }
        file.set_count(&mut txn, id, count).map_err(fail)?;
        file.commit(txn).map_err(fail)?;
        if new {
            file.remember(namespace, id);
        }
        Ok(())
    }

    fn remove(&self, namespace: &str, key: &[u8]) -> Result<bool, StoreError> {
        let file = self.file()?;
        let fail = |e| error(&self.path, "cannot write", e);
        let Some(id) = file.find(namespace).map_err(fail)? else {
            return Ok(false);
        };
        let (entry, hashed) = entry_key(id, key);
        let mut txn = file.env.write_txn().map_err(fail)?;
        let Some(used) = file
            .db
            .get(&txn, entry.as_bytes())
            .map_err(fail)?
            .and_then(|bytes| Entry::read(bytes, hashed))
            .filter(|found| found.key.is_none_or(|whole| whole == key))
            .map(|found| found.used)
        else {
            return Ok(false);
        };
        file.db.delete(&mut txn, entry.as_bytes()).map_err(fail)?;
        file.db
            .delete(&mut txn, use_key(id, used, &entry).as_bytes())
            .map_err(fail)?;
        let count = file.count(&txn, id).map_err(fail)?;
        file.set_count(&mut txn, id, count.saturating_sub(1))
            .map_err(fail)?;
        file.commit(txn).map_err(fail)?;
        Ok(true)
    }

    fn clear(&self, namespace: &str) -> Result<(), StoreError> {
        let file = self.file()?;
        let fail = |e| error(&self.path, "cannot write", e);
        let Some(id) = file.find(namespace).map_err(fail)? else {
            return Ok(());
        };
        let mut txn = file.env.write_txn().map_err(fail)?;
        for (start, end) in [entries_of(id), uses_of(id)] {
            let range = (
                Bound::Included(start.as_bytes()),
                Bound::Excluded(end.as_bytes()),
            );
            file.db.delete_range(&mut txn, &range).map_err(fail)?;
        }
        file.set_count(&mut txn, id, 0).map_err(fail)?;
        file.commit(txn).map_err(fail)
    }

    fn len(&self, namespace: &str) -> Result<usize, StoreError> {
        let file = self.file()?;
        let fail = |e| error(&self.path, "cannot read", e);
        let Some(id) = file.find(namespace).map_err(fail)? else {
            return Ok(0);
        };
        let txn = file.env.read_txn().map_err(fail)?;
        let count = file.count(&txn, id).map_err(fail)?;
        Ok(usize::try_from(count).unwrap_or(usize::MAX))
    }
}

#[cfg(test)]
mod tests;

//! The crash guard: whether a cache file may be read after the machine restarted.
//!
//! The file is written without flushing each commit to the disk (`NO_SYNC`: flushing costs a
//! miss a millisecond here). That is safe while the machine runs: every process sees the
//! kernel's page cache, which holds every commit whole. After a power cut or an OS crash the
//! disk may hold some of the pages of the last commits and not others, and LMDB, which does
//! not checksum its pages, could then follow a pointer into a page that was never written.
//!
//! So a record beside the file, `<file>-sync` ([`Record`], with its own checksum), says which
//! machine boot last wrote the file and whether every commit is on the disk:
//!
//! - `Dirty`: commits may be only in the page cache. Written and flushed *before* the first
//!   commit after a `Clean` record, under LMDB's writer lock (see [`Guard::before_commit`]).
//! - `Clean { txn }`: every commit up to `txn`, the last one, is on the disk. Written under
//!   the writer lock after flushing the file (see [`Guard::mark_clean`]), once writes have
//!   paused.
//!
//! On opening ([`open`], under an exclusive lock on the record so that openers agree), the
//! file is read if the record was written during this boot (the page cache is the truth),
//! or if it is `Clean` and the file's last transaction is the one it names. Otherwise (a
//! `Dirty` record of an earlier boot, a torn or garbage record, a `Clean` one that does not
//! match) the cache is lost: the file is deleted and started again, empty. An existing file
//! without a record is another program's, or cannot be checked: it is refused and left alone.
//! Where there is no boot id (not Linux, or no `/proc`), there is no guard: the store falls
//! back to flushing each commit (see `File::open`).

use std::fs::OpenOptions;
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

/// The record's first bytes.
const MAGIC: &[u8; 8] = b"py38sync";
/// The record's layout: magic, version, state, 6 zero bytes, boot id, transaction id, checksum.
const VERSION: u8 = 1;
/// The record's length.
pub(super) const LEN: usize = 48;

/// Whether every commit is on the disk.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum State {
    /// Commits may be only in the page cache of the boot that wrote the record.
    Dirty,
    /// Every commit up to `txn`, the file's last, is on the disk.
    Clean { txn: u64 },
}

/// The record beside a cache file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Record {
    /// The boot of the machine that wrote it.
    pub(super) boot: [u8; 16],
    pub(super) state: State,
}

impl Record {
    pub(super) fn encode(&self) -> [u8; LEN] {
        let mut bytes = [0_u8; LEN];
        bytes[..8].copy_from_slice(MAGIC);
        bytes[8] = VERSION;
        let txn = match self.state {
            State::Dirty => 0,
            State::Clean { txn } => {
                bytes[9] = 1;
                txn
            }
        };
        bytes[16..32].copy_from_slice(&self.boot);
        bytes[32..40].copy_from_slice(&txn.to_le_bytes());
        let sum = checksum(&bytes[..40]);
        bytes[40..].copy_from_slice(&sum.to_le_bytes());
        bytes
    }

    /// The record `bytes` hold; `None` when they are torn, garbage or of another version.
    pub(super) fn decode(bytes: &[u8]) -> Option<Record> {
        let bytes: &[u8; LEN] = bytes.try_into().ok()?;
        let (body, sum) = bytes.split_at(40);
        if &body[..8] != MAGIC || body[8] != VERSION || sum != checksum(body).to_le_bytes() {
            return None;
        }
        let txn = u64::from_le_bytes(body[32..40].try_into().ok()?);
        let state = match body[9] {
            0 => State::Dirty,
            1 => State::Clean { txn },
            _ => return None,
        };
        Some(Record {
            boot: body[16..32].try_into().ok()?,
            state,
        })
    }
}

/// FNV-1a, 64 bits.
fn checksum(bytes: &[u8]) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for &byte in bytes {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
    }
    hash
}

/// Where the record of the cache file at `path` is: `<path>-sync`.
pub(super) fn record_path(path: &Path) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push("-sync");
    PathBuf::from(name)
}

/// This boot of the machine: Linux's `/proc/sys/kernel/random/boot_id`, which changes at each
/// boot. `None` elsewhere, and on targets whose LMDB header [`last_txn`] does not read.
pub(super) fn boot_id() -> Option<[u8; 16]> {
    if !cfg!(all(target_os = "linux", target_pointer_width = "64")) {
        return None;
    }
    let text = std::fs::read_to_string("/proc/sys/kernel/random/boot_id").ok()?;
    parse_uuid(text.trim())
}

fn parse_uuid(text: &str) -> Option<[u8; 16]> {
    let digits: Vec<u8> = text.bytes().filter(|&b| b != b'-').collect();
    if digits.len() != 32 {
        return None;
    }
    let mut id = [0_u8; 16];
    for (byte, pair) in id.iter_mut().zip(digits.chunks(2)) {
        *byte = u8::from_str_radix(std::str::from_utf8(pair).ok()?, 16).ok()?;
    }
    Some(id)
}

/// The last transaction the LMDB file at `path` holds, as LMDB would find it on opening: the
/// greater transaction id of its two meta pages (64-bit layout: page header 16 bytes, then
/// magic, version, address, map size, two 48-byte database records, last page, txnid; the
/// page size is the first database record's first field). `None` when the file has no two
/// valid meta pages (LMDB would refuse it).
pub(super) fn last_txn(path: &Path) -> io::Result<Option<u64>> {
    const TXNID: usize = 16 + 4 + 4 + 8 + 8 + 2 * 48 + 8;
    let mut file = std::fs::File::open(path)?;
    let mut first = [0_u8; TXNID + 8];
    if read_up_to(&mut file, &mut first)? < first.len() {
        return Ok(None);
    }
    let page_size = u32::from_ne_bytes(first[40..44].try_into().unwrap_or_default());
    let Some(offset) = u64::from(page_size)
        .checked_sub(u64::try_from(first.len()).unwrap_or(u64::MAX))
        .filter(|_| page_size.is_power_of_two())
    else {
        return Ok(None);
    };
    io::copy(&mut (&mut file).take(offset), &mut io::sink())?;
    let mut second = [0_u8; TXNID + 8];
    if read_up_to(&mut file, &mut second)? < second.len() {
        return Ok(None);
    }
    let meta = |page: &[u8; TXNID + 8]| {
        let magic_and_version = 0xBEEF_C0DE_u32
            .to_ne_bytes()
            .into_iter()
            .chain(1_u32.to_ne_bytes());
        page[16..24]
            .iter()
            .copied()
            .eq(magic_and_version)
            .then(|| u64::from_ne_bytes(page[TXNID..].try_into().unwrap_or_default()))
    };
    Ok(meta(&first).zip(meta(&second)).map(|(a, b)| a.max(b)))
}

/// Reads from `offset` (one system call where there is `pread`).
#[cfg(unix)]
fn read_at(file: &std::fs::File, buffer: &mut [u8], offset: usize) -> io::Result<usize> {
    std::os::unix::fs::FileExt::read_at(file, buffer, offset as u64)
}

/// Reads from `offset`.
#[cfg(not(unix))]
fn read_at(mut file: &std::fs::File, buffer: &mut [u8], offset: usize) -> io::Result<usize> {
    file.seek(SeekFrom::Start(offset as u64))?;
    file.read(buffer)
}

/// Reads into `buffer` until it is full or the file ends; how many bytes were read.
pub(super) fn read_up_to(file: &mut std::fs::File, buffer: &mut [u8]) -> io::Result<usize> {
    let mut read = 0;
    while read < buffer.len() {
        match file.read(&mut buffer[read..])? {
            0 => break,
            n => read += n,
        }
    }
    Ok(read)
}

/// The record of an open cache file, and this boot.
pub(super) struct Guard {
    record: std::fs::File,
    boot: [u8; 16],
}

/// What [`open`] decided.
pub(super) enum Opened {
    /// The file may be opened (`emptied`: it was deleted first, its cache lost). The
    /// `Opening` holds the record's lock until the file is open.
    Go {
        guard: Guard,
        opening: Opening,
        emptied: bool,
    },
    /// The file is there and has no record: not to be touched.
    Refused,
}

/// The exclusive lock on the record, held while the file is being opened, released when
/// dropped (also on an error or a panic).
pub(super) struct Opening {
    lock: std::fs::File,
}

impl Drop for Opening {
    fn drop(&mut self) {
        // Explicitly: the lock belongs to the open file, which the `Guard`'s handle (a
        // duplicate) keeps open after this one closes.
        let _ = self.lock.unlock();
    }
}

/// Decides, under an exclusive lock on the record, whether the cache file at `path` may be
/// read (see the module documentation), deleting it (and its `-lock` file) when not.
pub(super) fn open(path: &Path, boot: [u8; 16]) -> io::Result<Opened> {
    let record_path = record_path(path);
    let exists = holds_anything(path)?;
    let mut options = OpenOptions::new();
    options.read(true).write(true).create(!exists);
    // Readable by its owner alone, as LMDB makes the data file.
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let record = match options.open(&record_path) {
        Err(e) if exists && e.kind() == io::ErrorKind::NotFound => return Ok(Opened::Refused),
        other => other?,
    };
    let lock = record.try_clone()?;
    lock.lock()?;
    let guard = Guard { record, boot };
    let found = guard.read()?;
    // Again, under the lock: another opener may have made the file meanwhile.
    if !holds_anything(path)? {
        // New, or deleted with its record left behind (a maker writes the record first,
        // under the lock, so no one is making it now): whatever the record says is moot.
        guard.write(State::Dirty)?;
        return Ok(go(guard, lock, false));
    }
    match found.and_then(|(bytes, len)| Record::decode(&bytes[..len])) {
        Some(record) if record.boot == boot => Ok(go(guard, lock, false)),
        Some(Record {
            state: State::Clean { txn },
            ..
        }) if last_txn(path)? == Some(txn) => {
            // From now on this boot's processes trust the record without reading the file.
            guard.write(State::Clean { txn })?;
            Ok(go(guard, lock, false))
        }
        // A record that is missing (an empty record file beside an existing cache file) is
        // as unknown as a torn one, and the file is this store's: its record file is there.
        _ => {
            remove_if_there(path)?;
            let mut lock_file = path.as_os_str().to_owned();
            lock_file.push("-lock");
            remove_if_there(Path::new(&lock_file))?;
            guard.write(State::Dirty)?;
            Ok(go(guard, lock, true))
        }
    }
}

/// Whether the file at `path` is there and not empty.
fn holds_anything(path: &Path) -> io::Result<bool> {
    match std::fs::metadata(path) {
        Ok(metadata) => Ok(metadata.len() > 0),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(false),
        Err(e) => Err(e),
    }
}

fn go(guard: Guard, lock: std::fs::File, emptied: bool) -> Opened {
    Opened::Go {
        guard,
        opening: Opening { lock },
        emptied,
    }
}

fn remove_if_there(path: &Path) -> io::Result<()> {
    match std::fs::remove_file(path) {
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
        other => other,
    }
}

impl Guard {
    /// The record's bytes (one more than a record's length, to tell a longer file), `None`
    /// when the record file is empty. Every use of the record file is under its lock or
    /// LMDB's writer lock: one at a time.
    fn read(&self) -> io::Result<Option<([u8; LEN + 1], usize)>> {
        let mut bytes = [0_u8; LEN + 1];
        let mut read = 0;
        while read < bytes.len() {
            match read_at(&self.record, &mut bytes[read..], read)? {
                0 => break,
                n => read += n,
            }
        }
        Ok((read > 0).then_some((bytes, read)))
    }

    /// The record, `None` when it is missing, torn or garbage.
    fn current(&self) -> io::Result<Option<Record>> {
        Ok(self
            .read()?
            .and_then(|(bytes, len)| Record::decode(&bytes[..len])))
    }

    /// Writes the record, this boot's, and flushes it to the disk.
    fn write(&self, state: State) -> io::Result<()> {
        let record = Record {
            boot: self.boot,
            state,
        };
        let mut file = &self.record;
        file.seek(SeekFrom::Start(0))?;
        file.write_all(&record.encode())?;
        self.record.set_len(LEN as u64)?;
        self.record.sync_data()
    }

    /// Before a commit, with LMDB's writer lock held: unless the record already says
    /// `Dirty` for this boot, says so, on the disk, before any page of the commit is written.
    pub(super) fn before_commit(&self) -> io::Result<()> {
        if self.current()?
            == Some(Record {
                boot: self.boot,
                state: State::Dirty,
            })
        {
            return Ok(());
        }
        self.write(State::Dirty)
    }

    /// Whether the record says `Clean`.
    pub(super) fn is_clean(&self) -> io::Result<bool> {
        Ok(self
            .current()?
            .is_some_and(|record| matches!(record.state, State::Clean { .. })))
    }

    /// With LMDB's writer lock held and the file flushed to the disk up to its last
    /// transaction `txn`: says so.
    pub(super) fn mark_clean(&self, txn: u64) -> io::Result<()> {
        self.write(State::Clean { txn })
    }
}

#[cfg(test)]
mod tests;

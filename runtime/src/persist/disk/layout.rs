//! How the disk store lays its records out in LMDB's one (unnamed) database: every key starts
//! with a byte that says which kind of record it is, so one ordered map holds them all.
//!
//! ```text
//! [0] "py38 cache"                      -> [FORMAT]        the file is a py38 cache
//! [N] id                                -> namespace name  which name an id stands for
//! [C] id                                -> count (u64 LE)  how many entries the namespace has
//! [E] id suffix                         -> entry           stored, used, (whole key), value
//! [U] id used (u64 BE) suffix           -> ()              the namespace's entries by last use
//! ```
//!
//! `id` is 8 bytes (big-endian, so that a namespace's records are contiguous): a namespace's
//! name hashed, then probed linearly until a free or matching `[N]` record (names are never
//! removed, so an id, once found, holds). `suffix` is `0` and the key itself when it is short
//! enough for LMDB's key limit of 511 bytes with the `[U]` record's 17 bytes before it, else
//! `1` and a 128-bit hash of the key; the entry then holds the whole key, compared on read, so
//! two keys with one hash are a miss, never a misread.
//!
//! Every hash here is FNV-1a, spelled out below, so that it is the same in every build and
//! every process that shares the file.

/// LMDB's longest key (its default `MDB_MAXKEYSIZE`).
pub(super) const MAX_KEY: usize = 511;

/// The marker record's key and value: a file without it is not a py38 cache file.
pub(super) const MARKER: &[u8] = b"\0py38 cache";
/// The layout this build reads and writes, in the marker's value.
pub(super) const FORMAT: &[u8] = &[1];

const NAME: u8 = b'N';
const COUNT: u8 = b'C';
const ENTRY: u8 = b'E';
const USE: u8 = b'U';

/// The longest key kept as itself in a suffix: `[U] id used 0 key` fits in `MAX_KEY`.
const INLINE: usize = MAX_KEY - 1 - 8 - 8 - 1;

/// A record's key, built on the stack.
pub(super) struct RecordKey {
    bytes: [u8; MAX_KEY],
    len: usize,
}

impl RecordKey {
    fn new(kind: u8, id: u64) -> Self {
        let mut key = RecordKey {
            bytes: [0; MAX_KEY],
            len: 0,
        };
        key.push(&[kind]);
        key.push(&id.to_be_bytes());
        key
    }

    fn push(&mut self, bytes: &[u8]) {
        self.bytes[self.len..self.len + bytes.len()].copy_from_slice(bytes);
        self.len += bytes.len();
    }

    pub(super) fn as_bytes(&self) -> &[u8] {
        &self.bytes[..self.len]
    }

    /// The entry key's suffix (after kind and id), as a `[U]` record ends with it.
    pub(super) fn suffix(&self) -> &[u8] {
        &self.bytes[9..self.len]
    }
}

/// `[N] id`.
pub(super) fn name_key(id: u64) -> RecordKey {
    RecordKey::new(NAME, id)
}

/// `[C] id`.
pub(super) fn count_key(id: u64) -> RecordKey {
    RecordKey::new(COUNT, id)
}

/// `[E] id suffix`, and whether the suffix is a hash (the entry then holds the whole key).
pub(super) fn entry_key(id: u64, key: &[u8]) -> (RecordKey, bool) {
    let mut record = RecordKey::new(ENTRY, id);
    let hashed = key.len() > INLINE;
    if hashed {
        record.push(&[1]);
        record.push(&fnv128(key).to_be_bytes());
    } else {
        record.push(&[0]);
        record.push(key);
    }
    (record, hashed)
}

/// `[E] id suffix`, from a `[U]` record's key.
pub(super) fn entry_key_of_use(id: u64, use_key: &[u8]) -> RecordKey {
    let mut record = RecordKey::new(ENTRY, id);
    record.push(&use_key[17..]);
    record
}

/// `[U] id used suffix`, for the entry `entry` (an `[E]` key of the same id).
pub(super) fn use_key(id: u64, used: i64, entry: &RecordKey) -> RecordKey {
    let mut record = RecordKey::new(USE, id);
    record.push(&u64::try_from(used).unwrap_or(0).to_be_bytes());
    record.push(entry.suffix());
    record
}

/// The first key of `kind`'s records of namespace `id`, and the first after them.
fn bounds(kind: u8, id: u64) -> (RecordKey, RecordKey) {
    let start = RecordKey::new(kind, id);
    let end = match id.checked_add(1) {
        Some(next) => RecordKey::new(kind, next),
        None => RecordKey::new(kind + 1, 0),
    };
    (start, end)
}

/// The range of the namespace's `[E]` records.
pub(super) fn entries_of(id: u64) -> (RecordKey, RecordKey) {
    bounds(ENTRY, id)
}

/// The range of the namespace's `[U]` records, least recently used first.
pub(super) fn uses_of(id: u64) -> (RecordKey, RecordKey) {
    bounds(USE, id)
}

/// Where probing for a namespace's id starts.
pub(super) fn first_id(namespace: &str) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for &byte in namespace.as_bytes() {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
    }
    hash
}

fn fnv128(bytes: &[u8]) -> u128 {
    let mut hash: u128 = 0x6c62_272e_07bb_0142_62b8_2175_6295_c58d;
    for &byte in bytes {
        hash ^= u128::from(byte);
        hash = hash.wrapping_mul(0x0000_0000_0100_0000_0000_0000_0000_013b);
    }
    hash
}

/// An entry as stored: when it was stored and last used (ms since the Unix epoch), the whole
/// key when the record's key holds only its hash, and the value.
pub(super) struct Entry<'a> {
    pub(super) stored: i64,
    pub(super) used: i64,
    pub(super) key: Option<&'a [u8]>,
    pub(super) value: &'a [u8],
}

impl<'a> Entry<'a> {
    /// The entry `bytes` hold (`hashed`: the record's key is a hash, the whole key is here);
    /// `None` when they are too short to be one.
    pub(super) fn read(bytes: &'a [u8], hashed: bool) -> Option<Self> {
        let (stored, rest) = bytes.split_first_chunk::<8>()?;
        let (used, rest) = rest.split_first_chunk::<8>()?;
        let (key, value) = if hashed {
            let (len, rest) = rest.split_first_chunk::<4>()?;
            let len = usize::try_from(u32::from_le_bytes(*len)).ok()?;
            let (key, value) = rest.split_at_checked(len)?;
            (Some(key), value)
        } else {
            (None, rest)
        };
        Some(Entry {
            stored: i64::from_le_bytes(*stored),
            used: i64::from_le_bytes(*used),
            key,
            value,
        })
    }

    /// The entry's bytes.
    pub(super) fn write(&self) -> Vec<u8> {
        let key_len = self.key.map_or(0, |key| 4 + key.len());
        let mut bytes = Vec::with_capacity(16 + key_len + self.value.len());
        bytes.extend_from_slice(&self.stored.to_le_bytes());
        bytes.extend_from_slice(&self.used.to_le_bytes());
        if let Some(key) = self.key {
            let len = u32::try_from(key.len()).unwrap_or(u32::MAX);
            bytes.extend_from_slice(&len.to_le_bytes());
            bytes.extend_from_slice(key);
        }
        bytes.extend_from_slice(self.value);
        bytes
    }
}

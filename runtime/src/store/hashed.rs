//! Keys hashed once per call, as CPython's `lru_cache` promises.
//!
//! A call hashes its arguments once; the store's map (see [`table`](super::table)) keeps each
//! node's hash, a miss carries the hash on to the insertion, and eviction finds entries by the
//! stored hash, so a key whose `Hash` is expensive is hashed exactly once per call. The table
//! of `async fn` computations under way (a `papaya` map) does the same through [`PassThrough`],
//! which takes a stored hash as it is, and [`Probe`], a caller's key with its hash.

use core::hash::{BuildHasher, Hash, Hasher};

use crate::key::KeyRef;

/// The hash of the caller's arguments: `FxHasher`, the fastest for the short keys memoized
/// functions take (measured faster than `foldhash` on a 32-byte `&str`). It does not resist
/// hash flooding; see the `memoize` docs.
#[cfg_attr(not(debug_assertions), inline)]
pub(crate) fn hash_of<Q: Hash>(key: &Q) -> u64 {
    rustc_hash::FxBuildHasher.hash_one(key)
}

/// A stored key and its hash.
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct Hashed<K> {
    pub(crate) hash: u64,
    pub(crate) key: K,
}

impl<K> Hash for Hashed<K> {
    #[cfg_attr(not(debug_assertions), inline)]
    fn hash<H: Hasher>(&self, state: &mut H) {
        state.write_u64(self.hash);
    }
}

/// A caller's form of a key with its hash, as the map sees it.
pub(crate) struct Probe<'a, Q> {
    pub(crate) hash: u64,
    pub(crate) key: &'a Q,
}

impl<Q> Hash for Probe<'_, Q> {
    #[cfg_attr(not(debug_assertions), inline)]
    fn hash<H: Hasher>(&self, state: &mut H) {
        state.write_u64(self.hash);
    }
}

impl<Q: KeyRef> papaya::Equivalent<Hashed<Q::Owned>> for Probe<'_, Q> {
    #[cfg_attr(not(debug_assertions), inline)]
    fn equivalent(&self, stored: &Hashed<Q::Owned>) -> bool {
        self.hash == stored.hash && self.key.matches(&stored.key)
    }
}

/// Hashes a `u64` to itself: the map's hasher, fed only precomputed hashes.
#[derive(Clone, Copy, Default)]
pub(crate) struct PassThrough;

impl BuildHasher for PassThrough {
    type Hasher = PassThroughHasher;
    #[cfg_attr(not(debug_assertions), inline)]
    fn build_hasher(&self) -> PassThroughHasher {
        PassThroughHasher(0)
    }
}

pub(crate) struct PassThroughHasher(u64);

impl Hasher for PassThroughHasher {
    #[cfg_attr(not(debug_assertions), inline)]
    fn finish(&self) -> u64 {
        self.0
    }
    #[cfg_attr(not(debug_assertions), inline)]
    fn write_u64(&mut self, hash: u64) {
        self.0 = hash;
    }
    /// Not reached (both key forms write one `u64`), but correct if it were.
    fn write(&mut self, bytes: &[u8]) {
        for &byte in bytes {
            self.0 =
                (self.0.rotate_left(5) ^ u64::from(byte)).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
        }
    }
}

#[cfg(test)]
mod tests;

//! The contenders the benchmarks in `benches/` compare: the same function memoized by py38,
//! by its peers, and by hand. Run them with `cargo bench -p py38-bench`.

pub mod sqlite_store;

use std::sync::{LazyLock, Mutex};

use cached::proc_macro::cached;
use rustc_hash::FxHashMap;

/// How many distinct keys a hit benchmark cycles through: all fit in a cache of 128.
pub const KEYS: u64 = 64;

/// The function every contender memoizes: cheap, so that the cache is what is measured.
pub fn work(n: u64) -> u64 {
    n.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 7
}

/// `u64` keys, each contender with a cache of its own.
// `cached` and `memoize` generate public items without docs (py38's have them).
#[allow(missing_docs)]
pub mod u64_keys {
    use super::*;

    /// `#[memoize]`: an LRU cache of 128.
    #[py38::memoize]
    pub fn py38_lru(n: u64) -> u64 {
        work(n)
    }

    /// `#[memoize(maxsize = None)]`.
    #[py38::memoize(maxsize = None)]
    pub fn py38_unbounded(n: u64) -> u64 {
        work(n)
    }

    /// `#[memoize(single_flight = true)]`: an LRU cache of 128 whose concurrent misses of one
    /// key share one computation.
    #[py38::memoize(single_flight = true)]
    pub fn py38_single_flight(n: u64) -> u64 {
        work(n)
    }

    /// `cached`'s LRU cache of 128, whose concurrent misses of one key share one computation.
    #[cached(max_size = 128, sync_writes = "by_key")]
    pub fn cached_lru_sync_writes(n: u64) -> u64 {
        work(n)
    }

    /// `cached`'s LRU cache of 128.
    #[cached(max_size = 128)]
    pub fn cached_lru(n: u64) -> u64 {
        work(n)
    }

    /// `cached`'s unbounded cache.
    #[cached]
    pub fn cached_unbounded(n: u64) -> u64 {
        work(n)
    }

    /// The `memoize` crate's LRU cache of 128, shared by all threads.
    #[memoize::memoize(SharedCache, Capacity: 128)]
    pub fn memoize_lru(n: u64) -> u64 {
        work(n)
    }

    /// The `memoize` crate's unbounded cache, shared by all threads.
    #[memoize::memoize(SharedCache)]
    pub fn memoize_unbounded(n: u64) -> u64 {
        work(n)
    }

    static HAND: LazyLock<Mutex<FxHashMap<u64, u64>>> = LazyLock::new(Default::default);

    /// The floor: a `Mutex<FxHashMap>` that keeps no recency order at all.
    pub fn hand_written(n: u64) -> u64 {
        if let Some(&v) = HAND.lock().unwrap().get(&n) {
            return v;
        }
        let v = work(n);
        HAND.lock().unwrap().insert(n, v);
        v
    }

    thread_local! {
        static PLAIN_LRU: core::cell::RefCell<lru::LruCache<u64, u64>> =
            core::cell::RefCell::new(lru::LruCache::new(128));
    }

    /// A ceiling, not a peer: the LRU map the `memoize` crate is built on, of 128, in a
    /// thread-local with no lock (each thread has its own cache). What an exact LRU costs with
    /// nothing for threads at all.
    pub fn plain_lru(n: u64) -> u64 {
        if let Some(v) = PLAIN_LRU.with_borrow_mut(|lru| lru.get(&n).copied()) {
            return v;
        }
        let v = work(n);
        PLAIN_LRU.with_borrow_mut(|lru| lru.put(n, v));
        v
    }

    /// One shard on its own cache line.
    #[repr(align(128))]
    struct CachePadded(Mutex<FxHashMap<u64, u64>>);

    static SHARDED: LazyLock<Vec<CachePadded>> = LazyLock::new(|| {
        (0..16)
            .map(|_| CachePadded(Mutex::new(FxHashMap::default())))
            .collect()
    });

    /// The same map split into 16 locked shards.
    pub fn hand_sharded(n: u64) -> u64 {
        let shard = &SHARDED[(work(n) >> 20) as usize & 15].0;
        if let Some(&v) = shard.lock().unwrap().get(&n) {
            return v;
        }
        let v = work(n);
        shard.lock().unwrap().insert(n, v);
        v
    }
}

/// `fib(n)` from an empty cache: each contender clears its cache, then computes `fib(n)` (for
/// `fib(34)`: 35 misses and 33 hits).
#[allow(missing_docs)]
pub mod fib_cold {
    use super::*;

    #[py38::memoize]
    fn py38_fib(n: u64) -> u64 {
        if n < 2 {
            n
        } else {
            py38_fib(n - 1) + py38_fib(n - 2)
        }
    }

    /// `#[memoize]` (maxsize 128).
    pub fn py38(n: u64) -> u64 {
        py38_fib::cache_clear();
        py38_fib(n)
    }

    #[cached(max_size = 128)]
    fn cached_fib(n: u64) -> u64 {
        if n < 2 {
            n
        } else {
            cached_fib(n - 1) + cached_fib(n - 2)
        }
    }

    /// `cached`'s LRU cache of 128.
    pub fn cached(n: u64) -> u64 {
        use cached::Cached;
        CACHED_FIB.write().cache_clear();
        cached_fib(n)
    }

    #[memoize::memoize(SharedCache, Capacity: 128)]
    fn memoize_fib(n: u64) -> u64 {
        if n < 2 {
            n
        } else {
            memoize_fib(n - 1) + memoize_fib(n - 2)
        }
    }

    /// The `memoize` crate's LRU cache of 128, shared by all threads.
    pub fn memoize(n: u64) -> u64 {
        memoized_flush_memoize_fib();
        memoize_fib(n)
    }

    static HAND: LazyLock<Mutex<FxHashMap<u64, u64>>> = LazyLock::new(Default::default);

    fn hand_fib(n: u64) -> u64 {
        if let Some(&v) = HAND.lock().unwrap().get(&n) {
            return v;
        }
        // The lock is let go while the body runs, as the other contenders do.
        let v = if n < 2 {
            n
        } else {
            hand_fib(n - 1) + hand_fib(n - 2)
        };
        HAND.lock().unwrap().insert(n, v);
        v
    }

    /// The floor: a `Mutex<FxHashMap>` with no recency order and no bound.
    pub fn hand_written(n: u64) -> u64 {
        HAND.lock().unwrap().clear();
        hand_fib(n)
    }

    thread_local! {
        static PLAIN_LRU: core::cell::RefCell<lru::LruCache<u64, u64>> =
            core::cell::RefCell::new(lru::LruCache::new(128));
    }

    fn plain_lru_fib(n: u64) -> u64 {
        if let Some(v) = PLAIN_LRU.with_borrow_mut(|lru| lru.get(&n).copied()) {
            return v;
        }
        let v = if n < 2 {
            n
        } else {
            plain_lru_fib(n - 1) + plain_lru_fib(n - 2)
        };
        PLAIN_LRU.with_borrow_mut(|lru| lru.put(n, v));
        v
    }

    /// A ceiling, not a peer: the `lru` crate's map of 128 in a thread-local, no lock (see
    /// `u64_keys::plain_lru`).
    pub fn plain_lru(n: u64) -> u64 {
        PLAIN_LRU.with_borrow_mut(|lru| lru.clear());
        plain_lru_fib(n)
    }
}

//! Counts and eviction order, checked against CPython 3.11's `functools.lru_cache`.

use py38::{CacheInfo, CacheParameters, memoize};

use crate::Log;

#[test]
fn fib_90_with_the_default_cache() {
    #[memoize]
    fn fib(n: u64) -> u64 {
        if n < 2 { n } else { fib(n - 1) + fib(n - 2) }
    }
    assert_eq!(fib(90), 2_880_067_194_370_816_120);
    let info = fib::cache_info();
    assert_eq!(
        info,
        CacheInfo {
            hits: 88,
            misses: 91,
            maxsize: Some(128),
            currsize: 91
        }
    );
    assert_eq!(
        info.to_string(),
        "CacheInfo(hits=88, misses=91, maxsize=128, currsize=91)"
    );
}

#[test]
fn maxsize_two_runs_the_body_for_1_2_3_2() {
    static LOG: Log = Log::new();
    #[memoize(maxsize = 2)]
    fn f(n: u64) -> u64 {
        LOG.ran(n);
        n * 10
    }
    for n in [1, 2, 1, 3, 1, 2] {
        assert_eq!(f(n), n * 10);
    }
    assert_eq!(LOG.take(), [1, 2, 3, 2]);
    let info = f::cache_info();
    assert_eq!((info.hits, info.misses, info.currsize), (2, 4, 2));
}

#[test]
fn maxsize_zero_only_counts() {
    static LOG: Log = Log::new();
    #[memoize(maxsize = 0)]
    fn f(n: u64) -> u64 {
        LOG.ran(n);
        n
    }
    for n in [1, 1, 2, 1] {
        f(n);
    }
    assert_eq!(LOG.take(), [1, 1, 2, 1]);
    assert_eq!(
        f::cache_info().to_string(),
        "CacheInfo(hits=0, misses=4, maxsize=0, currsize=0)"
    );
}

#[test]
fn maxsize_none_keeps_everything() {
    #[memoize(maxsize = None)]
    fn f(n: u64) -> u64 {
        n + 1
    }
    for n in 0..1000 {
        f(n);
    }
    for n in 0..1000 {
        f(n);
    }
    assert_eq!(
        f::cache_info().to_string(),
        "CacheInfo(hits=1000, misses=1000, maxsize=None, currsize=1000)"
    );
}

/// CPython's `test_lru`: random calls against a bounded cache, checked against a model.
#[test]
fn random_calls_match_a_model_of_lru() {
    static LOG: Log = Log::new();
    #[memoize(maxsize = 20)]
    fn f(x: u64, y: u64) -> u64 {
        LOG.ran(x * 100 + y);
        3 * x + y
    }
    let mut model: Vec<(u64, u64)> = Vec::new(); // most recent first
    let mut seed = 0x2545_f491_4f6c_dd1d_u64;
    let (mut hits, mut misses) = (0, 0);
    for _ in 0..2000 {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        let (x, y) = (seed % 7, (seed >> 8) % 6);
        assert_eq!(f(x, y), 3 * x + y);
        let ran = !LOG.take().is_empty();
        match model.iter().position(|&k| k == (x, y)) {
            Some(at) => {
                assert!(!ran, "({x}, {y}) was cached and ran anyway");
                hits += 1;
                model.remove(at);
            }
            None => {
                assert!(ran, "({x}, {y}) was not cached and did not run");
                misses += 1;
                model.truncate(19);
            }
        }
        model.insert(0, (x, y));
        let info = f::cache_info();
        assert_eq!(
            (info.hits, info.misses, info.currsize),
            (hits, misses, model.len())
        );
    }
}

/// CPython's `test_lru_no_args`.
#[test]
fn a_function_without_arguments_is_cached() {
    static LOG: Log = Log::new();
    #[memoize]
    fn answer() -> u64 {
        LOG.ran(42);
        42
    }
    assert_eq!((answer(), answer(), answer()), (42, 42, 42));
    assert_eq!(LOG.take(), [42]);
    assert_eq!(answer::cache_info().currsize, 1);
    assert_eq!(answer::cache_info().hits, 2);
}

/// CPython's `test_lru_with_maxsize_negative`-style one-slot cache: each new key evicts.
#[test]
fn maxsize_one_keeps_the_last_key() {
    static LOG: Log = Log::new();
    #[memoize(maxsize = 1)]
    fn f(n: u64) -> u64 {
        LOG.ran(n);
        n
    }
    for n in [1, 1, 2, 2, 1, 3, 3, 3] {
        f(n);
    }
    assert_eq!(LOG.take(), [1, 2, 1, 3]);
    let info = f::cache_info();
    assert_eq!((info.hits, info.misses, info.currsize), (4, 4, 1));
}

#[test]
fn eviction_follows_recency_not_insertion() {
    static LOG: Log = Log::new();
    #[memoize(maxsize = 3)]
    fn f(n: u64) -> u64 {
        LOG.ran(n);
        n
    }
    // Stored 1, 2, 3; using 1 makes 2 the oldest; 4 evicts 2; 5 evicts 3; 1 is used;
    // 2 evicts 4; 4 evicts 5; 1 is still there.
    for n in [1, 2, 3, 1, 4, 5, 1, 2, 4, 1] {
        f(n);
    }
    assert_eq!(LOG.take(), [1, 2, 3, 4, 5, 2, 4]);
}

/// CPython's `test_lru_cache_clear`-style: counts and entries go, the options stay.
#[test]
fn cache_clear_resets_counts_and_entries() {
    static LOG: Log = Log::new();
    #[memoize(maxsize = 4)]
    fn f(n: u64) -> u64 {
        LOG.ran(n);
        n
    }
    f(1);
    f(1);
    f::cache_clear();
    assert_eq!(
        f::cache_info(),
        CacheInfo {
            hits: 0,
            misses: 0,
            maxsize: Some(4),
            currsize: 0
        }
    );
    f(1);
    assert_eq!(LOG.take(), [1, 1]);
    assert_eq!(f::cache_parameters().maxsize, Some(4));
}

#[test]
fn cache_parameters_report_the_options() {
    #[memoize]
    fn a(n: u8) -> u8 {
        n
    }
    #[memoize(maxsize = None, typed = true)]
    fn b(n: u8) -> u8 {
        n
    }
    #[memoize(typed = false, maxsize = 7)]
    fn c(n: u8) -> u8 {
        n
    }
    assert_eq!(
        a::cache_parameters(),
        CacheParameters {
            maxsize: Some(128),
            typed: false,
            ttl: None,
        }
    );
    assert_eq!(
        b::cache_parameters().to_string(),
        "{'maxsize': None, 'typed': True}"
    );
    assert_eq!(
        c::cache_parameters().to_string(),
        "{'maxsize': 7, 'typed': False}"
    );
    assert_eq!(a(1) + b(1) + c(1), 3);
}

/// A call that stores its own key while its body runs: the outer result is returned, and
/// the inner one stays stored (CPython: "added to the cache during the call").
#[test]
fn a_reentrant_call_for_the_same_key_keeps_the_inner_result() {
    use std::sync::atomic::{AtomicBool, Ordering};
    static LOG: Log = Log::new();
    static REENTER: AtomicBool = AtomicBool::new(true);
    #[memoize(maxsize = 8)]
    fn f(n: u64) -> u64 {
        LOG.ran(n);
        if REENTER.swap(false, Ordering::SeqCst) {
            f(n) + 1
        } else {
            n
        }
    }
    assert_eq!(f(5), 6);
    assert_eq!(f(5), 5);
    assert_eq!(LOG.take(), [5, 5]);
    let info = f::cache_info();
    assert_eq!((info.hits, info.misses, info.currsize), (1, 2, 1));
}

#[test]
fn recursion_counts_like_cpython() {
    #[memoize(maxsize = None)]
    fn fib(n: u64) -> u64 {
        if n < 2 { n } else { fib(n - 1) + fib(n - 2) }
    }
    assert_eq!(fib(30), 832_040);
    // CPython: fib.cache_info() == CacheInfo(hits=28, misses=31, maxsize=None, currsize=31)
    assert_eq!(
        fib::cache_info().to_string(),
        "CacheInfo(hits=28, misses=31, maxsize=None, currsize=31)"
    );
}

/// CPython's `test_lru_hash_only_once`: each call hashes its key once, hit or miss, and
/// eviction hashes nothing.
#[test]
fn each_call_hashes_its_key_exactly_once() {
    use std::hash::{Hash, Hasher};
    use std::sync::atomic::{AtomicUsize, Ordering};

    static HASHES: AtomicUsize = AtomicUsize::new(0);

    #[derive(Clone, PartialEq, Eq)]
    struct Counted(u64);

    impl Hash for Counted {
        fn hash<H: Hasher>(&self, state: &mut H) {
            HASHES.fetch_add(1, Ordering::SeqCst);
            self.0.hash(state);
        }
    }

    #[memoize(maxsize = 2)]
    fn f(key: Counted, by_ref: &Counted) -> u64 {
        key.0 + by_ref.0
    }

    let calls = [1, 2, 1, 3, 1, 2, 4, 4];
    for (i, &n) in calls.iter().enumerate() {
        HASHES.store(0, Ordering::SeqCst);
        assert_eq!(f(Counted(n), &Counted(n)), 2 * n);
        assert_eq!(
            HASHES.load(Ordering::SeqCst),
            2,
            "call {i} ({n}): one hash per argument"
        );
    }
    let info = f::cache_info();
    assert_eq!((info.hits, info.misses), (3, 5));
}

//! Each bound's counts and eviction order, worked out by hand: `maxsize` zero, one, two and
//! three, unbounded, and `cache_clear()`.

use std::sync::atomic::{AtomicUsize, Ordering};

use py38::{CacheInfo, memoize};

use crate::support::Log;

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

/// `maxsize = 0` only counts, for any argument form and for `Result` and `Option` returns.
#[test]
fn maxsize_zero_runs_every_call_and_counts_misses_only() {
    static LOG: Log = Log::new();
    #[memoize(maxsize = 0)]
    fn parse(text: &str) -> Result<u64, std::num::ParseIntError> {
        LOG.ran(text.len() as u64);
        text.parse()
    }
    #[memoize(maxsize = 0)]
    fn half(n: u64) -> Option<u64> {
        LOG.ran(n);
        n.is_multiple_of(2).then_some(n / 2)
    }
    for _ in 0..3 {
        assert_eq!(parse("12"), Ok(12));
        assert!(parse("x").is_err());
        assert_eq!(half(4), Some(2));
        assert_eq!(half(5), None);
    }
    assert_eq!(LOG.take(), [2, 1, 4, 5, 2, 1, 4, 5, 2, 1, 4, 5]);
    assert_eq!(
        parse::cache_info().to_string(),
        "CacheInfo(hits=0, misses=6, maxsize=0, currsize=0)"
    );
    assert_eq!(
        half::cache_info().to_string(),
        "CacheInfo(hits=0, misses=6, maxsize=0, currsize=0)"
    );
    assert_eq!(
        half::cache_parameters().to_string(),
        "{'maxsize': 0, 'typed': False}"
    );
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

/// The hand-checked eviction order of a bound of 3 with interleaved reuse.
#[test]
fn eviction_order_of_a_bound_of_three_worked_by_hand() {
    static LOG: Log = Log::new();
    #[memoize(maxsize = 3)]
    fn f(n: u64) -> u64 {
        LOG.ran(n);
        n
    }
    // Oldest first after each call:
    // 1:[1] 2:[1,2] 3:[1,2,3] 2:[1,3,2] 4:[3,2,4] (1 out) 3:[2,4,3] 1:[4,3,1] (2 out)
    // 4:[3,1,4] 2:[1,4,2] (3 out) 3:[4,2,3] (1 out) 4:[2,3,4] 1:[3,4,1] (2 out) 2:[4,1,2] (3 out)
    for n in [1, 2, 3, 2, 4, 3, 1, 4, 2, 3, 4, 1, 2] {
        assert_eq!(f(n), n);
    }
    assert_eq!(LOG.take(), [1, 2, 3, 4, 1, 2, 3, 1, 2]);
    let info = f::cache_info();
    assert_eq!((info.hits, info.misses, info.currsize), (4, 9, 3));
    // 4, 1 and 2 are stored; 3 is not.
    for n in [4, 1, 2] {
        f(n);
    }
    assert_eq!(LOG.take(), []);
    f(3);
    assert_eq!(LOG.take(), [3]);
}

/// `maxsize = None` never evicts: 10 000 distinct keys all stay, in any order of reuse.
#[test]
fn maxsize_none_evicts_nothing_after_many_keys() {
    static RUNS: AtomicUsize = AtomicUsize::new(0);
    #[memoize(maxsize = None)]
    fn f(n: u64) -> u64 {
        RUNS.fetch_add(1, Ordering::SeqCst);
        n ^ 0xff
    }
    for n in 0..10_000 {
        assert_eq!(f(n), n ^ 0xff);
    }
    for n in (0..10_000).rev() {
        assert_eq!(f(n), n ^ 0xff);
    }
    assert_eq!(RUNS.load(Ordering::SeqCst), 10_000);
    assert_eq!(
        f::cache_info().to_string(),
        "CacheInfo(hits=10000, misses=10000, maxsize=None, currsize=10000)"
    );
    assert_eq!(f::cache_info().maxsize, None);
    assert_eq!(
        f::cache_parameters().to_string(),
        "{'maxsize': None, 'typed': False}"
    );
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

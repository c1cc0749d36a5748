//! CPython's `functools.lru_cache` tests (`Lib/test/test_functools.py`, `TestLRU` and
//! `TestCache`) ported one by one, and counts checked against CPython 3.11.

use std::hash::{Hash, Hasher};
use std::sync::atomic::{AtomicUsize, Ordering};

use py38::{CacheInfo, memoize};

use super::cpython_model::Rng;
use crate::support::Log;

/// CPython's `test_lru`, whole: random calls, clearing, and the sizes zero, one and two.
#[test]
fn cpython_test_lru() {
    #[memoize(maxsize = 20)]
    fn f(x: u64, y: u64) -> u64 {
        3 * x + y
    }
    assert_eq!(
        f::cache_info(),
        CacheInfo {
            hits: 0,
            misses: 0,
            maxsize: Some(20),
            currsize: 0
        }
    );
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let (mut x, mut y) = (0, 0);
    for _ in 0..1000 {
        (x, y) = (rng.next() % 5, (rng.next() >> 3) % 5);
        assert_eq!(f(x, y), 3 * x + y);
    }
    let info = f::cache_info();
    assert!(info.hits > info.misses, "{info}");
    assert_eq!(info.hits + info.misses, 1000);
    assert_eq!(info.currsize, 20);

    f::cache_clear();
    let info = f::cache_info();
    assert_eq!((info.hits, info.misses, info.currsize), (0, 0, 0));
    f(x, y);
    let info = f::cache_info();
    assert_eq!((info.hits, info.misses, info.currsize), (0, 1, 1));

    // Size zero: never caches.
    static ZERO_RUNS: AtomicUsize = AtomicUsize::new(0);
    #[memoize(maxsize = 0)]
    fn zero() -> u64 {
        ZERO_RUNS.fetch_add(1, Ordering::SeqCst);
        20
    }
    assert_eq!(zero::cache_info().maxsize, Some(0));
    for _ in 0..5 {
        assert_eq!(zero(), 20);
    }
    assert_eq!(ZERO_RUNS.load(Ordering::SeqCst), 5);
    assert_eq!(
        zero::cache_info(),
        CacheInfo {
            hits: 0,
            misses: 5,
            maxsize: Some(0),
            currsize: 0
        }
    );

    // Size one, no arguments.
    static ONE_RUNS: AtomicUsize = AtomicUsize::new(0);
    #[memoize(maxsize = 1)]
    fn one() -> u64 {
        ONE_RUNS.fetch_add(1, Ordering::SeqCst);
        20
    }
    assert_eq!(one::cache_info().maxsize, Some(1));
    for _ in 0..5 {
        assert_eq!(one(), 20);
    }
    assert_eq!(ONE_RUNS.load(Ordering::SeqCst), 1);
    let info = one::cache_info();
    assert_eq!((info.hits, info.misses, info.currsize), (4, 1, 1));

    // Size two.
    static TWO: Log = Log::new();
    #[memoize(maxsize = 2)]
    fn two(x: u64) -> u64 {
        TWO.ran(x);
        x * 10
    }
    assert_eq!(two::cache_info().maxsize, Some(2));
    for x in [7, 9, 7, 9, 7, 9, 8, 8, 8, 9, 9, 9, 8, 8, 8, 7] {
        //    *  *              *                          *
        assert_eq!(two(x), x * 10);
    }
    assert_eq!(TWO.take(), [7, 9, 8, 7]);
    let info = two::cache_info();
    assert_eq!((info.hits, info.misses, info.currsize), (12, 4, 2));
}

/// CPython's `test_lru_no_args` (a bare `@lru_cache`, applied without parentheses).
#[test]
fn cpython_test_lru_no_args() {
    #[memoize]
    fn square(x: u64) -> u64 {
        x * x
    }
    let squares: Vec<u64> = [10, 20, 10].into_iter().map(square).collect();
    assert_eq!(squares, [100, 400, 100]);
    let info = square::cache_info();
    assert_eq!(info.hits, 1);
    assert_eq!(info.misses, 2);
    assert_eq!(info.maxsize, Some(128));
    assert_eq!(info.currsize, 2);
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

/// CPython's `TestCache.test_cache` and `test_lru_with_maxsize_none`: `functools.cache`.
#[test]
fn cpython_test_cache_and_lru_with_maxsize_none() {
    #[memoize(maxsize = None)]
    fn fib(n: u64) -> u64 {
        if n < 2 { n } else { fib(n - 1) + fib(n - 2) }
    }
    let fibs: Vec<u64> = (0..16).map(fib).collect();
    assert_eq!(
        fibs,
        [0, 1, 1, 2, 3, 5, 8, 13, 21, 34, 55, 89, 144, 233, 377, 610]
    );
    assert_eq!(
        fib::cache_info(),
        CacheInfo {
            hits: 28,
            misses: 16,
            maxsize: None,
            currsize: 16
        }
    );
    assert_eq!(
        fib::cache_info().to_string(),
        "CacheInfo(hits=28, misses=16, maxsize=None, currsize=16)"
    );
    fib::cache_clear();
    assert_eq!(
        fib::cache_info(),
        CacheInfo {
            hits: 0,
            misses: 0,
            maxsize: None,
            currsize: 0
        }
    );
}

/// CPython's `test_lru_with_keyword_args`: the same fibonacci list under the default bound.
#[test]
fn cpython_fib_list_with_the_default_bound() {
    #[memoize]
    fn fib(n: u64) -> u64 {
        if n < 2 { n } else { fib(n - 1) + fib(n - 2) }
    }
    let fibs: Vec<u64> = (0..16).map(fib).collect();
    assert_eq!(fibs[15], 610);
    assert_eq!(
        fib::cache_info().to_string(),
        "CacheInfo(hits=28, misses=16, maxsize=128, currsize=16)"
    );
    fib::cache_clear();
    assert_eq!(
        fib::cache_info().to_string(),
        "CacheInfo(hits=0, misses=0, maxsize=128, currsize=0)"
    );
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

/// CPython's `test_lru_reentrancy_with_len`, with the exact calls that ran worked out by hand.
#[test]
fn cpython_test_lru_reentrancy_with_len() {
    static LOG: Log = Log::new();
    #[memoize(maxsize = 4)]
    fn len(text: &str) -> usize {
        LOG.ran(text.len() as u64);
        text.len()
    }
    let text = "abcdefghijklmn";
    for i in [0, 0, 1, 2, 3, 3, 4, 5, 6, 1, 7, 2, 1] {
        assert_eq!(len(&text[..i]), i);
    }
    // Oldest first: [0] [0,1] [0,1,2] [0,1,2,3], 4 evicts 0, 5 evicts 1, 6 evicts 2,
    // 1 evicts 3, 7 evicts 4, 2 evicts 5: [6,1,7,2]; the last 1 is a hit.
    assert_eq!(LOG.take(), [0, 1, 2, 3, 4, 5, 6, 1, 7, 2]);
    assert_eq!(
        len::cache_info(),
        CacheInfo {
            hits: 3,
            misses: 10,
            maxsize: Some(4),
            currsize: 4
        }
    );
}

/// CPython's `test_lru_with_types`: with `typed = true`, `3` and `3.0` are kept apart. In Rust
/// the instantiations of a generic function are (`i32` and `i64` here, `f64` is not `Hash`).
#[test]
fn cpython_test_lru_with_types() {
    #[memoize(maxsize = None, typed = true)]
    fn square_unbounded<T: std::ops::Mul<Output = T> + Copy + Hash + Eq>(x: T) -> T {
        x * x
    }
    #[memoize(maxsize = 128, typed = true)]
    fn square_bounded<T: std::ops::Mul<Output = T> + Copy + Hash + Eq>(x: T) -> T {
        x * x
    }
    assert_eq!(square_unbounded(3i32), 9i32);
    assert_eq!(square_unbounded(3i64), 9i64);
    assert_eq!(square_unbounded(3i32), 9i32);
    assert_eq!(square_unbounded(3i64), 9i64);
    let info = square_unbounded::cache_info();
    assert_eq!((info.hits, info.misses, info.currsize), (2, 2, 2));
    assert!(square_unbounded::cache_parameters().typed);

    assert_eq!(square_bounded(3i32), 9i32);
    assert_eq!(square_bounded(3i64), 9i64);
    assert_eq!(square_bounded(3u8), 9u8);
    assert_eq!(square_bounded(3i32), 9i32);
    assert_eq!(square_bounded(3i64), 9i64);
    assert_eq!(square_bounded(3u8), 9u8);
    let info = square_bounded::cache_info();
    assert_eq!((info.hits, info.misses, info.currsize), (3, 3, 3));
}

/// CPython's `test_lru_cache_parameters`.
#[test]
fn cpython_test_lru_cache_parameters() {
    #[memoize(maxsize = 2)]
    fn f() -> u64 {
        1
    }
    #[memoize(maxsize = 1000, typed = true)]
    fn g() -> u64 {
        1
    }
    assert_eq!(f::cache_parameters().maxsize, Some(2));
    assert!(!f::cache_parameters().typed);
    assert_eq!(
        f::cache_parameters().to_string(),
        "{'maxsize': 2, 'typed': False}"
    );
    assert_eq!(g::cache_parameters().maxsize, Some(1000));
    assert!(g::cache_parameters().typed);
    assert_eq!(
        g::cache_parameters().to_string(),
        "{'maxsize': 1000, 'typed': True}"
    );
    assert_eq!(f() + g(), 2);
}

/// Receivers for `cpython_test_lru_method`: equal by `value` alone, as CPython's `X(int)`
/// instances are, while `id` tells which instance ran the body.
#[derive(Clone)]
struct X {
    value: u64,
    id: usize,
}

impl PartialEq for X {
    fn eq(&self, other: &Self) -> bool {
        self.value == other.value
    }
}
impl Eq for X {}
impl Hash for X {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.value.hash(state);
    }
}

static X_RUNS: [AtomicUsize; 3] = [const { AtomicUsize::new(0) }; 3];

impl X {
    #[memoize(maxsize = 2)]
    fn f(&self, x: u64) -> u64 {
        X_RUNS[self.id].fetch_add(1, Ordering::SeqCst);
        x * 10 + self.value
    }
}

/// CPython's `test_lru_method`: the receiver is part of the key, compared by equality, so
/// two equal receivers share entries; one cache serves every instance.
#[test]
fn cpython_test_lru_method() {
    let runs = || X_RUNS.each_ref().map(|n| n.load(Ordering::SeqCst));
    let a = X { value: 5, id: 0 };
    let b = X { value: 5, id: 1 };
    let c = X { value: 7, id: 2 };
    assert_eq!(
        X::f_cache_info(),
        CacheInfo {
            hits: 0,
            misses: 0,
            maxsize: Some(2),
            currsize: 0
        }
    );
    let tuple = |info: CacheInfo| (info.hits, info.misses, info.maxsize, info.currsize);

    for x in [1, 2, 2, 3, 1, 1, 1, 2, 3, 3] {
        assert_eq!(a.f(x), x * 10 + 5);
    }
    assert_eq!(runs(), [6, 0, 0]);
    assert_eq!(tuple(X::f_cache_info()), (4, 6, Some(2), 2));

    for x in [1, 2, 1, 1, 1, 1, 3, 2, 2, 2] {
        assert_eq!(b.f(x), x * 10 + 5);
    }
    assert_eq!(runs(), [6, 4, 0]);
    assert_eq!(tuple(X::f_cache_info()), (10, 10, Some(2), 2));

    for x in [2, 1, 1, 1, 1, 2, 1, 3, 2, 1] {
        assert_eq!(c.f(x), x * 10 + 7);
    }
    assert_eq!(runs(), [6, 4, 5]);
    assert_eq!(tuple(X::f_cache_info()), (15, 15, Some(2), 2));
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

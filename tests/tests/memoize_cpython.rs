//! `#[memoize]` against CPython's `functools.lru_cache`: the cases of `Lib/test/test_functools.py`
//! (`TestLRU`, `TestCache`) ported one by one, and random and recursive call sequences checked
//! step by step against a model of CPython's algorithm.
//!
//! Every test has memoized functions of its own: tests run in parallel threads, and a
//! function's cache is shared by every caller in the process.

use std::collections::VecDeque;
use std::hash::{Hash, Hasher};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use py38::{CacheInfo, memoize};

mod support;
use support::Log;

/// CPython's `lru_cache` algorithm (`Modules/_functoolsmodule.c`), over a list: a hit moves
/// the key to the most recent end; a miss counts first, then stores after the body unless a
/// re-entrant call stored the key meanwhile (bounded) or overwrites it (unbounded), evicting
/// the least recently used key past `maxsize`.
struct Model<K, V> {
    maxsize: Option<usize>,
    /// Least recently used first.
    entries: VecDeque<(K, V)>,
    hits: u64,
    misses: u64,
}

impl<K: PartialEq, V: Clone> Model<K, V> {
    fn new(maxsize: Option<usize>) -> Self {
        Model {
            maxsize,
            entries: VecDeque::new(),
            hits: 0,
            misses: 0,
        }
    }

    /// The stored value on a hit (counted, and made most recent); `None` on a miss (counted).
    fn lookup(&mut self, key: &K) -> Option<V> {
        if self.maxsize == Some(0) {
            self.misses += 1;
            return None;
        }
        match self.entries.iter().position(|(k, _)| k == key) {
            Some(at) => {
                self.hits += 1;
                let entry = self.entries.remove(at).unwrap();
                let value = entry.1.clone();
                self.entries.push_back(entry);
                Some(value)
            }
            None => {
                self.misses += 1;
                None
            }
        }
    }

    /// Stores the result of a miss, after its body ran.
    fn store(&mut self, key: K, value: V) {
        let at = self.entries.iter().position(|(k, _)| *k == key);
        match (self.maxsize, at) {
            (Some(0), _) | (Some(_), Some(_)) => {}
            (None, Some(at)) => self.entries[at].1 = value,
            (None, None) => self.entries.push_back((key, value)),
            (Some(max), None) => {
                if self.entries.len() >= max {
                    self.entries.pop_front();
                }
                self.entries.push_back((key, value));
            }
        }
    }

    /// A call whose body is `value` (not re-entrant); whether it was a hit.
    fn call(&mut self, key: K, value: V) -> bool {
        if self.lookup(&key).is_some() {
            return true;
        }
        self.store(key, value);
        false
    }

    fn info(&self) -> CacheInfo {
        CacheInfo {
            hits: self.hits,
            misses: self.misses,
            maxsize: self.maxsize,
            currsize: self.entries.len(),
        }
    }
}

/// A memoized function of one argument and its `cache_info`.
type Memoized<A, R> = (fn(A) -> R, fn() -> CacheInfo);

/// A small deterministic generator (xorshift64).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    /// Keys skewed towards a few hot ones, as real workloads are: 3/4 of the calls draw from
    /// `0..8`, the rest from `0..64`.
    fn key(&mut self) -> u64 {
        let r = self.next();
        if r.is_multiple_of(4) {
            (r >> 8) % 64
        } else {
            (r >> 8) % 8
        }
    }
}

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

/// CPython's `test_lru_bug_35780`: a recursive call that stores the key its caller is
/// computing, in a full cache, must leave the cache full and consistent.
#[test]
fn cpython_test_lru_bug_35780() {
    static ONCE: AtomicBool = AtomicBool::new(true);
    #[memoize(maxsize = 10)]
    fn f(x: u64) -> String {
        let mut rv = format!(".{x}.");
        if x == 20 && ONCE.swap(false, Ordering::SeqCst) {
            rv = f(x);
        }
        rv
    }
    for x in 0..15 {
        assert_eq!(f(x), format!(".{x}."));
    }
    assert_eq!(f::cache_info().currsize, 10);
    assert_eq!(f(20), ".20.");
    assert_eq!(f::cache_info().currsize, 10);
    // The cache holds 6..=14 and 20: each is a hit, and nothing else was lost or duplicated.
    let before = f::cache_info();
    for x in (6..15).chain([20]) {
        assert_eq!(f(x), format!(".{x}."));
    }
    let after = f::cache_info();
    assert_eq!(after.hits - before.hits, 10);
    assert_eq!(after.misses, before.misses);
    assert_eq!(after.currsize, 10);
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

/// CPython's `test_lru_with_exceptions`: a panic (Python: an exception) passes through and
/// leaves no entry, whatever the bound.
#[test]
fn cpython_test_lru_with_exceptions() {
    static RUNS: AtomicUsize = AtomicUsize::new(0);
    fn char_at(i: usize) -> char {
        RUNS.fetch_add(1, Ordering::SeqCst);
        "abc".chars().nth(i).expect("index out of range")
    }
    #[memoize(maxsize = None)]
    fn unbounded(i: usize) -> char {
        char_at(i)
    }
    #[memoize(maxsize = 128)]
    fn bounded(i: usize) -> char {
        char_at(i)
    }
    #[memoize(maxsize = 0)]
    fn uncached(i: usize) -> char {
        char_at(i)
    }
    let cases: [Memoized<usize, char>; 3] = [
        (unbounded, unbounded::cache_info),
        (bounded, bounded::cache_info),
        (uncached, uncached::cache_info),
    ];
    for (func, info) in cases {
        RUNS.store(0, Ordering::SeqCst);
        assert_eq!(func(0), 'a');
        let payload = catch_unwind(|| func(15)).expect_err("index 15 panics");
        let message = payload
            .downcast_ref::<String>()
            .map(String::as_str)
            .or_else(|| payload.downcast_ref::<&str>().copied());
        assert_eq!(message, Some("index out of range"));
        // The panic stored nothing: the next call runs the body and panics again.
        assert!(catch_unwind(|| func(15)).is_err());
        assert_eq!(RUNS.load(Ordering::SeqCst), 3);
        let info = info();
        assert_eq!((info.hits, info.misses), (0, 3), "{info}");
        assert_eq!(info.currsize, usize::from(info.maxsize != Some(0)));
    }
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

/// CPython's `test_need_for_rlock`: an `Eq` that calls the memoized function re-enters the
/// cache while a lookup compares keys. It must neither deadlock nor return a wrong result.
#[test]
fn cpython_test_need_for_rlock_reentrant_eq_during_lookup() {
    #[derive(Clone, Debug)]
    struct DoubleEq(u64);
    impl Hash for DoubleEq {
        fn hash<H: Hasher>(&self, state: &mut H) {
            self.0.hash(state);
        }
    }
    impl PartialEq for DoubleEq {
        fn eq(&self, other: &Self) -> bool {
            if self.0 == 2 {
                let _ = test_func(DoubleEq(1));
            }
            self.0 == other.0
        }
    }
    impl Eq for DoubleEq {}

    #[memoize(maxsize = 10)]
    fn test_func(x: DoubleEq) -> DoubleEq {
        x
    }
    test_func(DoubleEq(1)); // load the cache
    test_func(DoubleEq(2)); // load the cache
    assert_eq!(test_func(DoubleEq(2)).0, 2); // a re-entrant `eq` call
    let info = test_func::cache_info();
    assert_eq!(info.misses, 2);
    assert_eq!(info.currsize, 2);
    assert!(info.hits >= 2, "{info}");
}

/// The other place CPython compares keys: storing a result (its C code is "prepared to
/// restore invariants" after a re-entrant `__eq__` there). Keys that collide make the map
/// compare the new key with a stored one while the result is stored; that `eq` calls the
/// function for a third key, which must be computed and stored too.
#[test]
fn a_reentrant_eq_while_a_result_is_stored_does_not_deadlock() {
    static ARMED: AtomicBool = AtomicBool::new(false);

    #[derive(Clone)]
    struct Collide(u64);
    impl Hash for Collide {
        fn hash<H: Hasher>(&self, state: &mut H) {
            0u64.hash(state); // every key has the same hash
        }
    }
    impl PartialEq for Collide {
        fn eq(&self, other: &Self) -> bool {
            if ARMED.swap(false, Ordering::SeqCst) {
                assert_eq!(g(Collide(100)), 100);
            }
            self.0 == other.0
        }
    }
    impl Eq for Collide {}

    #[memoize(maxsize = 10)]
    fn g(x: Collide) -> u64 {
        if x.0 == 2 {
            ARMED.store(true, Ordering::SeqCst); // the next comparison is the insertion's
        }
        x.0
    }

    let (done, finished) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        assert_eq!(g(Collide(1)), 1);
        assert_eq!(g(Collide(2)), 2);
        done.send(g::cache_info()).unwrap();
    });
    let info = finished
        .recv_timeout(std::time::Duration::from_secs(10))
        .expect("deadlocked: `g` re-entered from `Eq` while storing a result");
    assert_eq!((info.hits, info.misses, info.currsize), (0, 3, 3));
}

/// The writer also compares keys when it evicts. Whichever comparison a re-entrant call comes
/// from (the lookup's, the store's or the eviction's: each in turn, by counting them), it
/// neither deadlocks nor breaks the bound, and its result is stored.
#[test]
fn a_reentrant_eq_at_any_comparison_of_a_call_does_not_deadlock() {
    use std::sync::atomic::AtomicUsize;
    /// Fires on the comparison this counts down to.
    static COUNTDOWN: AtomicUsize = AtomicUsize::new(0);
    static COMPARISONS: AtomicUsize = AtomicUsize::new(0);

    #[derive(Clone)]
    struct Collide(u64);
    impl Hash for Collide {
        fn hash<H: Hasher>(&self, state: &mut H) {
            0u64.hash(state);
        }
    }
    impl PartialEq for Collide {
        fn eq(&self, other: &Self) -> bool {
            COMPARISONS.fetch_add(1, Ordering::SeqCst);
            if COUNTDOWN.fetch_sub(1, Ordering::SeqCst) == 1 {
                assert_eq!(h(Collide(100)), 100);
            }
            self.0 == other.0
        }
    }
    impl Eq for Collide {}

    #[memoize(maxsize = 2)]
    fn h(x: Collide) -> u64 {
        x.0
    }

    let (done, finished) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        // How many comparisons a third key makes, lookup, store and eviction together.
        let _ = (h(Collide(1)), h(Collide(2)));
        COMPARISONS.store(0, Ordering::SeqCst);
        let _ = h(Collide(3));
        let comparisons = COMPARISONS.load(Ordering::SeqCst);
        for at in 1..=comparisons {
            h::cache_clear();
            let _ = (h(Collide(1)), h(Collide(2)));
            COUNTDOWN.store(at, Ordering::SeqCst);
            assert_eq!(h(Collide(3)), 3);
            COUNTDOWN.store(0, Ordering::SeqCst);
            let info = h::cache_info();
            assert_eq!((info.misses, info.currsize), (4, 2), "at comparison {at}");
        }
        done.send(comparisons).unwrap();
    });
    let comparisons = finished
        .recv_timeout(std::time::Duration::from_secs(10))
        .expect("deadlocked: `h` re-entered from `Eq` while the writer held its lock");
    assert!(
        comparisons >= 3,
        "the lookup, the store and the eviction each compare keys"
    );
}

/// The case Python's comment in `lru_cache` calls out ("this same key was added to the cache
/// during the call"), for `maxsize = None`: CPython's unbounded wrapper stores with a plain
/// `cache[key] = result` after the call, so the outer result replaces the inner one.
#[test]
fn unbounded_reentrant_call_for_the_same_key_keeps_the_outer_result() {
    static LOG: Log = Log::new();
    static REENTER: AtomicBool = AtomicBool::new(true);
    #[memoize(maxsize = None)]
    fn f(n: u64) -> u64 {
        LOG.ran(n);
        if REENTER.swap(false, Ordering::SeqCst) {
            f(n) + 1
        } else {
            n
        }
    }
    assert_eq!(f(5), 6);
    let info = f::cache_info();
    assert_eq!((info.hits, info.misses, info.currsize), (0, 2, 1));
    assert_eq!(f(5), 6, "CPython: the outer result 6 replaced the inner 5");
    assert_eq!(LOG.take(), [5, 5]);
}

/// CPython's `test_lru_type_error`, in Rust terms: a key whose `Hash` panics (Python: an
/// unhashable argument raises) fails before anything is counted or stored; so does a key
/// whose `Eq` panics during the lookup.
#[test]
fn a_panicking_hash_or_eq_counts_and_stores_nothing() {
    static PANIC_IN_HASH: AtomicBool = AtomicBool::new(false);
    static PANIC_IN_EQ: AtomicBool = AtomicBool::new(false);

    #[derive(Clone)]
    struct Touchy(u64);
    impl Hash for Touchy {
        fn hash<H: Hasher>(&self, state: &mut H) {
            assert!(!PANIC_IN_HASH.load(Ordering::SeqCst), "unhashable");
            self.0.hash(state);
        }
    }
    impl PartialEq for Touchy {
        fn eq(&self, other: &Self) -> bool {
            assert!(!PANIC_IN_EQ.load(Ordering::SeqCst), "incomparable");
            self.0 == other.0
        }
    }
    impl Eq for Touchy {}

    #[memoize(maxsize = 4)]
    fn bounded(x: Touchy) -> u64 {
        x.0
    }
    #[memoize(maxsize = None)]
    fn unbounded(x: Touchy) -> u64 {
        x.0
    }
    let cases: [Memoized<Touchy, u64>; 2] = [
        (bounded, bounded::cache_info),
        (unbounded, unbounded::cache_info),
    ];
    for (func, info) in cases {
        assert_eq!(func(Touchy(1)), 1);
        PANIC_IN_HASH.store(true, Ordering::SeqCst);
        assert!(catch_unwind(|| func(Touchy(2))).is_err());
        PANIC_IN_HASH.store(false, Ordering::SeqCst);
        let after_hash = info();
        assert_eq!(
            (after_hash.hits, after_hash.misses, after_hash.currsize),
            (0, 1, 1)
        );

        PANIC_IN_EQ.store(true, Ordering::SeqCst);
        assert!(catch_unwind(|| func(Touchy(1))).is_err()); // compares with the stored 1
        PANIC_IN_EQ.store(false, Ordering::SeqCst);
        let after_eq = info();
        assert_eq!(
            (after_eq.hits, after_eq.misses, after_eq.currsize),
            (0, 1, 1)
        );

        // Nothing is poisoned: the cache goes on as before.
        assert_eq!(func(Touchy(1)), 1);
        assert_eq!(func(Touchy(2)), 2);
        let end = info();
        assert_eq!((end.hits, end.misses, end.currsize), (1, 2, 2));
    }
}

/// `cache_clear()` from inside the body: CPython counts the miss before the call, so the clear
/// resets it, and the result is stored into the emptied cache afterwards.
#[test]
fn cache_clear_inside_the_body_then_stores_the_result() {
    static LOG: Log = Log::new();
    #[memoize(maxsize = 4)]
    fn bounded(n: u64) -> u64 {
        LOG.ran(n);
        if n == 0 {
            bounded::cache_clear();
        }
        n
    }
    #[memoize(maxsize = None)]
    fn unbounded(n: u64) -> u64 {
        LOG.ran(n);
        if n == 0 {
            unbounded::cache_clear();
        }
        n
    }
    let cases: [Memoized<u64, u64>; 2] = [
        (bounded, bounded::cache_info),
        (unbounded, unbounded::cache_info),
    ];
    for (func, info) in cases {
        func(1);
        func(2);
        func(1);
        assert_eq!(func(0), 0);
        let cleared = info();
        assert_eq!((cleared.hits, cleared.misses, cleared.currsize), (0, 0, 1));
        func(0); // stored after the clear: a hit
        func(1); // cleared: runs again
        assert_eq!(LOG.take(), [1, 2, 0, 1]);
        let end = info();
        assert_eq!((end.hits, end.misses, end.currsize), (1, 1, 2));
    }
}

/// Random skewed calls for each bound, compared with the model after every call: which calls
/// ran the body, hits, misses and currsize, with a `cache_clear()` every 700 calls.
#[test]
fn random_calls_match_cpythons_algorithm_for_every_bound() {
    macro_rules! memoized {
        ($name:ident, $log:ident, $($options:tt)*) => {
            static $log: Log = Log::new();
            #[memoize($($options)*)]
            fn $name(n: u64) -> u64 {
                $log.ran(n);
                n * 3 + 1
            }
        };
    }
    memoized!(m0, L0, maxsize = 0);
    memoized!(m1, L1, maxsize = 1);
    memoized!(m2, L2, maxsize = 2);
    memoized!(m3, L3, maxsize = 3);
    memoized!(m7, L7, maxsize = 7);
    memoized!(m16, L16, maxsize = 16);
    memoized!(m128, L128, maxsize = 128);
    memoized!(mnone, LNONE, maxsize = None);

    type Case = (
        fn(u64) -> u64,
        fn() -> CacheInfo,
        fn(),
        &'static Log,
        Option<usize>,
    );
    let cases: [Case; 8] = [
        (m0, m0::cache_info, m0::cache_clear, &L0, Some(0)),
        (m1, m1::cache_info, m1::cache_clear, &L1, Some(1)),
        (m2, m2::cache_info, m2::cache_clear, &L2, Some(2)),
        (m3, m3::cache_info, m3::cache_clear, &L3, Some(3)),
        (m7, m7::cache_info, m7::cache_clear, &L7, Some(7)),
        (m16, m16::cache_info, m16::cache_clear, &L16, Some(16)),
        (m128, m128::cache_info, m128::cache_clear, &L128, Some(128)),
        (mnone, mnone::cache_info, mnone::cache_clear, &LNONE, None),
    ];
    for (func, info, clear, log, maxsize) in cases {
        let mut model = Model::new(maxsize);
        let mut rng = Rng(0x2545_f491_4f6c_dd1d ^ maxsize.map_or(99, |m| m as u64));
        for call in 0..3000 {
            if call % 700 == 699 {
                clear();
                model = Model::new(maxsize);
            }
            let n = rng.key();
            assert_eq!(func(n), n * 3 + 1);
            let hit = model.call(n, ());
            let ran = log.take();
            assert_eq!(
                ran.is_empty(),
                hit,
                "maxsize {maxsize:?}, call {call} with {n}: ran {ran:?}"
            );
            assert_eq!(info(), model.info(), "maxsize {maxsize:?}, call {call}");
        }
    }
}

/// Recursion under a small bound: inner calls store and evict while the outer body runs.
/// Values and every count must be CPython's, and so must the final contents.
#[test]
fn recursive_fib_under_small_bounds_counts_like_cpython() {
    fn model_fib(n: u64, model: &mut Model<u64, u64>) -> u64 {
        if let Some(value) = model.lookup(&n) {
            return value;
        }
        let value = if n < 2 {
            n
        } else {
            model_fib(n - 1, model) + model_fib(n - 2, model)
        };
        model.store(n, value);
        value
    }
    #[memoize(maxsize = 1)]
    fn fib1(n: u64) -> u64 {
        if n < 2 { n } else { fib1(n - 1) + fib1(n - 2) }
    }
    #[memoize(maxsize = 2)]
    fn fib2(n: u64) -> u64 {
        if n < 2 { n } else { fib2(n - 1) + fib2(n - 2) }
    }
    #[memoize(maxsize = 3)]
    fn fib3(n: u64) -> u64 {
        if n < 2 { n } else { fib3(n - 1) + fib3(n - 2) }
    }
    #[memoize(maxsize = 5)]
    fn fib5(n: u64) -> u64 {
        if n < 2 { n } else { fib5(n - 1) + fib5(n - 2) }
    }
    #[memoize(maxsize = None)]
    fn fib_none(n: u64) -> u64 {
        if n < 2 {
            n
        } else {
            fib_none(n - 1) + fib_none(n - 2)
        }
    }
    type Case = (fn(u64) -> u64, fn() -> CacheInfo, Option<usize>);
    let cases: [Case; 5] = [
        (fib1, fib1::cache_info, Some(1)),
        (fib2, fib2::cache_info, Some(2)),
        (fib3, fib3::cache_info, Some(3)),
        (fib5, fib5::cache_info, Some(5)),
        (fib_none, fib_none::cache_info, None),
    ];
    for (fib, info, maxsize) in cases {
        let mut model = Model::new(maxsize);
        assert_eq!(fib(20), 6765);
        assert_eq!(model_fib(20, &mut model), 6765);
        assert_eq!(info(), model.info(), "maxsize {maxsize:?} after fib(20)");
        // Every fib(n) for n in 0..=20 afterwards: each call's counts as CPython's.
        for n in (0..=20).rev() {
            let value = fib(n);
            assert_eq!(model_fib(n, &mut model), value);
            assert_eq!(info(), model.info(), "maxsize {maxsize:?} after fib({n})");
        }
    }
    // With maxsize = 3, fib(n) finds fib(n - 2) that fib(n - 1) just stored: one miss per n.
    assert_eq!(fib3::cache_info().currsize, 3);
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

/// A result that panics from a nested call: the outer body catches it and returns its own
/// result, which is stored; the inner key is not.
#[test]
fn an_inner_panic_caught_by_the_outer_body_stores_only_the_outer_result() {
    static LOG: Log = Log::new();
    #[memoize(maxsize = 8)]
    fn f(n: u64) -> u64 {
        LOG.ran(n);
        if n == 0 {
            panic!("zero");
        }
        catch_unwind(AssertUnwindSafe(|| f(n - 1))).unwrap_or(100) + 1
    }
    assert_eq!(f(2), 102); // f(1) = f(0) caught + 1 = 101
    assert_eq!(LOG.take(), [2, 1, 0]);
    let info = f::cache_info();
    assert_eq!((info.hits, info.misses, info.currsize), (0, 3, 2));
    assert_eq!(f(1), 101);
    assert_eq!(f(2), 102);
    assert_eq!(LOG.take(), []);
    assert!(catch_unwind(|| f(0)).is_err());
    assert_eq!(LOG.take(), [0]);
}

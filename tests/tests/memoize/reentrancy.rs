//! Re-entrant calls (from the body, and from the key's `Hash` and `Eq`) and panics inside a
//! call: CPython's `test_lru_bug_35780`, `test_need_for_rlock`, `test_lru_with_exceptions` and
//! `test_lru_type_error`, and the cases around them.

use std::hash::{Hash, Hasher};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use py38::{CacheInfo, memoize};

use crate::Log;

/// A memoized function of one argument and its `cache_info`.
type Memoized<A, R> = (fn(A) -> R, fn() -> CacheInfo);

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

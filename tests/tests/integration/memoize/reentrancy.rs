//! Re-entrant calls (from the body, and from the key's `Hash` and `Eq`) and panics inside a
//! call: CPython's `test_lru_bug_35780`, `test_need_for_rlock`, `test_lru_with_exceptions` and
//! `test_lru_type_error`, and the cases around them.

use std::hash::{Hash, Hasher};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use py38::{CacheInfo, memoize};

use crate::support::Log;

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

/// Runs `work` on a thread of its own; fails if it has not returned within 10 s (a deadlocked
/// thread is left behind, and ends with the test process).
fn returns_in_time<T: Send + 'static>(what: &str, work: impl FnOnce() -> T + Send + 'static) -> T {
    let (done, finished) = std::sync::mpsc::channel();
    std::thread::spawn(move || done.send(work()).unwrap());
    finished
        .recv_timeout(std::time::Duration::from_secs(10))
        .unwrap_or_else(|_| panic!("deadlocked: {what}"))
}

/// A result whose `Clone` calls the function's own controls, on the miss that stores it.
#[test]
fn a_clone_of_the_result_may_call_the_controls() {
    struct Metered(u64);
    impl Clone for Metered {
        fn clone(&self) -> Self {
            let _ = metered::cache_info();
            Metered(self.0)
        }
    }
    #[memoize(maxsize = 4)]
    fn metered(k: u64) -> Metered {
        Metered(k)
    }
    let info = returns_in_time("`Clone` called `cache_info()` while storing", || {
        assert_eq!(metered(1).0, 1);
        assert_eq!(metered(1).0, 1);
        metered::cache_info()
    });
    assert_eq!((info.hits, info.misses, info.currsize), (1, 1, 1));
}

/// A key whose `Eq` clears and invalidates, from the comparison that storing a result makes.
#[test]
fn a_key_compared_while_storing_may_clear_and_invalidate() {
    static ARMED: AtomicBool = AtomicBool::new(false);
    #[derive(Clone)]
    struct Collide(u64);
    impl Hash for Collide {
        fn hash<H: Hasher>(&self, state: &mut H) {
            0u64.hash(state); // every key has the same hash: storing compares keys
        }
    }
    impl PartialEq for Collide {
        fn eq(&self, other: &Self) -> bool {
            if ARMED.swap(false, Ordering::SeqCst) {
                let _ = wiped::cache_invalidate(Collide(1));
                wiped::cache_clear();
            }
            self.0 == other.0
        }
    }
    impl Eq for Collide {}
    #[memoize(maxsize = 8)]
    fn wiped(x: Collide) -> u64 {
        if x.0 == 2 {
            ARMED.store(true, Ordering::SeqCst); // the next comparison is the store's
        }
        x.0 * 10
    }
    let info = returns_in_time("`Eq` cleared the cache while a result was stored", || {
        assert_eq!(wiped(Collide(1)), 10);
        assert_eq!(wiped(Collide(2)), 20);
        assert_eq!(wiped(Collide(2)), 20);
        wiped::cache_info()
    });
    // The clear came before the second result was stored: it alone is there, and hit once.
    assert_eq!((info.hits, info.misses, info.currsize), (1, 0, 1));
}

/// Two stores whose results' `Clone`s call each other's function, on two threads at once:
/// neither thread may hold its store's lock while the other waits for it.
#[test]
fn two_stores_calling_each_other_from_clone_do_not_deadlock() {
    use std::sync::Barrier;
    static BOTH_CLONING: Barrier = Barrier::new(2);
    static ARMED_A: AtomicBool = AtomicBool::new(true);
    static ARMED_B: AtomicBool = AtomicBool::new(true);
    struct A(u64);
    struct B(u64);
    impl Clone for A {
        fn clone(&self) -> Self {
            if ARMED_A.swap(false, Ordering::SeqCst) {
                BOTH_CLONING.wait();
                assert_eq!(b_of(7).0, 7);
            }
            A(self.0)
        }
    }
    impl Clone for B {
        fn clone(&self) -> Self {
            if ARMED_B.swap(false, Ordering::SeqCst) {
                BOTH_CLONING.wait();
                assert_eq!(a_of(7).0, 7);
            }
            B(self.0)
        }
    }
    #[memoize]
    fn a_of(k: u64) -> A {
        A(k)
    }
    #[memoize]
    fn b_of(k: u64) -> B {
        B(k)
    }
    returns_in_time("A's writer called B while B's called A", || {
        let other = std::thread::spawn(|| b_of(1).0);
        assert_eq!(a_of(1).0, 1);
        assert_eq!(other.join().unwrap(), 1);
    });
}

/// A panic in user code while a result is stored leaves nothing behind: the thread stores
/// results afterwards, and a later clear does not bring old results back. (Before, a result
/// stored by a re-entrant call made from a key's `Eq` under the writer lock was deferred, and
/// a panic then left the thread marked as the lock's holder.)
#[test]
fn a_panic_while_storing_a_reentrant_result_leaves_the_thread_storing() {
    static REENTER: AtomicBool = AtomicBool::new(false);
    static CLONES_LEFT: AtomicUsize = AtomicUsize::new(usize::MAX);
    #[derive(Clone)]
    struct Collide(u64);
    impl Hash for Collide {
        fn hash<H: Hasher>(&self, state: &mut H) {
            0u64.hash(state);
        }
    }
    impl PartialEq for Collide {
        fn eq(&self, other: &Self) -> bool {
            if REENTER.swap(false, Ordering::SeqCst) {
                let _ = fragile(Collide(50));
            }
            self.0 == other.0
        }
    }
    impl Eq for Collide {}
    #[derive(Debug, PartialEq)]
    struct Brittle(u64);
    impl Clone for Brittle {
        fn clone(&self) -> Self {
            let left = CLONES_LEFT.fetch_sub(1, Ordering::SeqCst);
            assert_ne!(left, 1, "this clone panics");
            Brittle(self.0)
        }
    }
    #[memoize(maxsize = 16)]
    fn fragile(x: Collide) -> Brittle {
        if x.0 == 2 {
            // From here on: the next comparison (storing this result) calls the function
            // again, and the third clone panics.
            REENTER.store(true, Ordering::SeqCst);
            CLONES_LEFT.store(3, Ordering::SeqCst);
        }
        Brittle(x.0)
    }
    returns_in_time("storing after a panic", || {
        assert_eq!(fragile(Collide(1)), Brittle(1));
        // The old writer cloned three times here, and panicked; storing now clones twice.
        if let Ok(result) = catch_unwind(|| fragile(Collide(2))) {
            assert_eq!(result, Brittle(2));
        }
        CLONES_LEFT.store(usize::MAX, Ordering::SeqCst);
        // Stored once, then hit: the thread stores again.
        let before = fragile::cache_info();
        assert_eq!(fragile(Collide(3)), Brittle(3));
        assert_eq!(fragile(Collide(3)), Brittle(3));
        let after = fragile::cache_info();
        assert_eq!(after.hits - before.hits, 1, "{after}");
        // A clear from another thread leaves the cache empty.
        std::thread::spawn(fragile::cache_clear).join().unwrap();
        assert_eq!(fragile::cache_info().currsize, 0);
    });
}

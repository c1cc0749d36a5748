//! One cache shared by all threads; panics leave nothing behind; calls made one after another
//! from different threads are sequential use.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::thread;

use py38::memoize;

use crate::support::Log;

/// Eight threads with overlapping keys: every result right, every call counted once, the bound
/// kept, and every miss is a run of the body.
#[test]
fn eight_threads_with_overlapping_keys_count_every_call() {
    static RUNS: AtomicU64 = AtomicU64::new(0);
    #[memoize(maxsize = 32)]
    fn collatz_len(n: u64) -> u64 {
        RUNS.fetch_add(1, Ordering::SeqCst);
        reference(n)
    }
    fn reference(n: u64) -> u64 {
        let (mut n, mut steps) = (n, 0);
        while n != 1 {
            n = if n.is_multiple_of(2) {
                n / 2
            } else {
                3 * n + 1
            };
            steps += 1;
        }
        steps
    }
    const CALLS: u64 = 3000;
    thread::scope(|s| {
        for t in 0..8u64 {
            s.spawn(move || {
                for i in 0..CALLS {
                    // Half the calls on 8 hot keys shared by all threads, half on 64 keys.
                    let n = 1 + if i % 2 == 0 {
                        i % 8
                    } else {
                        (i * 13 + t * 7) % 64
                    };
                    assert_eq!(collatz_len(n), reference(n), "thread {t}, n = {n}");
                }
            });
        }
    });
    let info = collatz_len::cache_info();
    assert_eq!(info.hits + info.misses, 8 * CALLS);
    assert_eq!(info.misses, RUNS.load(Ordering::SeqCst));
    assert!(info.currsize <= 32, "{info}");
    assert!(info.hits > 0);
}

#[test]
fn a_panic_stores_nothing_and_the_next_call_recomputes() {
    static RUNS: AtomicUsize = AtomicUsize::new(0);
    #[memoize]
    fn flaky(n: u64) -> u64 {
        if RUNS.fetch_add(1, Ordering::SeqCst) == 0 {
            panic!("first call fails");
        }
        n * 2
    }
    let first = catch_unwind(|| flaky(4));
    assert!(first.is_err());
    assert_eq!(flaky::cache_info().currsize, 0);
    assert_eq!(flaky(4), 8);
    assert_eq!(flaky(4), 8);
    assert_eq!(RUNS.load(Ordering::SeqCst), 2);
    let info = flaky::cache_info();
    assert_eq!((info.hits, info.misses, info.currsize), (1, 2, 1));
}

/// Four threads making panicking and non-panicking calls at once, on a bounded, an unbounded
/// and a `Result` function: panics store nothing, poison nothing, and every call is counted.
#[test]
fn four_threads_panicking_and_succeeding_at_once() {
    #[memoize(maxsize = 16)]
    fn bounded(n: u64) -> u64 {
        assert!(!n.is_multiple_of(3), "multiple of three: {n}");
        n * 2
    }
    #[memoize(maxsize = None)]
    fn unbounded(n: u64) -> u64 {
        assert!(!n.is_multiple_of(3), "multiple of three: {n}");
        n * 2
    }
    #[memoize(maxsize = 16)]
    fn fallible(n: u64) -> Result<u64, String> {
        assert!(!n.is_multiple_of(5), "multiple of five: {n}");
        if n.is_multiple_of(3) {
            Err(format!("{n}"))
        } else {
            Ok(n * 2)
        }
    }
    let calls_per_thread = 300u64;
    thread::scope(|s| {
        for t in 0..4u64 {
            s.spawn(move || {
                for i in 0..calls_per_thread {
                    let n = (i * 7 + t) % 40;
                    for f in [bounded as fn(u64) -> u64, unbounded] {
                        match catch_unwind(AssertUnwindSafe(|| f(n))) {
                            Ok(v) => assert_eq!(v, n * 2),
                            Err(_) => assert!(n.is_multiple_of(3)),
                        }
                    }
                    match catch_unwind(AssertUnwindSafe(|| fallible(n))) {
                        Ok(Ok(v)) => assert_eq!(v, n * 2),
                        Ok(Err(e)) => assert_eq!(e, n.to_string()),
                        Err(_) => assert!(n.is_multiple_of(5)),
                    }
                }
            });
        }
    });
    let total = 4 * calls_per_thread;
    for info in [
        bounded::cache_info(),
        unbounded::cache_info(),
        fallible::cache_info(),
    ] {
        assert_eq!(info.hits + info.misses, total, "{info}");
    }
    assert!(bounded::cache_info().currsize <= 16);
    // Of 0..40, the 26 numbers that are not multiples of three are stored, nothing else.
    assert_eq!(unbounded::cache_info().currsize, 26);
    // Afterwards, on this thread: a panicking key still panics, a good one is a hit.
    assert!(catch_unwind(|| unbounded(3)).is_err());
    let before = unbounded::cache_info();
    assert_eq!(unbounded(4), 8);
    assert_eq!(unbounded::cache_info().hits, before.hits + 1);
    assert_eq!(fallible(6), Err("6".to_string()));
    assert_eq!(fallible(7), Ok(14));
}

#[test]
fn recursion_on_many_threads_does_not_deadlock() {
    #[memoize(maxsize = 64)]
    fn fib(n: u64) -> u64 {
        if n < 2 { n } else { fib(n - 1) + fib(n - 2) }
    }
    std::thread::scope(|s| {
        for _ in 0..4 {
            s.spawn(|| {
                for n in (0..80).rev() {
                    fib(n);
                }
            });
        }
    });
    assert_eq!(fib(80), 23_416_728_348_467_685);
}

/// Recursion from several threads at once under a small bound, which evicts while other
/// threads' bodies run: no deadlock, right values, the bound kept.
#[test]
fn recursion_from_four_threads_under_a_small_bound() {
    #[memoize(maxsize = 5)]
    fn fib(n: u64) -> u64 {
        if n < 2 { n } else { fib(n - 1) + fib(n - 2) }
    }
    thread::scope(|s| {
        for t in 0..4u64 {
            s.spawn(move || {
                for n in 0..60 {
                    let n = (n + t * 11) % 60;
                    let expected = {
                        let (mut a, mut b) = (0u64, 1u64);
                        for _ in 0..n {
                            (a, b) = (b, a + b);
                        }
                        a
                    };
                    assert_eq!(fib(n), expected);
                }
            });
        }
    });
    assert!(fib::cache_info().currsize <= 5);
    assert_eq!(fib(59), 956_722_026_041);
}

/// After threads hammered a cache and it was cleared, a fresh thread using it alone gets
/// CPython's exact eviction order again.
#[test]
fn after_concurrent_use_and_a_clear_one_thread_gets_exact_lru_order() {
    static LOG: Log = Log::new();
    #[memoize(maxsize = 4)]
    fn f(n: u64) -> u64 {
        LOG.ran(n);
        n
    }
    thread::scope(|s| {
        for t in 0..4u64 {
            s.spawn(move || {
                for i in 0..2000u64 {
                    f((i * 3 + t) % 9);
                }
            });
        }
    });
    f::cache_clear();
    LOG.take();
    thread::spawn(|| {
        for n in [0, 0, 1, 2, 3, 3, 4, 5, 6, 1, 7, 2, 1] {
            assert_eq!(f(n), n);
        }
    })
    .join()
    .unwrap();
    assert_eq!(LOG.take(), [0, 1, 2, 3, 4, 5, 6, 1, 7, 2]);
    let info = f::cache_info();
    assert_eq!((info.hits, info.misses, info.currsize), (3, 10, 4));
}

/// Calls made one after another, each from the thread that happens to run it (as on a thread
/// pool), are sequential use: CPython's counts and eviction order apply. Here key 1 is used
/// last by another thread, then key 2 by this one, so 1 is the least recently used.
#[test]
fn sequential_calls_from_two_threads_evict_the_least_recently_used() {
    static LOG: Log = Log::new();
    #[memoize(maxsize = 2)]
    fn f(n: u64) -> u64 {
        LOG.ran(n);
        n
    }
    f(1);
    f(2);
    thread::spawn(|| {
        for _ in 0..10 {
            f(1);
        }
    })
    .join()
    .unwrap();
    f(2); // the most recent use: 1 is now the least recently used
    f(3); // evicts 1
    f(2); // a hit
    assert_eq!(LOG.take(), [1, 2, 3], "CPython runs the body for 1, 2, 3");
    let info = f::cache_info();
    assert_eq!((info.hits, info.misses, info.currsize), (12, 3, 2));
}

/// A result computed on one thread is a hit on every other; `cache_clear()` on one thread
/// empties the cache for all.
#[test]
fn one_cache_is_shared_by_every_thread() {
    static RUNS: AtomicUsize = AtomicUsize::new(0);
    #[memoize(maxsize = None)]
    fn word_count(text: &str) -> usize {
        RUNS.fetch_add(1, Ordering::SeqCst);
        text.split_whitespace().count()
    }
    thread::spawn(|| assert_eq!(word_count("to be or not to be"), 6))
        .join()
        .unwrap();
    thread::scope(|s| {
        for _ in 0..4 {
            s.spawn(|| assert_eq!(word_count("to be or not to be"), 6));
        }
    });
    assert_eq!(RUNS.load(Ordering::SeqCst), 1);
    assert_eq!(word_count::cache_info().hits, 4);
    thread::spawn(word_count::cache_clear).join().unwrap();
    assert_eq!(word_count::cache_info().currsize, 0);
    assert_eq!(word_count("to be or not to be"), 6);
    assert_eq!(RUNS.load(Ordering::SeqCst), 2);
}

/// `cache_clear()` drops every stored result before it returns (with no other thread inside
/// the cache): results were freed in batches, and up to a batch outlived the clear.
#[test]
fn cache_clear_drops_every_result_before_it_returns() {
    use std::sync::atomic::{AtomicIsize, Ordering};
    static ALIVE: AtomicIsize = AtomicIsize::new(0);
    struct Counted;
    impl Counted {
        fn new() -> Self {
            ALIVE.fetch_add(1, Ordering::SeqCst);
            Counted
        }
    }
    impl Clone for Counted {
        fn clone(&self) -> Self {
            Counted::new()
        }
    }
    impl Drop for Counted {
        fn drop(&mut self) {
            ALIVE.fetch_sub(1, Ordering::SeqCst);
        }
    }
    #[py38::memoize(maxsize = 1000)]
    fn counted(_k: u32) -> Counted {
        Counted::new()
    }
    for k in 0..10 {
        drop(counted(k));
    }
    assert_eq!(ALIVE.load(Ordering::SeqCst), 10, "one stored copy each");
    counted::cache_clear();
    assert_eq!(ALIVE.load(Ordering::SeqCst), 0);
}

/// Counts stay exact with many more threads than cores, whether they have slots of their own
/// or not: 8, 32 and 128 threads at once.
#[test]
fn counts_are_exact_with_8_32_and_128_threads_at_once() {
    #[py38::memoize(maxsize = 64)]
    fn square(k: u64) -> u64 {
        k * k
    }
    for threads in [8u64, 32, 128] {
        square::cache_clear();
        let all_in = std::sync::Barrier::new(threads as usize);
        std::thread::scope(|s| {
            for t in 0..threads {
                let all_in = &all_in;
                s.spawn(move || {
                    all_in.wait();
                    for i in 0..500 {
                        let k = (t + i) % 16;
                        assert_eq!(square(k), k * k);
                    }
                });
            }
        });
        let info = square::cache_info();
        assert_eq!(
            info.hits + info.misses,
            threads * 500,
            "{threads} threads: {info}"
        );
        assert_eq!(info.currsize, 16);
        assert!(info.misses >= 16);
    }
}

/// A thread stalled in user code while it reads one cache (a result's `Clone` that waits)
/// holds back nothing of another cache: what that one evicts meanwhile is freed.
#[test]
fn a_thread_stalled_in_a_clone_holds_back_no_other_cache() {
    use std::sync::atomic::{AtomicBool, AtomicIsize, Ordering};
    use std::sync::{Barrier, mpsc};
    static STALL: AtomicBool = AtomicBool::new(false);
    static ALIVE: AtomicIsize = AtomicIsize::new(0);
    static IN_CLONE: Barrier = Barrier::new(2);

    struct Slow(mpsc::Receiver<()>);
    struct Shared(std::sync::Arc<std::sync::Mutex<Option<Slow>>>);
    impl Clone for Shared {
        fn clone(&self) -> Self {
            if STALL.swap(false, Ordering::SeqCst) {
                IN_CLONE.wait();
                let slow = self.0.lock().unwrap().take().expect("one stall");
                let _ = slow.0.recv(); // until the other thread is done
            }
            Shared(self.0.clone())
        }
    }
    struct Counted;
    impl Clone for Counted {
        fn clone(&self) -> Self {
            ALIVE.fetch_add(1, Ordering::SeqCst);
            Counted
        }
    }
    impl Drop for Counted {
        fn drop(&mut self) {
            ALIVE.fetch_sub(1, Ordering::SeqCst);
        }
    }
    let (go_on, stalled) = mpsc::channel();
    let slot = std::sync::Arc::new(std::sync::Mutex::new(Some(Slow(stalled))));
    #[py38::memoize]
    fn read(_k: u32, shared: Shared) -> Shared {
        shared
    }
    #[py38::memoize(maxsize = 4)]
    fn churned(_k: u32) -> Counted {
        ALIVE.fetch_add(1, Ordering::SeqCst);
        Counted
    }
    // Keyed by `k` only: the `Shared` argument is part of the key, so hash it by address.
    impl std::hash::Hash for Shared {
        fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
            std::sync::Arc::as_ptr(&self.0).hash(state);
        }
    }
    impl PartialEq for Shared {
        fn eq(&self, other: &Self) -> bool {
            std::sync::Arc::ptr_eq(&self.0, &other.0)
        }
    }
    impl Eq for Shared {}
    let shared = Shared(slot);
    drop(read(0, shared.clone()));
    std::thread::scope(|s| {
        let argument = shared.clone();
        s.spawn(move || {
            STALL.store(true, Ordering::SeqCst);
            drop(read(0, argument)); // a hit: its clone of the result stalls
        });
        IN_CLONE.wait();
        let mut most = 0;
        for k in 0..5000 {
            drop(churned(k));
            most = most.max(ALIVE.load(Ordering::SeqCst));
        }
        go_on.send(()).unwrap();
        assert!(
            most <= 4 + 1,
            "{most} results of the other cache alive at once"
        );
    });
}

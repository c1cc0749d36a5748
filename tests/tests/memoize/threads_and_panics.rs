//! One cache shared by all threads; panics leave nothing behind.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::atomic::{AtomicUsize, Ordering};

use py38::memoize;

#[test]
fn threads_share_one_cache_and_every_call_is_counted() {
    static RUNS: AtomicUsize = AtomicUsize::new(0);
    #[memoize(maxsize = 16)]
    fn square(n: u64) -> u64 {
        RUNS.fetch_add(1, Ordering::SeqCst);
        n * n
    }
    std::thread::scope(|s| {
        for t in 0..8u64 {
            s.spawn(move || {
                for i in 0..2000u64 {
                    let n = (i * 7 + t) % 24;
                    assert_eq!(square(n), n * n);
                }
            });
        }
    });
    let info = square::cache_info();
    assert_eq!(info.hits + info.misses, 8 * 2000);
    assert_eq!(info.misses, RUNS.load(Ordering::SeqCst) as u64);
    assert!(info.currsize <= 16);
}

#[test]
fn results_computed_on_one_thread_are_hits_on_another() {
    #[memoize]
    fn f(n: u64) -> u64 {
        n + 1
    }
    std::thread::spawn(|| f(1)).join().unwrap();
    assert_eq!(f(1), 2);
    assert_eq!(f::cache_info().hits, 1);
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

#[test]
fn panics_on_many_threads_poison_nothing() {
    #[memoize(maxsize = 8)]
    fn odd_panics(n: u64) -> u64 {
        assert!(n.is_multiple_of(2), "odd input {n}");
        n / 2
    }
    std::thread::scope(|s| {
        for t in 0..4u64 {
            s.spawn(move || {
                for i in 0..200u64 {
                    let n = i + t;
                    let got = catch_unwind(AssertUnwindSafe(|| odd_panics(n)));
                    match got {
                        Ok(half) => assert_eq!(half, n / 2),
                        Err(_) => assert_eq!(n % 2, 1),
                    }
                }
            });
        }
    });
    assert_eq!(odd_panics(10), 5);
    let info = odd_panics::cache_info();
    assert!(info.currsize <= 8);
    assert_eq!(info.hits + info.misses, 4 * 200 + 1);
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

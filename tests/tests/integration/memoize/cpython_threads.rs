//! CPython's threaded `lru_cache` tests ported: `test_lru_cache_threaded`, `..._threaded2` and
//! `..._threaded3`.

use std::sync::Barrier;
use std::thread;
use std::time::Duration;

use py38::{CacheInfo, memoize};

/// CPython's `test_lru_cache_threaded`: threads with keys of their own get exact counts; then
/// a thread clearing the cache while they run breaks nothing.
#[test]
fn cpython_test_lru_cache_threaded() {
    const N: u64 = 5;
    const M: u64 = 11;
    #[memoize(maxsize = 55)]
    fn f(x: u64, y: u64) -> u64 {
        3 * x + y
    }
    assert_eq!(f::cache_info().currsize, 0);

    let start = Barrier::new(N as usize);
    thread::scope(|s| {
        for k in 0..N {
            let start = &start;
            s.spawn(move || {
                start.wait();
                for _ in 0..M {
                    assert_eq!(f(k, 0), 3 * k);
                }
            });
        }
    });
    assert_eq!(
        f::cache_info(),
        CacheInfo {
            hits: M * N - N,
            misses: N,
            maxsize: Some(55),
            currsize: N as usize
        }
    );

    // N threads filling the cache and one clearing it, all at once.
    let start = Barrier::new(N as usize + 1);
    thread::scope(|s| {
        let start = &start;
        s.spawn(move || {
            start.wait();
            for _ in 0..2 * M {
                f::cache_clear();
            }
        });
        for k in 0..N {
            s.spawn(move || {
                start.wait();
                for _ in 0..M {
                    assert_eq!(f(k, 0), 3 * k);
                }
            });
        }
    });
    let before = f::cache_info();
    assert!(before.currsize <= N as usize, "{before}");
    assert!(before.hits + before.misses <= N * M, "{before}");
    // `currsize` says how many results are really there: calling every key finds exactly
    // that many hits.
    for k in 0..N {
        assert_eq!(f(k, 0), 3 * k);
    }
    let after = f::cache_info();
    assert_eq!(after.hits - before.hits, before.currsize as u64);
    assert_eq!(after.currsize, N as usize);
}

/// CPython's `test_lru_cache_threaded2`: `N` threads call with the same argument at once, and
/// all of them miss (each body waits for the others); the result is stored once.
#[test]
fn cpython_test_lru_cache_threaded2_simultaneous_misses_store_once() {
    const N: usize = 5;
    const M: u64 = 7;
    static PAUSE: Barrier = Barrier::new(N + 1);
    #[memoize(maxsize = 35)]
    fn f(x: u64) -> u64 {
        PAUSE.wait();
        3 * x
    }
    assert_eq!(
        f::cache_info(),
        CacheInfo {
            hits: 0,
            misses: 0,
            maxsize: Some(35),
            currsize: 0
        }
    );
    let start = Barrier::new(N + 1);
    let stop = Barrier::new(N + 1);
    thread::scope(|s| {
        for _ in 0..N {
            let (start, stop) = (&start, &stop);
            s.spawn(move || {
                for i in 0..M {
                    start.wait();
                    assert_eq!(f(i), 3 * i);
                    stop.wait();
                }
            });
        }
        for i in 0..M {
            start.wait();
            PAUSE.wait(); // every thread is inside the body: all of them missed
            stop.wait(); // every thread has stored its result
            assert_eq!(
                f::cache_info(),
                CacheInfo {
                    hits: 0,
                    misses: (i + 1) * N as u64,
                    maxsize: Some(35),
                    currsize: i as usize + 1
                }
            );
        }
    });
}

/// CPython's `test_lru_cache_threaded3`: slow bodies, a bound of 2 and overlapping keys.
#[test]
fn cpython_test_lru_cache_threaded3() {
    #[memoize(maxsize = 2)]
    fn f(x: u64) -> u64 {
        thread::sleep(Duration::from_millis(10));
        3 * x
    }
    thread::scope(|s| {
        for x in [1, 2, 2, 3, 2] {
            s.spawn(move || assert_eq!(f(x), 3 * x));
        }
    });
    let info = f::cache_info();
    assert_eq!(info.hits + info.misses, 5);
    assert!(info.misses >= 3, "three distinct keys: {info}");
    assert!(info.currsize <= 2);
}

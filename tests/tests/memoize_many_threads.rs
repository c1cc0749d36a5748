//! Exact LRU order for one thread's calls must not depend on how many other threads the
//! process runs. (A binary of its own, with one test: which threads exist is then known.)

use std::sync::{Barrier, Mutex};
use std::thread;

use py38::memoize;

/// Records which calls ran the body, in order.
static LOG: Mutex<Vec<u64>> = Mutex::new(Vec::new());

#[memoize(maxsize = 2)]
fn f(n: u64) -> u64 {
    LOG.lock().unwrap().push(n);
    n
}

/// Any other memoized function: calling it once makes a thread known to the runtime.
#[memoize]
fn warm(n: u64) -> u64 {
    n
}

/// The calls of CPython's sequence, on one thread: after 1, 2, 1, 2, 1 the least recently
/// used key is 2, so 3 evicts 2 and the final 1 is a hit.
fn run_sequence() -> Vec<u64> {
    LOG.lock().unwrap().clear();
    for n in [1, 2, 1, 2, 1, 3, 1] {
        assert_eq!(f(n), n);
    }
    std::mem::take(&mut *LOG.lock().unwrap())
}

#[test]
fn one_threads_calls_evict_exactly_while_sixteen_other_threads_live() {
    const OTHERS: usize = 16;
    let ready = Barrier::new(OTHERS + 1);
    let release = Barrier::new(OTHERS + 1);
    thread::scope(|s| {
        for i in 0..OTHERS {
            let (ready, release) = (&ready, &release);
            s.spawn(move || {
                assert_eq!(warm(i as u64), i as u64);
                ready.wait();
                release.wait(); // alive until the sequence has run
            });
        }
        ready.wait();
        let ran = thread::spawn(run_sequence).join().unwrap();
        release.wait();
        assert_eq!(ran, [1, 2, 3], "CPython runs the body for 1, 2, 3");
    });
    let info = f::cache_info();
    assert_eq!((info.hits, info.misses, info.currsize), (4, 3, 2));

    // The control: the same sequence on a thread started once the others have ended (their
    // slots are free again) is exact, so the failure above is about the number of threads.
    f::cache_clear();
    let ran = thread::spawn(run_sequence).join().unwrap();
    assert_eq!(ran, [1, 2, 3]);
}

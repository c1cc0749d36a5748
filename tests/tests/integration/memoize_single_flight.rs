//! `#[memoize(single_flight = true)]` on synchronous functions: concurrent calls with one key
//! run the body once; the others wait and count as hits. A panic, an `Err` or a result `keep`
//! refuses wakes the waiters, and one of them computes. Re-entrant calls and recursion neither
//! deadlock nor wait on themselves. Every test runs under a watchdog: a deadlock fails it.

use std::panic::{catch_unwind, resume_unwind};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Barrier, mpsc};
use std::thread;
use std::time::Duration;

use py38::memoize;

/// Callers that miss one key together.
const THREADS: usize = 8;
/// How long a body takes: long enough for every caller to arrive while it runs.
const BODY: Duration = Duration::from_millis(200);
/// A test that has not finished by then is hung.
const LIMIT: Duration = Duration::from_secs(30);

/// Runs `test` on a thread of its own and fails if it has not finished within [`LIMIT`].
fn within<T: Send + 'static>(test: impl FnOnce() -> T + Send + 'static) -> T {
    let (done, finished) = mpsc::channel();
    let runner = thread::spawn(move || {
        let _ = done.send(test());
    });
    match finished.recv_timeout(LIMIT) {
        Ok(value) => value,
        Err(mpsc::RecvTimeoutError::Disconnected) => match runner.join() {
            Err(panic) => resume_unwind(panic),
            Ok(()) => unreachable!("the test's thread ended without its result"),
        },
        Err(mpsc::RecvTimeoutError::Timeout) => panic!("hung: not finished within {LIMIT:?}"),
    }
}

/// Calls `f` from [`THREADS`] threads released together; what each returned (or `None` if it
/// panicked).
fn together<T: Send>(f: impl Fn() -> T + Sync) -> Vec<Option<T>> {
    let start = Barrier::new(THREADS);
    thread::scope(|s| {
        let handles: Vec<_> = (0..THREADS)
            .map(|_| {
                s.spawn(|| {
                    start.wait();
                    catch_unwind(std::panic::AssertUnwindSafe(&f)).ok()
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("panics are caught"))
            .collect()
    })
}

static SLOW_SQUARE_BODIES: AtomicUsize = AtomicUsize::new(0);

#[memoize(single_flight = true)]
fn slow_square(n: u64) -> u64 {
    SLOW_SQUARE_BODIES.fetch_add(1, Ordering::SeqCst);
    thread::sleep(BODY);
    n * n
}

/// The option's point: eight threads that miss one key at once run the body once. (Without
/// `single_flight = true`, each of the eight runs it: CPython's behaviour, the default.)
#[test]
fn eight_threads_missing_one_key_run_the_body_once() {
    let results = within(|| together(|| slow_square(12)));
    assert!(results.iter().all(|r| *r == Some(144)), "{results:?}");
    assert_eq!(SLOW_SQUARE_BODIES.load(Ordering::SeqCst), 1);
    let info = slow_square::cache_info();
    assert_eq!((info.hits, info.misses, info.currsize), (7, 1, 1));
}

#[derive(Clone, Hash, PartialEq, Eq)]
struct Report {
    id: u32,
}

static REPORT_BODIES: AtomicUsize = AtomicUsize::new(0);

impl Report {
    #[memoize(single_flight = true, maxsize = 4)]
    fn render(&self, page: &str) -> String {
        REPORT_BODIES.fetch_add(1, Ordering::SeqCst);
        thread::sleep(BODY);
        format!("report {} page {page}", self.id)
    }
}

#[test]
fn a_method_shares_its_computation_too() {
    let results = within(|| together(|| Report { id: 3 }.render("intro")));
    assert!(
        results
            .iter()
            .all(|r| r.as_deref() == Some("report 3 page intro")),
        "{results:?}"
    );
    assert_eq!(REPORT_BODIES.load(Ordering::SeqCst), 1);
    let info = Report::render_cache_info();
    assert_eq!((info.hits, info.misses), (7, 1));
}

static FLAKY_BODIES: AtomicUsize = AtomicUsize::new(0);

/// Its first run panics; the runs after it succeed.
#[memoize(single_flight = true)]
fn flaky(n: u64) -> u64 {
    let first = FLAKY_BODIES.fetch_add(1, Ordering::SeqCst) == 0;
    thread::sleep(BODY);
    assert!(!first, "the first computation fails");
    n + 1
}

/// The caller that computes first panics; the others, waiting for it, wake, and one of them
/// computes while the rest wait for it: two runs of the body in all, whatever the timing.
#[test]
fn a_panic_in_the_computing_call_lets_one_waiter_compute_for_the_rest() {
    let results = within(|| together(|| flaky(1)));
    assert_eq!(
        results.iter().filter(|r| r.is_none()).count(),
        1,
        "{results:?}"
    );
    assert_eq!(results.iter().filter(|r| **r == Some(2)).count(), 7);
    assert_eq!(FLAKY_BODIES.load(Ordering::SeqCst), 2);
    let info = flaky::cache_info();
    assert_eq!((info.hits, info.misses, info.currsize), (6, 2, 1));
}

static FALLIBLE_BODIES: AtomicUsize = AtomicUsize::new(0);

/// Its first run returns an `Err`; the runs after it succeed.
#[memoize(single_flight = true)]
fn fallible(n: u64) -> Result<u64, String> {
    let first = FALLIBLE_BODIES.fetch_add(1, Ordering::SeqCst) == 0;
    thread::sleep(BODY);
    if first {
        Err("the first computation fails".to_owned())
    } else {
        Ok(n * 10)
    }
}

/// An `Err` is returned to its own caller only, and not shared: the waiters look up again.
#[test]
fn an_err_goes_to_its_caller_and_one_waiter_computes_for_the_rest() {
    let results = within(|| together(|| fallible(4)));
    let errors = results
        .iter()
        .filter(|r| matches!(r, Some(Err(e)) if e == "the first computation fails"))
        .count();
    assert_eq!(errors, 1, "{results:?}");
    assert_eq!(results.iter().filter(|r| **r == Some(Ok(40))).count(), 7);
    assert_eq!(FALLIBLE_BODIES.load(Ordering::SeqCst), 2);
    let info = fallible::cache_info();
    assert_eq!((info.hits, info.misses, info.currsize), (6, 2, 1));
}

static PICKY_BODIES: AtomicUsize = AtomicUsize::new(0);

/// Its first result is refused by `keep`.
#[memoize(single_flight = true, keep = |v: &u64| *v != 0)]
fn picky(n: u64) -> u64 {
    let first = PICKY_BODIES.fetch_add(1, Ordering::SeqCst) == 0;
    thread::sleep(BODY);
    if first { 0 } else { n }
}

#[test]
fn a_result_keep_refuses_is_not_shared() {
    let results = within(|| together(|| picky(5)));
    assert_eq!(results.iter().filter(|r| **r == Some(0)).count(), 1);
    assert_eq!(results.iter().filter(|r| **r == Some(5)).count(), 7);
    assert_eq!(PICKY_BODIES.load(Ordering::SeqCst), 2);
}

static REENTER_FIRST: AtomicBool = AtomicBool::new(true);

/// Calls itself with its own key once, while computing it.
#[memoize(single_flight = true)]
fn reenter(n: u64) -> u64 {
    if REENTER_FIRST.swap(false, Ordering::SeqCst) {
        reenter(n) + 1
    } else {
        n
    }
}

/// A call with the key its own thread is computing runs its body: waiting for itself would
/// never end.
#[test]
fn a_reentrant_call_with_the_key_being_computed_does_not_deadlock() {
    assert_eq!(within(|| reenter(10)), 11);
    let info = reenter::cache_info();
    assert_eq!((info.hits, info.misses), (0, 2));
    // The inner result, stored first, stays (CPython's bounded cache keeps it).
    assert_eq!(reenter(10), 10);
}

static FIB_BODIES: AtomicU64 = AtomicU64::new(0);

#[memoize(single_flight = true, maxsize = None)]
fn fib(n: u64) -> u64 {
    FIB_BODIES.fetch_add(1, Ordering::SeqCst);
    thread::yield_now();
    if n < 2 { n } else { fib(n - 1) + fib(n - 2) }
}

/// Recursion over other keys, from eight threads at once: every key's body runs exactly once,
/// across all of them (a thread that reaches a key another is computing waits for it).
#[test]
fn recursion_from_eight_threads_computes_each_key_once() {
    let results = within(|| together(|| fib(90)));
    assert!(
        results
            .iter()
            .all(|r| *r == Some(2_880_067_194_370_816_120)),
        "{results:?}"
    );
    assert_eq!(FIB_BODIES.load(Ordering::SeqCst), 91);
    // 8 calls of `fib(90)` and 2 from each of the 89 bodies with `n >= 2`: 186 calls, 91 misses.
    let info = fib::cache_info();
    assert_eq!((info.hits, info.misses, info.currsize), (95, 91, 91));
}

static TURN: Barrier = Barrier::new(2);
static PING_FIRST: [AtomicBool; 2] = [AtomicBool::new(true), AtomicBool::new(true)];

/// Key 0 computes with key 1, and key 1 with key 0, the first time each runs.
#[memoize(single_flight = true)]
fn ping(side: usize) -> usize {
    let other = 1 - side;
    if PING_FIRST[side].swap(false, Ordering::SeqCst) {
        TURN.wait(); // both keys are being computed, on two threads
        10 * side + 1 + ping(other)
    } else {
        10 * side + 1
    }
}

/// Two threads, each computing the key the other asks for: whichever asks second would wait
/// for a thread that waits for it, and computes instead.
#[test]
fn two_threads_asking_for_each_others_key_do_not_deadlock() {
    let values = within(|| {
        thread::scope(|s| {
            let handles = [s.spawn(|| ping(0)), s.spawn(|| ping(1))];
            handles.map(|h| h.join().expect("join"))
        })
    });
    // One waited for the other's result, which the other computed with the first key's value.
    assert!(
        values == [1 + 11 + 1, 11 + 1] || values == [1 + 11, 11 + 1 + 11],
        "{values:?}"
    );
}

static UNSHARED_BODIES: AtomicUsize = AtomicUsize::new(0);

/// `maxsize = 0` keeps nothing, and so shares nothing: as an `async fn` with `maxsize = 0`.
#[memoize(single_flight = true, maxsize = 0)]
fn unshared(n: u64) -> u64 {
    UNSHARED_BODIES.fetch_add(1, Ordering::SeqCst);
    thread::sleep(Duration::from_millis(20));
    n
}

#[test]
fn maxsize_zero_shares_nothing() {
    let results = within(|| together(|| unshared(1)));
    assert!(results.iter().all(|r| *r == Some(1)));
    assert_eq!(UNSHARED_BODIES.load(Ordering::SeqCst), THREADS);
    assert_eq!(unshared::cache_info().misses, THREADS as u64);
}

#[memoize(single_flight = true)]
fn doubled(n: u64) -> u64 {
    n * 2
}

/// The controls work as without the option.
#[test]
fn the_controls_work_as_without_the_option() {
    assert_eq!(within(|| doubled(3)), 6);
    assert_eq!(within(|| doubled(3)), 6);
    let info = doubled::cache_info();
    assert_eq!((info.hits, info.misses, info.currsize), (1, 1, 1));
    assert!(doubled::cache_invalidate(3));
    assert!(!doubled::cache_invalidate(3));
    assert_eq!(doubled::cache_parameters().maxsize, Some(128));
    doubled::cache_clear();
    assert_eq!(
        doubled::cache_info(),
        py38::CacheInfo {
            maxsize: Some(128),
            ..Default::default()
        }
    );
}

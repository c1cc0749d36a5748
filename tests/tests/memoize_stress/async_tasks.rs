//! async fn under tokio: many tasks on the same keys, some aborted mid-flight.

use std::panic::resume_unwind;
use std::time::{Duration, Instant};

use py38::memoize;

use crate::harness::{Rng, Stress};
use crate::targets::{Cache, assert_drained, cache};
use crate::values::{Tally, Value, check_fallible, error_of, fails};

static FETCHED: Tally = Tally::new();
static FETCHED_EXPIRING: Tally = Tally::new();

/// Result copies an `async fn`'s cache may keep after `cache_clear()`: none (a finished
/// computation's result is shared with its waiters only, and dropped by the last of them).
const ASYNC_KEPT_AFTER_CLEAR: isize = 0;
/// Threads of the async test's runtime.
const ASYNC_WORKERS: usize = 4;

/// Keys of the async functions, and tasks spawned per round.
const ASYNC_KEYS: u64 = 12;
const TASKS_PER_ROUND: usize = 64;

#[memoize(maxsize = 8)]
async fn fetch(k: u64) -> Result<Value, String> {
    for _ in 0..k % 4 {
        tokio::task::yield_now().await;
    }
    if k.is_multiple_of(2) {
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    if fails(k) {
        Err(error_of(k))
    } else {
        Ok(Value::new(k, 8, &FETCHED))
    }
}

#[memoize(maxsize = None, ttl = 0.002)]
async fn fetch_expiring(k: u64) -> Value {
    tokio::task::yield_now().await;
    Value::new(k, 8, &FETCHED_EXPIRING)
}

/// What the async test's tasks did.
#[derive(Default)]
struct Tasks {
    finished: u64,
    cancelled: u64,
    aborted_too_late: u64,
}

/// Spawns a round of tasks on few keys, aborts one in four at a random moment, invalidates
/// and clears while they run, then checks every task: an aborted one was cancelled or finished
/// right, every other one finished right.
async fn async_round(rng: &mut Rng, tasks: &mut Tasks) {
    let mut handles = Vec::with_capacity(TASKS_PER_ROUND);
    for _ in 0..TASKS_PER_ROUND {
        let k = rng.below(ASYNC_KEYS);
        let expiring = rng.one_in(3);
        Tally::count(if expiring {
            &FETCHED_EXPIRING.calls
        } else {
            &FETCHED.calls
        });
        let handle = tokio::spawn(async move {
            if expiring {
                let value = fetch_expiring(k).await;
                value.check(k);
            } else {
                check_fallible(k, fetch(k).await);
            }
        });
        let abort = rng.one_in(4);
        if abort {
            let (abort_handle, yields) = (handle.abort_handle(), rng.below(8));
            let sleep = rng.one_in(4);
            tokio::spawn(async move {
                for _ in 0..yields {
                    tokio::task::yield_now().await;
                }
                if sleep {
                    tokio::time::sleep(Duration::from_millis(1)).await;
                }
                abort_handle.abort();
            });
        }
        handles.push((k, abort, handle));
    }
    for _ in 0..rng.below(8) {
        tokio::task::yield_now().await;
        match rng.below(8) {
            0 => {
                Tally::count(&FETCHED.clears);
                fetch::cache_clear();
            }
            1 => {
                Tally::count(&FETCHED_EXPIRING.clears);
                fetch_expiring::cache_clear();
            }
            2..=4 => {
                Tally::count(&FETCHED.invalidations);
                fetch::cache_invalidate(rng.below(ASYNC_KEYS));
            }
            _ => {
                Tally::count(&FETCHED_EXPIRING.invalidations);
                fetch_expiring::cache_invalidate(rng.below(ASYNC_KEYS));
            }
        }
    }
    for (k, aborted, handle) in handles {
        match handle.await {
            Ok(()) if aborted => tasks.aborted_too_late += 1,
            Ok(()) => tasks.finished += 1,
            Err(error) if error.is_panic() => resume_unwind(error.into_panic()),
            Err(error) => {
                assert!(aborted && error.is_cancelled(), "task for {k}: {error}");
                tasks.cancelled += 1;
            }
        }
    }
}

/// An `async fn` with errors and an expiring one, called by 64 tasks a round on 12 keys on a
/// four-thread tokio runtime; one task in four is aborted at a random moment (before its
/// computation, while it drives it, while it waits for another's), and caches are cleared and
/// invalidated meanwhile. Every task not aborted finishes with the right result; once the
/// caches are cleared, no more values are left than [`ASYNC_KEPT_AFTER_CLEAR`].
#[test]
fn async_tasks_on_the_same_keys_some_aborted_all_others_finish_right() {
    let stress = Stress::new("async");
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(ASYNC_WORKERS)
        .enable_time()
        .build()
        .expect("a tokio runtime");
    stress.phase("async: rounds");
    let deadline = Instant::now() + stress.duration;
    let (rounds, tasks) = runtime.block_on(async {
        let (mut rng, mut tasks, mut rounds) = (Rng::new(stress.seed), Tasks::default(), 0u64);
        while Instant::now() < deadline {
            async_round(&mut rng, &mut tasks).await;
            rounds += 1;
        }
        (rounds, tasks)
    });
    stress.phase("async: runtime shutdown");
    drop(runtime);
    println!(
        "  {rounds} rounds: {} tasks finished, {} aborted and cancelled, {} aborted after \
         they finished",
        tasks.finished, tasks.cancelled, tasks.aborted_too_late
    );
    println!("  fetch: {FETCHED} | {}", fetch::cache_info());
    println!(
        "  fetch_expiring: {FETCHED_EXPIRING} | {}",
        fetch_expiring::cache_info()
    );
    assert!(
        tasks.finished > 0 && tasks.cancelled > 0,
        "nothing stressed"
    );
    stress.phase("async: draining");
    assert_drained(
        [
            cache!(fetch, FETCHED),
            cache!(fetch_expiring, FETCHED_EXPIRING),
        ],
        ASYNC_KEPT_AFTER_CLEAR,
    );
}

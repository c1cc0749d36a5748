use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Barrier, mpsc};
use std::time::Duration;

use super::*;
use crate::key::owned;
use crate::outcome::{OkOnly, Probe as ResultProbe, Whole, keep_all};
use crate::store::hash_of;

type Flights = Store<(u32,), u32>;

/// How long a test may take before it counts as hung (Miri runs far slower).
const LIMIT: Duration = Duration::from_secs(if cfg!(miri) { 3600 } else { 30 });

/// Runs `test` on a thread of its own and fails if it has not finished within [`LIMIT`]: a
/// deadlock fails the test instead of hanging the run.
fn within(test: impl FnOnce() + Send + 'static) {
    let (done, finished) = mpsc::channel();
    let runner = thread::spawn(move || {
        test();
        let _ = done.send(());
    });
    match finished.recv_timeout(LIMIT) {
        Ok(()) => runner.join().expect("the test's thread"),
        Err(mpsc::RecvTimeoutError::Disconnected) => match runner.join() {
            Err(panic) => resume_unwind(panic),
            Ok(()) => unreachable!("the test's thread ended without saying so"),
        },
        Err(mpsc::RecvTimeoutError::Timeout) => {
            panic!("hung: the test has not finished within {LIMIT:?}")
        }
    }
}

/// A call of a memoized function of `u32`, the way generated code makes it: the body runs as
/// `settle`'s argument, so a panic in it drops the pending miss.
fn call(store: &Flights, key: u32, body: impl FnOnce() -> u32) -> u32 {
    match store.lookup_flight((owned(&key),)) {
        FlightLookup::Hit(value) => value,
        FlightLookup::Miss(pending) => pending.settle(Whole::default(), body(), keep_all),
    }
}

/// How many callers wait on the flight of `key`, if one is under way.
fn waiters(store: &Flights, key: u32) -> usize {
    let key = (owned(&key),);
    let flights = store.sync_flights().pin();
    flights
        .get(&Probe {
            hash: hash_of(&key),
            key: &key,
        })
        .map_or(0, |flight| flight.shared().waiting)
}

/// Waits (politely) until `done` holds; the test's watchdog bounds it.
fn until(done: impl Fn() -> bool) {
    while !done() {
        thread::sleep(Duration::from_millis(1));
    }
}

fn counts(store: &Flights) -> (u64, u64, usize) {
    let info = store.info(None);
    (info.hits, info.misses, info.currsize)
}

#[test]
fn two_threads_missing_one_key_run_the_body_once() {
    within(|| {
        let store = Flights::new(None, None);
        let bodies = AtomicUsize::new(0);
        let values = thread::scope(|s| {
            let (store, bodies) = (&store, &bodies);
            let driver = s.spawn(move || {
                call(store, 1, || {
                    bodies.fetch_add(1, Ordering::SeqCst);
                    // The other caller is blocked on this computation before it ends.
                    until(|| waiters(store, 1) == 1);
                    10
                })
            });
            until(|| bodies.load(Ordering::SeqCst) == 1);
            let waiter = s.spawn(move || call(store, 1, || unreachable!("the waiter computed")));
            [driver, waiter].map(|h| h.join().expect("join"))
        });
        assert_eq!(values, [10, 10]);
        assert_eq!(bodies.load(Ordering::SeqCst), 1);
        // The waiter counts as a hit, as a joined `async fn` computation does.
        assert_eq!(counts(&store), (1, 1, 1));
        assert_eq!(waiters(&store, 1), 0, "the flight left the table");
        assert_eq!(store.sync_flights().len(), 0);
    });
}

/// The leader's `body` ends its computation without a result to share; the waiter, blocked on
/// it meanwhile, computes anew. Returns what each got, and the counts.
fn leader_fails_then_waiter_computes(
    leader: impl FnOnce(&Flights) -> Option<u32> + Send,
) -> (Option<u32>, u32, (u64, u64, usize)) {
    let store = Flights::new(Some(8), None);
    let (first, second) = thread::scope(|s| {
        let store = &store;
        let leading = s.spawn(move || leader(store));
        // The leader computes once its flight is in the table.
        until(|| store.sync_flights().len() == 1);
        let waiting = s.spawn(move || call(store, 1, || 20));
        (
            leading.join().expect("the leader's panic is caught"),
            waiting.join().expect("the waiter"),
        )
    });
    (first, second, counts(&store))
}

#[test]
fn a_leader_that_panics_wakes_the_waiter_which_computes() {
    within(|| {
        let (first, second, counts) = leader_fails_then_waiter_computes(|store| {
            catch_unwind(AssertUnwindSafe(|| {
                call(store, 1, || {
                    until(|| waiters(store, 1) == 1);
                    panic!("the leader's body panics");
                })
            }))
            .ok()
        });
        assert_eq!((first, second), (None, 20));
        assert_eq!(counts, (0, 2, 1), "two misses, one stored result");
    });
}

#[test]
fn a_leader_that_returns_err_wakes_the_waiter_which_computes() {
    within(|| {
        let (first, second, counts) = leader_fails_then_waiter_computes(|store| {
            let outcome: OkOnly<u32, String> = ResultProbe::<Result<u32, String>>::new().outcome();
            let result = match store.lookup_flight((owned(&1u32),)) {
                FlightLookup::Hit(value) => Ok(value),
                FlightLookup::Miss(pending) => {
                    until(|| waiters(store, 1) == 1);
                    pending.settle(outcome, Err("failed".to_owned()), keep_all)
                }
            };
            assert_eq!(result, Err("failed".to_owned()));
            None
        });
        assert_eq!((first, second), (None, 20));
        assert_eq!(counts, (0, 2, 1));
    });
}

#[test]
fn a_result_keep_refuses_wakes_the_waiter_which_computes() {
    within(|| {
        let (first, second, counts) = leader_fails_then_waiter_computes(|store| {
            let FlightLookup::Miss(pending) = store.lookup_flight((owned(&1u32),)) else {
                panic!("the leader misses");
            };
            until(|| waiters(store, 1) == 1);
            Some(pending.settle(Whole::default(), 0, |value: &u32| *value != 0))
        });
        assert_eq!((first, second), (Some(0), 20));
        assert_eq!(counts, (0, 2, 1));
    });
}

/// Of several callers waiting on a computation that fails, one computes anew and the others
/// wait for it.
#[test]
fn after_a_failure_one_waiter_computes_for_the_others() {
    within(|| {
        let store = Flights::new(Some(8), None);
        let bodies = AtomicUsize::new(0);
        let waiting = if cfg!(miri) { 3 } else { 6 };
        let results = thread::scope(|s| {
            let (store, bodies) = (&store, &bodies);
            let leader = s.spawn(move || {
                catch_unwind(AssertUnwindSafe(|| {
                    call(store, 1, || {
                        until(|| waiters(store, 1) == waiting);
                        panic!("the first computation fails")
                    })
                }))
                .is_err()
            });
            until(|| store.sync_flights().len() == 1);
            let others: Vec<_> = (0..waiting)
                .map(|_| {
                    s.spawn(move || {
                        call(store, 1, || {
                            bodies.fetch_add(1, Ordering::SeqCst);
                            // Every other waiter is blocked on this one before it ends.
                            until(|| waiters(store, 1) == waiting - 1);
                            30
                        })
                    })
                })
                .collect();
            assert!(leader.join().expect("the leader"));
            others
                .into_iter()
                .map(|h| h.join().expect("a waiter"))
                .collect::<Vec<_>>()
        });
        assert!(results.iter().all(|&value| value == 30), "{results:?}");
        assert_eq!(bodies.load(Ordering::SeqCst), 1);
        let hits = u64::try_from(waiting - 1).expect("small");
        assert_eq!(counts(&store), (hits, 2, 1));
    });
}

#[test]
fn a_reentrant_call_with_the_key_being_computed_runs_its_body() {
    within(|| {
        let store = Flights::new(Some(8), None);
        let outer = call(&store, 1, || {
            // The same key, on the thread computing it: waiting would never end.
            call(&store, 1, || 5) + 1
        });
        assert_eq!(outer, 6);
        // Two misses; a bounded store keeps the result stored first (CPython's rule).
        assert_eq!(counts(&store), (0, 2, 1));
        assert_eq!(call(&store, 1, || unreachable!()), 5);
    });
}

fn fib(store: &Flights, n: u32) -> u32 {
    call(store, n, || {
        if n < 2 {
            n
        } else {
            fib(store, n - 1) + fib(store, n - 2)
        }
    })
}

#[test]
fn recursion_over_other_keys_works_as_without_the_option() {
    within(|| {
        let store = Flights::new(None, None);
        assert_eq!(fib(&store, 30), 832_040);
        assert_eq!(counts(&store), (28, 31, 31));
        assert_eq!(store.sync_flights().len(), 0);
    });
}

/// Two threads drive a key each and, inside, call the other's key: the second to try would
/// close a cycle of waits, and computes instead.
#[test]
fn two_threads_each_calling_the_key_the_other_computes_do_not_deadlock() {
    within(|| {
        let store = Flights::new(Some(8), None);
        let first = [AtomicBool::new(true), AtomicBool::new(true)];
        let inside = Barrier::new(2);
        let twice = |key: u32| -> u32 {
            let other = 3 - key;
            call(&store, key, || {
                if first[key as usize - 1].swap(false, Ordering::SeqCst) {
                    inside.wait();
                    key * 10 + call(&store, other, || other * 10)
                } else {
                    key * 10
                }
            })
        };
        let values = thread::scope(|s| {
            let handles = [s.spawn(|| twice(1)), s.spawn(|| twice(2))];
            handles.map(|h| h.join().expect("join"))
        });
        // One thread waited for the other's result; the other computed the first's key itself.
        assert!(
            values == [10 + 20 + 10, 20 + 10] || values == [10 + 20, 20 + 10 + 20],
            "{values:?}"
        );
        assert_eq!(store.sync_flights().len(), 0);
    });
}

#[test]
fn many_threads_missing_one_key_together_run_the_body_once() {
    within(|| {
        let threads = if cfg!(miri) { 4 } else { 8 };
        let store = Flights::new(Some(8), None);
        let bodies = AtomicUsize::new(0);
        let start = Barrier::new(threads);
        thread::scope(|s| {
            for _ in 0..threads {
                s.spawn(|| {
                    start.wait();
                    let value = call(&store, 7, || {
                        bodies.fetch_add(1, Ordering::SeqCst);
                        thread::sleep(Duration::from_millis(20));
                        70
                    });
                    assert_eq!(value, 70);
                });
            }
        });
        assert_eq!(bodies.load(Ordering::SeqCst), 1);
        let hits = u64::try_from(threads - 1).expect("small");
        assert_eq!(counts(&store), (hits, 1, 1));
    });
}

#[test]
fn maxsize_zero_shares_nothing() {
    within(|| {
        let store = Flights::new(Some(0), None);
        let bodies = AtomicUsize::new(0);
        let start = Barrier::new(2);
        thread::scope(|s| {
            for _ in 0..2 {
                s.spawn(|| {
                    start.wait();
                    call(&store, 1, || {
                        bodies.fetch_add(1, Ordering::SeqCst);
                        start.wait(); // both are in the body at once
                        1
                    })
                });
            }
        });
        assert_eq!(bodies.load(Ordering::SeqCst), 2);
        assert_eq!(store.info(Some(0)).misses, 2);
        assert_eq!(store.sync_flights().len(), 0);
    });
}

/// A flight that ended without a result but stayed in the table (its driver could not take it
/// out: a key's `Eq` panicked there) is taken out by the next caller, which computes.
#[test]
fn an_ended_flight_left_in_the_table_is_taken_out() {
    within(|| {
        let store = Flights::new(Some(8), None);
        let key = (owned(&1u32),);
        let stale = Arc::new(SyncFlight::new());
        stale.abandon();
        let hashed = Hashed {
            hash: hash_of(&key),
            key: (1u32,),
        };
        assert!(store.sync_flights().pin().try_insert(hashed, stale).is_ok());
        assert_eq!(call(&store, 1, || 10), 10);
        assert_eq!(counts(&store), (0, 1, 1));
        assert_eq!(store.sync_flights().len(), 0);
    });
}

/// A key whose `Eq` panics while the driver takes its flight out, as it unwinds from a panic in
/// the body: the process does not abort, and the waiters do not hang.
#[test]
fn a_panic_in_eq_while_abandoning_wakes_the_waiters() {
    #[derive(Clone)]
    struct Touchy(u32);
    impl std::hash::Hash for Touchy {
        fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
            self.0.hash(state);
        }
    }
    static PANIC_IN_EQ: AtomicBool = AtomicBool::new(false);
    impl PartialEq for Touchy {
        fn eq(&self, other: &Self) -> bool {
            assert!(!PANIC_IN_EQ.load(Ordering::SeqCst), "the key's Eq panics");
            self.0 == other.0
        }
    }
    impl Eq for Touchy {}
    within(|| {
        let store: Store<(Touchy,), u32> = Store::new(Some(8), None);
        let flights = || store.sync_flights().len();
        let waiting = || {
            store
                .sync_flights()
                .pin()
                .iter()
                .map(|(_, flight)| flight.shared().waiting)
                .sum::<usize>()
        };
        let call = |body: &dyn Fn() -> u32| match store.lookup_flight((owned(&Touchy(1)),)) {
            FlightLookup::Hit(value) => value,
            FlightLookup::Miss(pending) => pending.settle(Whole::default(), body(), keep_all),
        };
        let (leader, waiter) = thread::scope(|s| {
            let leader = s.spawn(|| {
                catch_unwind(AssertUnwindSafe(|| {
                    call(&|| {
                        until(|| waiting() == 1);
                        PANIC_IN_EQ.store(true, Ordering::SeqCst);
                        panic!("the body panics");
                    })
                }))
                .is_err()
            });
            until(|| flights() == 1);
            let waiter = s.spawn(|| {
                let value = catch_unwind(AssertUnwindSafe(|| call(&|| 20)));
                // Its look-up again compares keys too: it may panic as well, but not hang.
                PANIC_IN_EQ.store(false, Ordering::SeqCst);
                value.ok()
            });
            (leader.join(), waiter.join())
        });
        assert!(leader.expect("the leader's panics are caught"));
        let waiter = waiter.expect("the waiter's panics are caught");
        assert!(matches!(waiter, None | Some(20)), "{waiter:?}");
        // The table is clean again once `Eq` behaves.
        assert_eq!(call(&|| 20), 20);
        assert_eq!(flights(), 0);
    });
}

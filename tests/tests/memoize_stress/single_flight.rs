//! `single_flight = true`: concurrent calls with one key share one computation, under load.

use std::sync::atomic::Ordering::Relaxed;
use std::thread;
use std::time::Instant;

use py38::memoize;

use crate::THREADS;
use crate::harness::Stress;
use crate::targets::{
    Cache, Target, assert_drained, cache, check_every_key, exercise, report, target,
};
use crate::values::{Bomb, Tally, Value, check_fallible, error_of, fails, key_of, key_text};

static SHARED_FALLIBLE: Tally = Tally::new();
static SHARED_WORDS: Tally = Tally::new();
static SHARED_EXPIRING: Tally = Tally::new();
static SHARED_FIB: Tally = Tally::new();
static SHARED_ONCE: Tally = Tally::new();
static SHARED_BODY_BOMB: Bomb = Bomb::new("a shared computation's body", 29);

/// The reference of `shared_fib`.
fn fib_reference(n: u64) -> u64 {
    let (mut a, mut b) = (0u64, 1u64);
    for _ in 0..n {
        (a, b) = (b, a + b);
    }
    a
}

#[memoize(maxsize = 8, single_flight = true)]
fn shared_fallible(k: u64) -> Result<Value, String> {
    thread::yield_now(); // a body that takes a moment: other callers arrive meanwhile
    SHARED_BODY_BOMB.tick();
    if fails(k) {
        Err(error_of(k))
    } else {
        Ok(Value::new(k, 1, &SHARED_FALLIBLE))
    }
}

#[memoize(maxsize = None, single_flight = true)]
fn shared_words(text: &str) -> Value {
    thread::yield_now();
    SHARED_BODY_BOMB.tick();
    Value::new(key_of(text), 1, &SHARED_WORDS)
}

#[memoize(maxsize = 16, ttl = 0.002, single_flight = true)]
fn shared_expiring(k: u64) -> Value {
    thread::yield_now();
    Value::new(k, 1, &SHARED_EXPIRING)
}

#[memoize(maxsize = 32, single_flight = true)]
fn shared_fib(n: u64) -> u64 {
    Tally::count(&SHARED_FIB.bodies);
    if n < 2 {
        n
    } else {
        shared_fib(n - 1) + shared_fib(n - 2)
    }
}

/// Eight threads call, invalidate and clear four functions with `single_flight = true`: bounded
/// and fallible, unbounded by `&str`, expiring after 2 ms, and recursive; the first two's bodies
/// panic now and then. No call hangs (the watchdog), every call that returns is right, and once
/// cleared every cache lets go of every copy of its results.
#[test]
fn shared_computations_survive_panics_errors_clears_and_expiry() {
    let stress = Stress::new("single_flight");
    let targets = [
        target!(
            shared_fallible,
            keys = 24,
            SHARED_FALLIBLE,
            call = |k| check_fallible(k, shared_fallible(k))
        ),
        target!(
            shared_words,
            keys = 48,
            SHARED_WORDS,
            call = |k| shared_words(&key_text(k)).check(k),
            invalidate = |k| shared_words::cache_invalidate(&key_text(k))
        ),
        target!(
            shared_expiring,
            keys = 16,
            SHARED_EXPIRING,
            call = |k| shared_expiring(k).check(k)
        ),
        target!(
            shared_fib,
            keys = 80,
            SHARED_FIB,
            call = |n| assert_eq!(shared_fib(n), fib_reference(n), "fib({n})")
        ),
    ];
    SHARED_BODY_BOMB.armed.store(true, Relaxed);
    let operations = stress.run("single_flight: workers", THREADS, |_, rng| {
        exercise(&targets, rng);
    });
    SHARED_BODY_BOMB.armed.store(false, Relaxed);
    println!("  {operations} operations on {THREADS} threads");
    println!(
        "  {} panicked {} times",
        SHARED_BODY_BOMB.what,
        SHARED_BODY_BOMB.fired.load(Relaxed)
    );
    stress.phase("single_flight: checking every key");
    check_every_key(&targets);
    report(&targets);
    assert!(
        SHARED_BODY_BOMB.fired.load(Relaxed) > 0,
        "no body panicked: the test tested less than it says"
    );
    stress.phase("single_flight: draining");
    assert_drained(targets.iter().map(|t| t.cache), 0);
}

#[memoize(maxsize = None, single_flight = true)]
fn shared_once(k: u64) -> Value {
    thread::yield_now();
    Value::new(k, 1, &SHARED_ONCE)
}

/// Keys each thread draws from at once: a fresh set every [`ROUND_MS`], so that the threads
/// keep missing the same keys together.
const ROUND_KEYS: u64 = 64;
const ROUND_MS: u128 = 5;

/// Eight threads call an unbounded function with `single_flight = true` on the same fresh keys
/// at once, and nothing is cleared: every key's body runs exactly once, however many threads
/// missed it together, and every other call is a hit.
#[test]
fn with_nothing_cleared_each_key_is_computed_once() {
    let stress = Stress::new("single_flight_once");
    let start = Instant::now();
    let calls = stress.run("single_flight_once: workers", THREADS, |_, rng| {
        let round = u64::try_from(start.elapsed().as_millis() / ROUND_MS).unwrap_or(u64::MAX);
        let k = round * ROUND_KEYS + rng.below(ROUND_KEYS);
        shared_once(k).check(k);
    });
    let info = shared_once::cache_info();
    let bodies = SHARED_ONCE.bodies.load(Relaxed);
    println!("  {calls} calls on {THREADS} threads: {info}; {bodies} bodies");
    assert_eq!(info.hits + info.misses, calls, "{info}");
    assert_eq!(bodies, info.misses, "a key was computed twice: {info}");
    assert_eq!(info.currsize as u64, bodies, "{info}");
    stress.phase("single_flight_once: draining");
    assert_drained([cache!(shared_once, SHARED_ONCE)], 0);
}

//! Re-entrancy: bodies that call memoized functions, their own included, while caches clear.

use std::thread;

use py38::memoize;

use crate::THREADS;
use crate::harness::Stress;
use crate::targets::{Cache, Target, cache, check_every_key, exercise, report, target};
use crate::values::Tally;

static FIB: Tally = Tally::new();
static FIB_SUM: Tally = Tally::new();
static EVEN: Tally = Tally::new();
static ODD: Tally = Tally::new();

/// Fibonacci by iteration, the reference.
fn fib_reference(n: u64) -> u64 {
    let (mut a, mut b) = (0u64, 1u64);
    for _ in 0..n {
        (a, b) = (b, a + b);
    }
    a
}

#[memoize(maxsize = 64)]
fn fib(n: u64) -> u64 {
    Tally::count(&FIB.bodies);
    if n < 2 { n } else { fib(n - 1) + fib(n - 2) }
}

/// `fib(0) + ... + fib(n)`, which is `fib(n + 2) - 1`: calls `fib` and itself.
#[memoize(maxsize = 16)]
fn fib_sum(n: u64) -> u64 {
    Tally::count(&FIB_SUM.bodies);
    if n == 0 { 0 } else { fib(n) + fib_sum(n - 1) }
}

#[memoize(maxsize = 32)]
fn is_even(n: u64) -> bool {
    Tally::count(&EVEN.bodies);
    n == 0 || is_odd(n - 1)
}

#[memoize(maxsize = 32)]
fn is_odd(n: u64) -> bool {
    Tally::count(&ODD.bodies);
    n != 0 && is_even(n - 1)
}

/// Recursive and mutually recursive functions (`fib`, `fib_sum` over `fib` and itself,
/// `is_even`/`is_odd`, up to ~180 memoized frames deep) on seven threads, while an eighth clears
/// and invalidates their caches without pause: no deadlock, every result right.
#[test]
fn recursion_and_reentrant_calls_while_another_thread_clears() {
    let stress = Stress::new("reentrancy");
    let targets = [
        target!(
            fib,
            keys = 91,
            FIB,
            call = |n| assert_eq!(fib(n), fib_reference(n), "fib({n})")
        ),
        target!(
            fib_sum,
            keys = 89,
            FIB_SUM,
            call = |n| assert_eq!(fib_sum(n), fib_reference(n + 2) - 1, "fib_sum({n})")
        ),
        target!(
            is_even,
            keys = 128,
            EVEN,
            call = |n| assert_eq!(is_even(n), n.is_multiple_of(2))
        ),
        target!(
            is_odd,
            keys = 128,
            ODD,
            call = |n| assert_eq!(is_odd(n), !n.is_multiple_of(2))
        ),
    ];
    let iterations = stress.run("reentrancy: workers", THREADS, |worker, rng| {
        if worker > 0 {
            return exercise(&targets, rng);
        }
        let target = &targets[rng.below(targets.len() as u64) as usize];
        if rng.one_in(2) {
            Tally::count(&target.cache.tally.clears);
            (target.cache.clear)();
        } else {
            Tally::count(&target.cache.tally.invalidations);
            (target.invalidate)(rng.below(target.keys));
        }
        thread::yield_now();
    });
    println!("  {iterations} iterations on {THREADS} threads");
    stress.phase("reentrancy: checking every key");
    check_every_key(&targets);
    report(&targets);
}

//! Makes 1,000,000 hits (u64 key, 64 keys cycling) on one contender, or with `miss` after
//! its name 1,000,000 misses (a new key each time, so each also evicts), for counting the
//! instructions of a call (repeatable where timings are noisy):
//!
//! ```sh
//! cargo build --release -p py38-bench --example memoize_instructions
//! for c in py38 py38_unbounded py38_single_flight hand cached memoize; do
//!     valgrind --tool=callgrind --callgrind-out-file=/dev/null \
//!         target/release/examples/memoize_instructions $c 2>&1 | grep refs
//! done
//! ```
//! Subtract a run with `none` (the loop alone) and divide by 1,000,000.
//! (`... memoize_instructions $c miss` for misses.)
//!
//! `... memoize_instructions $c grow` empties an unbounded cache and fills it with 10,000 new
//! keys, 100 times (`$c`: py38 or cached, each with its own control): divide by 1,000,000.
//!
//! `... memoize_instructions $c fib` computes `fib(34)` from an empty cache 10,000 times
//! instead (`$c`: py38, hand, cached, memoize or none): divide by 10,000.

use std::hint::black_box;

use py38_bench::KEYS;
use py38_bench::u64_keys::*;

/// How many times `fib` mode computes `fib(34)` from an empty cache.
const COLD_FIBS: usize = 10_000;

fn main() {
    let which = std::env::args().nth(1).unwrap_or_default();
    let mode = std::env::args().nth(2);
    if mode.as_deref() == Some("fib") {
        return cold_fibs(&which);
    }
    if mode.as_deref() == Some("grow") {
        return grow_from_empty(&which);
    }
    let misses = mode.as_deref() == Some("miss");
    let f: fn(u64) -> u64 = match which.as_str() {
        "py38" => py38_lru,
        "py38_unbounded" => py38_unbounded,
        "py38_single_flight" => py38_single_flight,
        "hand" => hand_written,
        "cached" => cached_lru,
        "cached_unbounded" => cached_unbounded,
        "memoize" => memoize_lru,
        "memoize_unbounded" => memoize_unbounded,
        "plain_lru" => plain_lru,
        "none" => |n| n,
        _ => {
            eprintln!(
                "which? py38, py38_unbounded, py38_single_flight, hand, cached, \
                 cached_unbounded, memoize, memoize_unbounded, plain_lru, none"
            );
            return;
        }
    };
    for k in 0..KEYS {
        f(k);
    }
    let (mut key, mut total) = (if misses { KEYS } else { 0 }, 0u64);
    for _ in 0..1_000_000 {
        key = if misses { key + 1 } else { (key + 7) % KEYS };
        total = total.wrapping_add(f(black_box(key)));
    }
    println!("{}", black_box(total));
}

/// `fib(34)` from an empty cache, [`COLD_FIBS`] times, on one contender.
fn cold_fibs(which: &str) {
    use py38_bench::fib_cold;
    let f: fn(u64) -> u64 = match which {
        "py38" => fib_cold::py38,
        "hand" => fib_cold::hand_written,
        "cached" => fib_cold::cached,
        "memoize" => fib_cold::memoize,
        "plain_lru" => fib_cold::plain_lru,
        "none" => |n| n,
        _ => {
            eprintln!("which? py38, hand, cached, memoize, plain_lru, none");
            return;
        }
    };
    let total = (0..COLD_FIBS).fold(0u64, |total, _| total.wrapping_add(f(black_box(34))));
    println!("{}", black_box(total));
}

/// A memoized function of the benches.
type Memoized = fn(u64) -> u64;

/// An unbounded cache emptied by its own control, then filled with 10,000 new keys, 100 times.
fn grow_from_empty(which: &str) {
    let (empty, f): (fn(), Memoized) = match which {
        "py38" => (py38_unbounded::cache_clear, py38_unbounded),
        "cached" => (
            || {
                use cached::Cached;
                CACHED_UNBOUNDED.write().cache_reset();
            },
            cached_unbounded,
        ),
        "none" => (|| (), |n| n),
        _ => {
            eprintln!("which? py38, cached, none");
            return;
        }
    };
    let mut total = 0u64;
    for _ in 0..100 {
        empty();
        for key in 0..10_000 {
            total = total.wrapping_add(f(black_box(key)));
        }
    }
    println!("{}", black_box(total));
}

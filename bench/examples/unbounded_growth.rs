//! Fills one contender's unbounded cache with new keys, in a process of its own, for counting
//! what a growing store costs the system: page faults and system time, which a benchmark run
//! in one process (divan's) mixes with every other contender's.
//!
//! ```sh
//! cargo build --release -p py38-bench --example unbounded_growth
//! for c in py38 cached none; do
//!     /usr/bin/time -f "$c %e s, %U user, %S sys, %R faults" bash -c \
//!         "for i in \$(seq 30); do target/release/examples/unbounded_growth $c 100000 >/dev/null; done"
//! done
//! ```
//! Prints the nanoseconds per miss. `none` is the loop alone (the process's own faults).

use std::hint::black_box;
use std::time::Instant;

use py38_bench::u64_keys::{cached_unbounded, py38_unbounded};

fn main() {
    let which = std::env::args().nth(1).unwrap_or_default();
    let misses: u64 = std::env::args()
        .nth(2)
        .and_then(|n| n.parse().ok())
        .unwrap_or(100_000);
    let f: fn(u64) -> u64 = match which.as_str() {
        "py38" => py38_unbounded,
        "cached" => cached_unbounded,
        "none" => |n| n,
        _ => {
            eprintln!("which? py38, cached, none; then how many misses (100000)");
            return;
        }
    };
    let start = Instant::now();
    let total = (0..misses).fold(0u64, |total, key| total.wrapping_add(f(black_box(key))));
    let ns = start.elapsed().as_nanos() as f64 / misses as f64;
    println!("{which}: {ns:.1} ns a miss ({})", black_box(total) % 2);
}

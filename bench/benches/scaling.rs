//! Aggregate hit throughput of one shared cache with 1 and 2 threads:
//! `cargo bench -p py38-bench --bench scaling`.
//!
//! Each thread makes the same number of hits (keys cycling through 64 cached keys, each thread
//! from another start); the figure is hits per second over the wall time of the whole run,
//! the median of several trials. A ratio of 2.0 is perfect scaling; below 1.0, two threads
//! get less done together than one alone.
//!
//! A second table runs many threads at once (8, 32 and 128, after a burst of 40 short-lived
//! threads has come and gone), the same hits in all, against the 2-thread figure: on a machine
//! with fewer cores than threads the ideal ratio is 1.0 (the cores are as busy as with two);
//! a thread without a counting slot of its own would show as a collapse.

use std::hint::black_box;
use std::sync::Barrier;
use std::time::Instant;

use py38_bench::KEYS;
use py38_bench::u64_keys::*;

const HITS_PER_THREAD: u64 = 4_000_000;
const TRIALS: usize = 7;

/// No cache, no shared memory: about as long as a hit, all in registers. Its ratio is what
/// the machine allows; when the host places both threads on one core it falls towards 1.
fn ceiling(n: u64) -> u64 {
    (0..24).fold(n, |acc, _| {
        acc.wrapping_mul(0x9E37_79B9_7F4A_7C15).rotate_left(17)
    })
}

/// Hits per second of `threads` threads together, each making `per_thread` hits (after one
/// call, before the clock starts, that gives it its slot).
fn throughput(f: fn(u64) -> u64, threads: u64, per_thread: u64) -> f64 {
    let barrier = Barrier::new(threads as usize + 1);
    std::thread::scope(|s| {
        for t in 0..threads {
            let barrier = &barrier;
            s.spawn(move || {
                let mut key = t * 29;
                f(key % KEYS);
                barrier.wait();
                for _ in 0..per_thread {
                    key = (key + 7) % KEYS;
                    black_box(f(black_box(key)));
                }
                barrier.wait();
            });
        }
        barrier.wait();
        let start = Instant::now();
        barrier.wait();
        (threads * per_thread) as f64 / start.elapsed().as_secs_f64()
    })
}

/// A name and the memoized function to call.
type Contender = (&'static str, fn(u64) -> u64);

fn median(mut xs: Vec<f64>) -> f64 {
    xs.sort_by(f64::total_cmp);
    xs[xs.len() / 2]
}

/// Many threads at once, after a burst of short-lived ones (see the module's docs).
fn many_threads() {
    const TOTAL: u64 = 16_000_000;
    println!();
    println!(
        "{:<48} {:>10} {:>10} {:>10} {:>10}",
        "many threads (same hits in all)", "2", "8", "32", "128"
    );
    let burst: Vec<_> = (0..40u64)
        .map(|k| std::thread::spawn(move || py38_lru(k % KEYS)))
        .collect();
    burst.into_iter().for_each(|t| drop(t.join()));
    let contenders: [Contender; 2] = [
        ("py38 #[memoize] (maxsize 128)", py38_lru),
        ("py38 #[memoize(maxsize = None)]", py38_unbounded),
    ];
    for (name, f) in contenders {
        let rate = |threads| {
            let trials = (0..3).map(|_| throughput(f, threads, TOTAL / threads));
            median(trials.collect())
        };
        let two = rate(2);
        let ratios: Vec<String> = [8, 32, 128]
            .into_iter()
            .map(|threads| format!("{:>9.2}x", rate(threads) / two))
            .collect();
        println!("{name:<48} {:>6.1} M/s {}", two / 1e6, ratios.join(" "));
    }
}

fn main() {
    let contenders: [Contender; 7] = [
        ("no cache: the machine's ceiling", ceiling),
        ("py38 #[memoize] (maxsize 128)", py38_lru),
        ("py38 #[memoize(maxsize = None)]", py38_unbounded),
        ("hand-written Mutex<FxHashMap>", hand_written),
        ("hand-written 16 x Mutex<FxHashMap> shards", hand_sharded),
        ("cached #[cached(max_size = 128)]", cached_lru),
        (
            "memoize #[memoize(SharedCache, Capacity: 128)]",
            memoize_lru,
        ),
    ];
    println!(
        "{:<48} {:>12} {:>12} {:>8}",
        "cache", "1 thread", "2 threads", "ratio"
    );
    for (name, f) in contenders {
        for k in 0..KEYS {
            f(k);
        }
        let rate = |threads| {
            let trials = (0..TRIALS).map(|_| throughput(f, threads, HITS_PER_THREAD));
            median(trials.collect())
        };
        let (one, two) = (rate(1), rate(2));
        println!(
            "{name:<48} {:>9.1} M/s {:>9.1} M/s {:>7.2}x",
            one / 1e6,
            two / 1e6,
            two / one
        );
    }
    many_threads();
}

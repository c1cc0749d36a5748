//! `#[memoize]` side by side with its peers, in one run, one thread:
//! `cargo bench -p py38-bench --bench memoize`. (Two threads: `benches/scaling.rs`.)
//!
//! Peers: a hand-written `Mutex<FxHashMap>` (no recency bookkeeping at all: the floor),
//! the `cached` crate (`#[cached(max_size = 128)]` and unbounded `#[cached]`), and the
//! `memoize` crate (`SharedCache`, so that all threads share one cache as ours do).

use std::cell::Cell;
use std::hint::black_box;
use std::sync::{LazyLock, Mutex};

use cached::proc_macro::cached;
use py38_bench::{KEYS, work};
use rustc_hash::FxHashMap;

fn main() {
    divan::main();
}

thread_local! {
    static CYCLE: Cell<u64> = const { Cell::new(0) };
    static FRESH: Cell<u64> = const { Cell::new(0) };
}

/// The next key of a cycle through `0..KEYS`: every key in turn, none twice in a row.
#[inline]
fn next() -> u64 {
    CYCLE.with(|c| {
        let n = c.get().wrapping_add(7);
        c.set(n);
        n % KEYS
    })
}

/// A key never asked for before on this thread, for the miss benchmarks. A thread-local count,
/// as [`next`] is: an atomic read-modify-write between calls would drain the store buffer
/// each call, a cost of the harness that falls on whichever contender stores the most.
#[inline]
fn fresh() -> u64 {
    FRESH.with(|c| {
        let n = c.get() + 1;
        c.set(n);
        n
    })
}

/// One benchmark function per contender, each calling `$bench` with it.
macro_rules! contenders {
    ($bench:ident: $($name:ident => $function:expr),* $(,)?) => {
        $(
            #[divan::bench]
            fn $name(bencher: divan::Bencher<'_, '_>) {
                $bench(bencher, $function);
            }
        )*
    };
}

mod hit_u64 {
    use super::*;
    use py38_bench::u64_keys::*;

    fn bench(bencher: divan::Bencher<'_, '_>, f: impl Fn(u64) -> u64 + Sync) {
        for k in 0..KEYS {
            f(k);
        }
        bencher.bench(|| f(black_box(next())));
    }

    contenders! { bench:
        py38_memoize => py38_lru,
        py38_memoize_unbounded => py38_unbounded,
        py38_memoize_single_flight => py38_single_flight,
        hand_mutex_fxhashmap => hand_written,
        cached_max_size_128 => cached_lru,
        cached_max_size_128_sync_writes => cached_lru_sync_writes,
        cached_unbound => cached_unbounded,
        memoize_capacity_128 => memoize_lru,
        memoize_shared_unbounded => memoize_unbounded,
    }
}

mod hit_str {
    use super::*;

    /// `KEYS` distinct 32-character strings, made once.
    static WORDS: LazyLock<Vec<&'static str>> = LazyLock::new(|| {
        (0..KEYS)
            .map(|i| &*format!("{i:0>8}-abcdefghijklmnopqrstuvw").leak())
            .collect()
    });

    #[py38::memoize]
    fn py38_lru(s: &str) -> u64 {
        s.len() as u64
    }

    #[cached(max_size = 128, key = "String", convert = r#"{ s.to_string() }"#)]
    fn cached_lru(s: &str) -> u64 {
        s.len() as u64
    }

    // The memoize crate stores the argument itself, so it needs a `'static` borrow.
    #[memoize::memoize(SharedCache, Capacity: 128)]
    fn memoize_lru(s: &'static str) -> u64 {
        s.len() as u64
    }

    static HAND: LazyLock<Mutex<FxHashMap<String, u64>>> = LazyLock::new(Default::default);

    fn hand_written(s: &'static str) -> u64 {
        if let Some(&v) = HAND.lock().unwrap().get(s) {
            return v;
        }
        let v = s.len() as u64;
        HAND.lock().unwrap().insert(s.to_owned(), v);
        v
    }

    fn bench(bencher: divan::Bencher<'_, '_>, f: impl Fn(&'static str) -> u64 + Sync) {
        let words = &*WORDS;
        for w in words {
            f(w);
        }
        bencher.bench(|| f(black_box(words[next() as usize])));
    }

    contenders! { bench:
        py38_memoize => py38_lru,
        hand_mutex_fxhashmap_string => hand_written,
        cached_max_size_128 => cached_lru,
        memoize_capacity_128 => memoize_lru,
    }
}

// A thousand calls per sample: one call is near the timer's precision (divan prints it first).
#[divan::bench_group(sample_size = 1000)]
mod miss_insert {
    //! Every call is a new key, so every call runs the body, stores, and evicts.
    use super::*;

    #[py38::memoize]
    fn py38_lru(n: u64) -> u64 {
        work(n)
    }

    #[cached(max_size = 128)]
    fn cached_lru(n: u64) -> u64 {
        work(n)
    }

    #[memoize::memoize(SharedCache, Capacity: 128)]
    fn memoize_lru(n: u64) -> u64 {
        work(n)
    }

    fn bench(bencher: divan::Bencher<'_, '_>, f: impl Fn(u64) -> u64 + Sync) {
        bencher.bench(|| f(black_box(fresh())));
    }

    contenders! { bench:
        py38_memoize => py38_lru,
        cached_max_size_128 => cached_lru,
        memoize_capacity_128 => memoize_lru,
        ceiling_thread_local_lru => py38_bench::u64_keys::plain_lru,
    }
}

/// The unbounded contenders, each with a cache of its own in the module that invokes this:
/// `py38_unbounded`, `cached_unbounded` (its store `CACHED_UNBOUNDED`), `memoize_unbounded`
/// and `hand_written` (its map `HAND`).
macro_rules! unbounded_contenders {
    () => {
        #[py38::memoize(maxsize = None)]
        fn py38_unbounded(n: u64) -> u64 {
            work(n)
        }

        #[cached]
        fn cached_unbounded(n: u64) -> u64 {
            work(n)
        }

        #[memoize::memoize(SharedCache)]
        fn memoize_unbounded(n: u64) -> u64 {
            work(n)
        }

        static HAND: LazyLock<Mutex<FxHashMap<u64, u64>>> = LazyLock::new(Default::default);

        fn hand_written(n: u64) -> u64 {
            if let Some(&v) = HAND.lock().unwrap().get(&n) {
                return v;
            }
            let v = work(n);
            HAND.lock().unwrap().insert(n, v);
            v
        }
    };
}

// A thousand calls per sample, as above.
#[divan::bench_group(sample_size = 1000)]
mod miss_insert_unbounded {
    //! Every call is a new key, so every call runs the body and stores: the cache grows for
    //! the whole run (each contender's as much as the others').
    use super::*;

    unbounded_contenders!();

    fn bench(bencher: divan::Bencher<'_, '_>, f: impl Fn(u64) -> u64 + Sync) {
        bencher.bench(|| f(black_box(fresh())));
    }

    contenders! { bench:
        py38_memoize_unbounded => py38_unbounded,
        hand_mutex_fxhashmap => hand_written,
        cached_unbound => cached_unbounded,
        memoize_shared_unbounded => memoize_unbounded,
    }
}

mod grow_from_empty {
    //! A cache emptied, then filled with `FILL` new keys, time for the whole fill: the growth
    //! of an unbounded cache as a program's first calls make it, its resizes included (which
    //! the medians of `miss_insert_unbounded` leave out: there, a sample that resizes is a
    //! rare, slow one). Each contender is emptied by its own control, which gives its table's
    //! memory back (`cached`'s `cache_reset`, the hand-written map replaced by a new one);
    //! the `memoize` crate's `memoized_flush_*` keeps its map's capacity.
    use super::*;

    const FILL: u64 = 10_000;

    unbounded_contenders!();

    fn fill(f: fn(u64) -> u64) -> u64 {
        (0..FILL).fold(0, |total, key| total.wrapping_add(f(black_box(key))))
    }

    fn py38_emptied() -> u64 {
        py38_unbounded::cache_clear();
        fill(py38_unbounded)
    }

    fn cached_emptied() -> u64 {
        use cached::Cached;
        CACHED_UNBOUNDED.write().cache_reset();
        fill(cached_unbounded)
    }

    fn memoize_emptied() -> u64 {
        memoized_flush_memoize_unbounded();
        fill(memoize_unbounded)
    }

    fn hand_emptied() -> u64 {
        *HAND.lock().unwrap() = FxHashMap::default();
        fill(hand_written)
    }

    fn bench(bencher: divan::Bencher<'_, '_>, f: fn() -> u64) {
        bencher.bench(f);
    }

    contenders! { bench:
        py38_memoize_unbounded => py38_emptied,
        hand_mutex_fxhashmap => hand_emptied,
        cached_unbound => cached_emptied,
        memoize_shared_unbounded => memoize_emptied,
    }
}

mod fib34 {
    //! The seed's demo: fib(34) from an empty cache each time.
    use super::*;
    use py38_bench::fib_cold;

    fn naive(n: u64) -> u64 {
        if n < 2 {
            n
        } else {
            naive(n - 1) + naive(n - 2)
        }
    }

    #[divan::bench(sample_count = 10, sample_size = 1)]
    fn naive_recursion() -> u64 {
        naive(black_box(34))
    }

    fn bench(bencher: divan::Bencher<'_, '_>, f: impl Fn(u64) -> u64 + Sync) {
        bencher.bench(|| f(black_box(34)));
    }

    contenders! { bench:
        py38_memoize => fib_cold::py38,
        hand_mutex_fxhashmap => fib_cold::hand_written,
        cached_max_size_128 => fib_cold::cached,
        memoize_capacity_128 => fib_cold::memoize,
        ceiling_thread_local_lru => fib_cold::plain_lru,
    }
}

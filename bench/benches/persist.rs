//! Hits on caches that outlive the process, side by side in one run:
//! `cargo bench -p py38-bench --bench persist`.
//!
//! - `py38_disk`: `#[memoize(store = disk)]` (SQLite file, shared by processes);
//! - `cached_redb`: `cached`'s `#[concurrent_cached(disk = true)]` (a redb file, which one
//!   process at a time can open);
//! - `py38_memory`: `#[memoize]` in memory, for scale.
//!
//! Each bench hits one key stored beforehand (`u64` in, `u64` out).

use std::hint::black_box;

use cached::macros::concurrent_cached;
use py38::memoize;

fn main() {
    // Fresh files, so that every run measures the same thing.
    let _ = std::fs::remove_dir_all("../target/py38-bench-persist");
    divan::main();
}

#[memoize(store = disk("../target/py38-bench-persist/py38.sqlite3"))]
fn py38_disk(n: u64) -> u64 {
    n * 3
}

#[concurrent_cached(
    disk = true,
    disk_dir = "../target/py38-bench-persist/cached",
    map_error = r##"|e| format!("{e:?}")"##
)]
fn cached_redb(n: u64) -> Result<u64, String> {
    Ok(n * 3)
}

#[memoize]
fn py38_memory(n: u64) -> u64 {
    n * 3
}

mod hit_u64 {
    use super::*;

    #[divan::bench]
    fn py38_disk(bencher: divan::Bencher<'_, '_>) {
        assert_eq!(super::py38_disk(7), 21);
        bencher.bench(|| super::py38_disk(black_box(7)));
        assert_eq!(super::py38_disk::cache_errors(), 0);
    }

    #[divan::bench]
    fn cached_redb(bencher: divan::Bencher<'_, '_>) {
        assert_eq!(super::cached_redb(7), Ok(21));
        bencher.bench(|| super::cached_redb(black_box(7)));
    }

    #[divan::bench]
    fn py38_memory(bencher: divan::Bencher<'_, '_>) {
        assert_eq!(super::py38_memory(7), 21);
        bencher.bench(|| super::py38_memory(black_box(7)));
    }
}

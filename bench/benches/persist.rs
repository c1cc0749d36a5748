//! Caches that outlive the process, side by side in one run:
//! `cargo bench -p py38-bench --bench persist` (needs `redis-server` on the `PATH`).
//!
//! - `py38_disk`: `#[memoize(store = disk)]` (an LMDB file, shared by processes);
//! - `sqlite`, `sqlite_mmap`, `sqlite_exclusive`: py38 0.1's disk store (SQLite), as shipped,
//!   with `mmap_size`, and with `locking_mode = EXCLUSIVE` (one process at a time: not a
//!   candidate, the floor of SQLite's own work), through `store = custom(..)`
//!   (`py38_bench::sqlite_store`);
//! - `cached_redb`: `cached`'s `#[concurrent_cached(disk = true)]` (a redb file, which one
//!   process at a time can open; each write is flushed to the disk before it returns);
//! - `py38_redis` and `cached_redis`: `#[memoize(store = redis)]` and `cached`'s
//!   `#[concurrent_cached(redis = true)]`, on one Redis server on loopback that this bench
//!   starts (port 16379) and stops;
//! - `py38_memory`: `#[memoize]` in memory, for scale.
//!
//! `hit_u64` and `hit_1k` hit one key stored beforehand (`u64` in, `u64` or a 1 KiB `String`
//! out); `miss_u64` calls with a new key each time (the body is cheap: the cost is looking
//! up, then storing), every store unbounded, as `cached`'s are.

use std::hint::black_box;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use cached::macros::concurrent_cached;
use py38::memoize;
use py38::persist::{PersistentStore, StoreError};
use py38_bench::sqlite_store::{self, Tuning};

const REDIS_URL: &str = "redis://127.0.0.1:16379/0";
const DIR: &str = "../target/py38-bench-persist";

fn main() {
    // `cached` reads its server from the environment: the bench runs itself again with it set.
    if std::env::var_os("CACHED_REDIS_CONNECTION_STRING").is_none() {
        let _ = std::fs::remove_dir_all(DIR);
        let mut server = std::process::Command::new("redis-server")
            .args([
                "--port",
                "16379",
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ])
            .stdout(std::process::Stdio::null())
            .spawn()
            .expect("redis-server is needed on the PATH");
        while std::net::TcpStream::connect("127.0.0.1:16379").is_err() {
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        let status = std::process::Command::new(std::env::current_exe().unwrap())
            .args(std::env::args_os().skip(1))
            .env("CACHED_REDIS_CONNECTION_STRING", REDIS_URL)
            .status()
            .unwrap();
        let _ = server.kill();
        let _ = server.wait();
        std::process::exit(status.code().unwrap_or(1));
    }
    divan::main();
}

/// A 1 KiB result.
fn kib(n: u64) -> String {
    format!("{n:>1024}")
}

type Opened = Result<Arc<dyn PersistentStore>, StoreError>;

fn sqlite(file: &str, tuning: Tuning) -> Opened {
    Ok(sqlite_store::open(&Path::new(DIR).join(file), tuning))
}

fn shipped() -> Opened {
    sqlite("sqlite.sqlite3", Tuning::Shipped)
}

fn mmap() -> Opened {
    sqlite("sqlite-mmap.sqlite3", Tuning::Mmap)
}

// An exclusive lock keeps other connections out, even this process's: a file per function.
fn exclusive_u64() -> Opened {
    sqlite("exclusive-u64.sqlite3", Tuning::Exclusive)
}

fn exclusive_1k() -> Opened {
    sqlite("exclusive-1k.sqlite3", Tuning::Exclusive)
}

// Both with a time to live, which `cached`'s Redis store requires.
#[memoize(store = redis("redis://127.0.0.1:16379/0"), ttl = 3600)]
fn py38_redis(n: u64) -> u64 {
    n * 3
}

#[concurrent_cached(redis = true, ttl_secs = 3600, map_error = r##"|e| format!("{e:?}")"##)]
fn cached_redis(n: u64) -> Result<u64, String> {
    Ok(n * 3)
}

#[memoize(store = disk("../target/py38-bench-persist/py38.lmdb"))]
fn py38_disk(n: u64) -> u64 {
    n * 3
}

#[memoize(store = disk("../target/py38-bench-persist/py38.lmdb"))]
fn py38_disk_1k(n: u64) -> String {
    kib(n)
}

#[memoize(store = custom(shipped))]
fn sqlite_u64(n: u64) -> u64 {
    n * 3
}

#[memoize(store = custom(shipped))]
fn sqlite_1k(n: u64) -> String {
    kib(n)
}

#[memoize(store = custom(mmap))]
fn sqlite_mmap_u64(n: u64) -> u64 {
    n * 3
}

#[memoize(store = custom(mmap))]
fn sqlite_mmap_1k(n: u64) -> String {
    kib(n)
}

#[memoize(store = custom(exclusive_u64))]
fn sqlite_exclusive_u64(n: u64) -> u64 {
    n * 3
}

#[memoize(store = custom(exclusive_1k))]
fn sqlite_exclusive_1k(n: u64) -> String {
    kib(n)
}

#[concurrent_cached(
    disk = true,
    disk_dir = "../target/py38-bench-persist/cached",
    map_error = r##"|e| format!("{e:?}")"##
)]
fn cached_redb(n: u64) -> Result<u64, String> {
    Ok(n * 3)
}

#[concurrent_cached(
    disk = true,
    disk_dir = "../target/py38-bench-persist/cached",
    map_error = r##"|e| format!("{e:?}")"##
)]
fn cached_redb_1k(n: u64) -> Result<String, String> {
    Ok(kib(n))
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
        assert_eq!(super::py38_disk::cache_info().misses, 1);
    }

    #[divan::bench]
    fn sqlite(bencher: divan::Bencher<'_, '_>) {
        assert_eq!(super::sqlite_u64(7), 21);
        bencher.bench(|| super::sqlite_u64(black_box(7)));
        assert_eq!(super::sqlite_u64::cache_errors(), 0);
    }

    #[divan::bench]
    fn sqlite_mmap(bencher: divan::Bencher<'_, '_>) {
        assert_eq!(super::sqlite_mmap_u64(7), 21);
        bencher.bench(|| super::sqlite_mmap_u64(black_box(7)));
        assert_eq!(super::sqlite_mmap_u64::cache_errors(), 0);
    }

    #[divan::bench]
    fn sqlite_exclusive(bencher: divan::Bencher<'_, '_>) {
        assert_eq!(super::sqlite_exclusive_u64(7), 21);
        bencher.bench(|| super::sqlite_exclusive_u64(black_box(7)));
        assert_eq!(super::sqlite_exclusive_u64::cache_errors(), 0);
    }

    #[divan::bench]
    fn cached_redb(bencher: divan::Bencher<'_, '_>) {
        assert_eq!(super::cached_redb(7), Ok(21));
        bencher.bench(|| super::cached_redb(black_box(7)));
    }

    #[divan::bench]
    fn py38_redis(bencher: divan::Bencher<'_, '_>) {
        assert_eq!(super::py38_redis(7), 21);
        bencher.bench(|| super::py38_redis(black_box(7)));
        assert_eq!(super::py38_redis::cache_errors(), 0);
    }

    #[divan::bench]
    fn cached_redis(bencher: divan::Bencher<'_, '_>) {
        assert_eq!(super::cached_redis(7), Ok(21));
        bencher.bench(|| super::cached_redis(black_box(7)));
    }

    #[divan::bench]
    fn py38_memory(bencher: divan::Bencher<'_, '_>) {
        assert_eq!(super::py38_memory(7), 21);
        bencher.bench(|| super::py38_memory(black_box(7)));
    }
}

mod hit_1k {
    use super::*;

    #[divan::bench]
    fn py38_disk(bencher: divan::Bencher<'_, '_>) {
        assert_eq!(super::py38_disk_1k(7), kib(7));
        bencher.bench(|| super::py38_disk_1k(black_box(7)));
        assert_eq!(super::py38_disk_1k::cache_errors(), 0);
        assert_eq!(super::py38_disk_1k::cache_info().misses, 1);
    }

    #[divan::bench]
    fn sqlite(bencher: divan::Bencher<'_, '_>) {
        assert_eq!(super::sqlite_1k(7), kib(7));
        bencher.bench(|| super::sqlite_1k(black_box(7)));
        assert_eq!(super::sqlite_1k::cache_errors(), 0);
    }

    #[divan::bench]
    fn sqlite_mmap(bencher: divan::Bencher<'_, '_>) {
        assert_eq!(super::sqlite_mmap_1k(7), kib(7));
        bencher.bench(|| super::sqlite_mmap_1k(black_box(7)));
        assert_eq!(super::sqlite_mmap_1k::cache_errors(), 0);
    }

    #[divan::bench]
    fn sqlite_exclusive(bencher: divan::Bencher<'_, '_>) {
        assert_eq!(super::sqlite_exclusive_1k(7), kib(7));
        bencher.bench(|| super::sqlite_exclusive_1k(black_box(7)));
        assert_eq!(super::sqlite_exclusive_1k::cache_errors(), 0);
    }

    #[divan::bench]
    fn cached_redb(bencher: divan::Bencher<'_, '_>) {
        assert_eq!(super::cached_redb_1k(7), Ok(kib(7)));
        bencher.bench(|| super::cached_redb_1k(black_box(7)));
    }
}

/// Keys no bench has used yet: each miss stores a new entry.
static NEXT: AtomicU64 = AtomicU64::new(1 << 32);

fn next() -> u64 {
    NEXT.fetch_add(1, Ordering::Relaxed)
}

#[memoize(store = disk("../target/py38-bench-persist/py38.lmdb"), maxsize = None)]
fn py38_disk_miss(n: u64) -> u64 {
    n * 3
}

#[memoize(store = custom(shipped), maxsize = None)]
fn sqlite_miss(n: u64) -> u64 {
    n * 3
}

#[concurrent_cached(
    disk = true,
    disk_dir = "../target/py38-bench-persist/cached",
    map_error = r##"|e| format!("{e:?}")"##
)]
fn cached_redb_miss(n: u64) -> Result<u64, String> {
    Ok(n * 3)
}

#[memoize(store = redis("redis://127.0.0.1:16379/0"), ttl = 3600, maxsize = None)]
fn py38_redis_miss(n: u64) -> u64 {
    n * 3
}

#[concurrent_cached(redis = true, ttl_secs = 3600, map_error = r##"|e| format!("{e:?}")"##)]
fn cached_redis_miss(n: u64) -> Result<u64, String> {
    Ok(n * 3)
}

mod miss_u64 {
    use super::*;

    #[divan::bench]
    fn py38_disk(bencher: divan::Bencher<'_, '_>) {
        bencher.bench(|| super::py38_disk_miss(next()));
        assert_eq!(super::py38_disk_miss::cache_errors(), 0);
        assert_eq!(super::py38_disk_miss::cache_info().hits, 0);
    }

    #[divan::bench]
    fn sqlite(bencher: divan::Bencher<'_, '_>) {
        bencher.bench(|| super::sqlite_miss(next()));
        assert_eq!(super::sqlite_miss::cache_errors(), 0);
    }

    #[divan::bench]
    fn cached_redb(bencher: divan::Bencher<'_, '_>) {
        bencher.bench(|| super::cached_redb_miss(next()));
    }

    #[divan::bench]
    fn py38_redis(bencher: divan::Bencher<'_, '_>) {
        bencher.bench(|| super::py38_redis_miss(next()));
        assert_eq!(super::py38_redis_miss::cache_errors(), 0);
    }

    #[divan::bench]
    fn cached_redis(bencher: divan::Bencher<'_, '_>) {
        bencher.bench(|| super::cached_redis_miss(next()));
    }
}

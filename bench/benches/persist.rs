//! Hits on caches that outlive the process, side by side in one run:
//! `cargo bench -p py38-bench --bench persist` (needs `redis-server` on the `PATH`).
//!
//! - `py38_disk`: `#[memoize(store = disk)]` (SQLite file, shared by processes);
//! - `cached_redb`: `cached`'s `#[concurrent_cached(disk = true)]` (a redb file, which one
//!   process at a time can open);
//! - `py38_redis` and `cached_redis`: `#[memoize(store = redis)]` and `cached`'s
//!   `#[concurrent_cached(redis = true)]`, on one Redis server on loopback that this bench
//!   starts (port 16379) and stops;
//! - `py38_memory`: `#[memoize]` in memory, for scale.
//!
//! Each bench hits one key stored beforehand (`u64` in, `u64` out).

use std::hint::black_box;

use cached::macros::concurrent_cached;
use py38::memoize;

const REDIS_URL: &str = "redis://127.0.0.1:16379/0";

fn main() {
    // `cached` reads its server from the environment: the bench runs itself again with it set.
    if std::env::var_os("CACHED_REDIS_CONNECTION_STRING").is_none() {
        let _ = std::fs::remove_dir_all("../target/py38-bench-persist");
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

// Both with a time to live, which `cached`'s Redis store requires.
#[memoize(store = redis("redis://127.0.0.1:16379/0"), ttl = 3600)]
fn py38_redis(n: u64) -> u64 {
    n * 3
}

#[concurrent_cached(redis = true, ttl_secs = 3600, map_error = r##"|e| format!("{e:?}")"##)]
fn cached_redis(n: u64) -> Result<u64, String> {
    Ok(n * 3)
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

//! `#[memoize(store = disk)]`: results in a file that outlives the process, shared by
//! processes. Each test that needs a second process runs this test binary again, filtered to
//! one test, with `PY38_TEST_ROLE` telling it what to do.

use std::path::Path;
use std::process::Command;
use std::sync::atomic::{AtomicU64, Ordering};

use py38::memoize;

use crate::support::{role, test_name};

/// Runs this test binary's test `name` as a child process in `role`; its standard output.
fn child(name: &str, role: &str) -> String {
    let output = Command::new(std::env::current_exe().unwrap())
        .args([
            &*test_name(module_path!(), name),
            "--exact",
            "--nocapture",
            "--test-threads=1",
        ])
        .env("PY38_TEST_ROLE", role)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "child {role} failed: {}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap()
}

/// A fresh start for a cache file: removes it, the lock table LMDB keeps beside it and its
/// crash record.
fn fresh(path: &str) {
    for suffix in ["", "-lock", "-sync"] {
        let _ = std::fs::remove_file(format!("{path}{suffix}"));
    }
    std::fs::create_dir_all(Path::new(path).parent().unwrap()).unwrap();
}

static AREA_RUNS: AtomicU64 = AtomicU64::new(0);

#[memoize(store = disk("../target/py38-tests/shared.lmdb"))]
fn area(width: u32, label: &str) -> String {
    AREA_RUNS.fetch_add(1, Ordering::SeqCst);
    format!("{label}: {}", width * width)
}

#[test]
fn a_second_process_reads_what_the_first_computed() {
    if role().as_deref() == Some("writer") {
        assert_eq!(area(3, "small"), "small: 9");
        assert_eq!(area(3, "small"), "small: 9");
        println!(
            "runs={} {}",
            AREA_RUNS.load(Ordering::SeqCst),
            area::cache_info()
        );
        return;
    }
    if role().is_some() {
        return;
    }
    fresh("../target/py38-tests/shared.lmdb");
    let writer = child("a_second_process_reads_what_the_first_computed", "writer");
    assert!(
        writer.contains("runs=1 CacheInfo(hits=1, misses=1, maxsize=128, currsize=1)"),
        "{writer}"
    );
    // This process never ran the body: the result comes from the file.
    assert_eq!(area(3, "small"), "small: 9");
    assert_eq!(AREA_RUNS.load(Ordering::SeqCst), 0);
    let info = area::cache_info();
    assert_eq!((info.hits, info.misses, info.currsize), (1, 0, 1));
    // A different argument is a different entry.
    assert_eq!(area(3, "big"), "big: 9");
    assert_eq!(AREA_RUNS.load(Ordering::SeqCst), 1);
    assert!(area::cache_invalidate(3, "big"));
    assert!(!area::cache_invalidate(3, "big"));
    assert_eq!(area::cache_errors(), 0);
}

static PARSE_RUNS: AtomicU64 = AtomicU64::new(0);

#[memoize(store = disk("../target/py38-tests/results.lmdb"), maxsize = None)]
fn parse(text: &str) -> Result<i64, String> {
    PARSE_RUNS.fetch_add(1, Ordering::SeqCst);
    assert!(text != "panic", "the body panicked");
    text.parse().map_err(|_| format!("not a number: {text}"))
}

#[test]
fn only_ok_is_stored_and_a_panic_stores_nothing() {
    fresh("../target/py38-tests/results.lmdb");
    parse::cache_clear();
    assert_eq!(parse("12"), Ok(12));
    assert_eq!(parse("12"), Ok(12));
    assert!(parse("x").is_err());
    assert!(parse("x").is_err());
    assert!(std::panic::catch_unwind(|| parse("panic")).is_err());
    assert!(std::panic::catch_unwind(|| parse("panic")).is_err());
    assert_eq!(
        PARSE_RUNS.load(Ordering::SeqCst),
        5,
        "12 once, x twice, panic twice"
    );
    let info = parse::cache_info();
    assert_eq!(
        (info.hits, info.misses, info.maxsize, info.currsize),
        (1, 5, None, 1)
    );
    parse::cache_clear();
    let info = parse::cache_info();
    assert_eq!((info.hits, info.misses, info.currsize), (0, 0, 0));
    assert_eq!(parse("12"), Ok(12));
    assert_eq!(
        PARSE_RUNS.load(Ordering::SeqCst),
        6,
        "cleared: computed again"
    );
}

static SLOW_RUNS: AtomicU64 = AtomicU64::new(0);

#[memoize(store = disk("../target/py38-tests/ttl.lmdb"), ttl = 1)]
fn slow(n: u64) -> u64 {
    SLOW_RUNS.fetch_add(1, Ordering::SeqCst);
    n * 2
}

#[test]
fn entries_expire_after_the_ttl() {
    fresh("../target/py38-tests/ttl.lmdb");
    assert_eq!(slow(4), 8);
    assert_eq!(slow(4), 8);
    assert_eq!(SLOW_RUNS.load(Ordering::SeqCst), 1);
    std::thread::sleep(std::time::Duration::from_millis(1100));
    assert_eq!(slow(4), 8);
    assert_eq!(
        SLOW_RUNS.load(Ordering::SeqCst),
        2,
        "expired: computed again"
    );
}

#[memoize(store = disk("../target/py38-tests/garbage.lmdb"))]
fn on_garbage(n: u64) -> u64 {
    n + 1
}

#[test]
fn a_garbage_file_is_reported_and_the_function_still_works() {
    let path = "../target/py38-tests/garbage.lmdb";
    fresh(path);
    std::fs::write(path, vec![0x42_u8; 4096]).unwrap();
    assert_eq!(on_garbage(1), 2);
    assert_eq!(on_garbage(1), 2);
    let info = on_garbage::cache_info();
    assert_eq!((info.hits, info.misses), (0, 2));
    assert!(
        on_garbage::cache_errors() >= 1,
        "the failed open is counted"
    );
    // The file is left as it was: the cache never overwrites what it cannot read.
    assert_eq!(std::fs::read(path).unwrap(), vec![0x42_u8; 4096]);
}

#[memoize(store = disk("../target/py38-tests/blocked/not-a-dir/c.lmdb"))]
fn nowhere_to_write(n: u64) -> u64 {
    n * 3
}

#[test]
fn a_place_where_no_file_can_be_made_is_reported_and_the_function_still_works() {
    std::fs::create_dir_all("../target/py38-tests/blocked").unwrap();
    std::fs::write("../target/py38-tests/blocked/not-a-dir", b"a file").unwrap();
    assert_eq!(nowhere_to_write(2), 6);
    assert_eq!(nowhere_to_write(2), 6);
    assert!(nowhere_to_write::cache_errors() >= 1);
    assert_eq!(nowhere_to_write::cache_info().misses, 2);
}

#[memoize(store = disk("../target/py38-tests/killed.lmdb"), maxsize = None)]
fn square(n: u64) -> u64 {
    n * n
}

#[test]
fn a_process_killed_mid_write_leaves_a_file_that_serves() {
    let path = "../target/py38-tests/killed.lmdb";
    if role().as_deref() == Some("killed") {
        // Writes until killed.
        for n in 0.. {
            square(n);
            if n == 50 {
                println!("writing");
            }
        }
        return;
    }
    if role().is_some() {
        return;
    }
    fresh(path);
    // This process has the file open throughout, reading while the writers write: each
    // writer is killed while it writes (most of its time is spent holding the write lock),
    // and the next one, and this process, must still get the lock and find a whole file.
    assert_eq!(square(1), 1);
    let mut stored = square::cache_info().currsize;
    for _ in 0..3 {
        let mut writer = Command::new(std::env::current_exe().unwrap())
            .args([
                &*test_name(
                    module_path!(),
                    "a_process_killed_mid_write_leaves_a_file_that_serves",
                ),
                "--exact",
                "--nocapture",
            ])
            .env("PY38_TEST_ROLE", "killed")
            .stdout(std::process::Stdio::null())
            .spawn()
            .unwrap();
        // Until the writer has written a good many entries more, then SIGKILL.
        let started = std::time::Instant::now();
        while square::cache_info().currsize < stored + 200
            && started.elapsed() < std::time::Duration::from_secs(20)
        {
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
        writer.kill().unwrap(); // SIGKILL on Unix
        let _ = writer.wait();
        let now = square::cache_info().currsize;
        assert!(
            now >= stored + 200,
            "the killed writer had committed entries"
        );
        stored = now;
    }
    // The file serves: what the writers committed is read back, the rest computed and stored.
    for n in 0..200 {
        assert_eq!(square(n), n * n);
    }
    let far = stored as u64 + 1000;
    assert_eq!(square(far), far * far);
    assert_eq!(square::cache_errors(), 0);
    assert!(square::cache_info().hits > 0);
}

static SEEN_RUNS: AtomicU64 = AtomicU64::new(0);

#[memoize(store = disk("../target/py38-tests/cleared-elsewhere.lmdb"), maxsize = None)]
fn seen(n: u64) -> u64 {
    SEEN_RUNS.fetch_add(1, Ordering::SeqCst);
    n + 100
}

#[test]
fn what_another_process_clears_or_invalidates_is_a_miss_here_at_once() {
    let name = "what_another_process_clears_or_invalidates_is_a_miss_here_at_once";
    match role().as_deref() {
        Some("invalidate") => return println!("removed={}", seen::cache_invalidate(1)),
        Some("clear") => return seen::cache_clear(),
        Some(_) => return,
        None => {}
    }
    fresh("../target/py38-tests/cleared-elsewhere.lmdb");
    for n in [1, 2, 3, 1, 2, 3] {
        assert_eq!(seen(n), n + 100);
    }
    assert_eq!(SEEN_RUNS.load(Ordering::SeqCst), 3, "hot in this process");
    assert!(child(name, "invalidate").contains("removed=true"));
    assert_eq!((seen(1), seen(2)), (101, 102));
    assert_eq!(
        SEEN_RUNS.load(Ordering::SeqCst),
        4,
        "1 was invalidated elsewhere"
    );
    child(name, "clear");
    assert_eq!((seen(2), seen(3)), (102, 103));
    assert_eq!(SEEN_RUNS.load(Ordering::SeqCst), 6, "cleared elsewhere");
    assert_eq!(seen::cache_info().currsize, 2);
    assert_eq!(seen::cache_errors(), 0);
}

static CUBE_RUNS: AtomicU64 = AtomicU64::new(0);

#[memoize(store = disk("../target/py38-tests/concurrent.lmdb"), maxsize = None)]
fn cube(n: u64) -> u64 {
    CUBE_RUNS.fetch_add(1, Ordering::SeqCst);
    n * n * n
}

#[test]
fn two_processes_write_one_file_at_once() {
    if let Some(role) = role() {
        if let Some(offset) = role.strip_prefix("cube-") {
            let offset: u64 = offset.parse().unwrap();
            for n in 0..300 {
                // The two children walk the keys from opposite ends, so they meet midway.
                let n = if offset == 0 { n } else { 299 - n };
                assert_eq!(cube(n), n * n * n);
            }
            println!("errors={}", cube::cache_errors());
        }
        return;
    }
    fresh("../target/py38-tests/concurrent.lmdb");
    let name = "two_processes_write_one_file_at_once";
    let spawn = move |role: &str| {
        Command::new(std::env::current_exe().unwrap())
            .args([&*test_name(module_path!(), name), "--exact", "--nocapture"])
            .env("PY38_TEST_ROLE", role)
            .output()
            .unwrap()
    };
    let other = std::thread::spawn(move || spawn("cube-1"));
    let first = spawn("cube-0");
    let second = other.join().unwrap();
    for output in [&first, &second] {
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        let stdout = String::from_utf8_lossy(&output.stdout);
        assert!(
            stdout.contains("errors=0"),
            "a writer waited too long: {stdout}"
        );
    }
    // Every result is in the file, whoever wrote it.
    for n in 0..300 {
        assert_eq!(cube(n), n * n * n);
    }
    assert_eq!(CUBE_RUNS.load(Ordering::SeqCst), 0);
    assert_eq!(cube::cache_info().currsize, 300);
}

static FETCH_RUNS: AtomicU64 = AtomicU64::new(0);

#[memoize(store = disk("../target/py38-tests/async.lmdb"))]
async fn fetch(id: u32) -> Result<String, String> {
    FETCH_RUNS.fetch_add(1, Ordering::SeqCst);
    std::future::ready(()).await;
    if id == 0 {
        return Err("no page 0".to_owned());
    }
    Ok(format!("page {id}"))
}

#[test]
fn async_functions_on_tokio_and_smol() {
    fresh("../target/py38-tests/async.lmdb");
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .build()
        .unwrap();
    // The future is `Send`: it runs as a spawned task.
    let page = runtime.block_on(async { tokio::spawn(fetch(1)).await.unwrap() });
    assert_eq!(page.as_deref(), Ok("page 1"));
    assert_eq!(smol::block_on(fetch(1)).as_deref(), Ok("page 1"));
    assert_eq!(
        futures_executor::block_on(fetch(1)).as_deref(),
        Ok("page 1")
    );
    assert_eq!(
        FETCH_RUNS.load(Ordering::SeqCst),
        1,
        "computed once, then read back"
    );
    assert!(smol::block_on(fetch(0)).is_err());
    assert!(runtime.block_on(fetch(0)).is_err());
    assert_eq!(FETCH_RUNS.load(Ordering::SeqCst), 3, "an Err is not stored");
    let info = fetch::cache_info();
    assert_eq!((info.hits, info.misses, info.currsize), (2, 3, 1));
    assert_eq!(fetch::cache_errors(), 0);
}

static PATHS_RUNS: AtomicU64 = AtomicU64::new(0);

#[derive(serde::Serialize)]
struct Grid {
    name: &'static str,
}

#[derive(serde::Serialize)]
struct Board {
    name: &'static str,
}

impl Grid {
    /// The receiver is part of the key.
    #[memoize(store = disk("../target/py38-tests/methods.lmdb"))]
    fn paths(&self, size: u64) -> u64 {
        PATHS_RUNS.fetch_add(1, Ordering::SeqCst);
        size * 2
    }
}

impl Board {
    /// Same module, same method name, a receiver that serializes the same as a `Grid`: the
    /// type's name keeps their entries apart.
    #[memoize(store = disk("../target/py38-tests/methods.lmdb"))]
    fn paths(&self, size: u64) -> u64 {
        PATHS_RUNS.fetch_add(1, Ordering::SeqCst);
        size * 3
    }
}

static SIZE_RUNS: AtomicU64 = AtomicU64::new(0);

#[memoize(store = disk("../target/py38-tests/generic.lmdb"))]
fn size_of<T: Default + std::fmt::Debug, const N: usize>(label: &str) -> String {
    SIZE_RUNS.fetch_add(1, Ordering::SeqCst);
    format!("{label}: {N} x {:?}", T::default())
}

#[test]
fn methods_and_generic_functions_keep_their_instantiations_apart() {
    fresh("../target/py38-tests/methods.lmdb");
    fresh("../target/py38-tests/generic.lmdb");
    let (grid, board) = (Grid { name: "a" }, Board { name: "a" });
    assert_eq!(grid.paths(5), 10);
    assert_eq!(grid.paths(5), 10);
    assert_eq!(board.paths(5), 15, "not the grid's entry");
    assert_eq!(Grid { name: "b" }.paths(5), 10);
    assert_eq!(PATHS_RUNS.load(Ordering::SeqCst), 3);
    assert_eq!(Grid::paths_cache_info().hits, 1);
    assert!(grid.paths_cache_invalidate(5));
    assert_eq!((grid.name, board.name), ("a", "a"));

    assert_eq!(size_of::<u8, 2>("x"), "x: 2 x 0");
    assert_eq!(size_of::<u8, 2>("x"), "x: 2 x 0");
    assert_eq!(size_of::<bool, 2>("x"), "x: 2 x false");
    assert_eq!(size_of::<u8, 3>("x"), "x: 3 x 0");
    assert_eq!(
        SIZE_RUNS.load(Ordering::SeqCst),
        3,
        "one entry per instantiation"
    );
    let info = size_of::cache_info();
    assert_eq!((info.hits, info.misses, info.currsize), (1, 3, 3));
    assert!(size_of::cache_invalidate::<bool, 2>("x"));
    assert_eq!(size_of::cache_info().currsize, 2);
}

#[memoize(store = disk("../target/py38-tests/read-only/c.lmdb"))]
fn in_a_read_only_directory(n: u64) -> u64 {
    n * 5
}

#[test]
fn a_read_only_directory_is_reported_and_the_function_still_works() {
    use std::os::unix::fs::PermissionsExt;
    let name = "a_read_only_directory_is_reported_and_the_function_still_works";
    if role().as_deref() == Some("read-only") {
        assert_eq!(in_a_read_only_directory(2), 10);
        assert_eq!(in_a_read_only_directory(2), 10);
        let info = in_a_read_only_directory::cache_info();
        println!(
            "misses={} errors={}",
            info.misses,
            in_a_read_only_directory::cache_errors()
        );
        return;
    }
    if role().is_some() {
        return;
    }
    let dir = Path::new("../target/py38-tests/read-only");
    if dir.exists() {
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o755)).unwrap();
        std::fs::remove_dir_all(dir).unwrap();
    }
    std::fs::create_dir_all(dir).unwrap();
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o555)).unwrap();
    // Root is not stopped by permissions: then the child runs as `nobody`.
    let as_root = std::fs::write(dir.join("probe"), b"").is_ok();
    let exe = std::env::current_exe().unwrap();
    let mut command = if as_root {
        let _ = std::fs::remove_file(dir.join("probe"));
        let mut command = Command::new("setpriv");
        command
            .args(["--reuid=65534", "--regid=65534", "--clear-groups"])
            .arg(&exe);
        command
    } else {
        Command::new(&exe)
    };
    let output = command
        .args([&*test_name(module_path!(), name), "--exact", "--nocapture"])
        .env("PY38_TEST_ROLE", "read-only")
        .output()
        .unwrap();
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o755)).unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(stdout.contains("misses=2 errors="), "{stdout}");
    assert!(
        !stdout.contains("errors=0"),
        "the store's failures are counted: {stdout}"
    );
    assert!(!dir.join("c.lmdb").exists());
}

#[memoize(store = disk("../target/py38-tests/full/c.lmdb"), maxsize = None)]
fn padded(n: u64) -> String {
    format!("{n:>4000}")
}

#[test]
fn a_full_disk_is_reported_and_the_function_still_works() {
    let name = "a_full_disk_is_reported_and_the_function_still_works";
    if role().as_deref() == Some("full") {
        // Far more than the file may hold: writes start failing part way.
        for n in 0..400_u64 {
            assert_eq!(padded(n).trim_start(), n.to_string());
        }
        for n in 0..400_u64 {
            assert_eq!(padded(n).trim_start(), n.to_string());
        }
        let info = padded::cache_info();
        println!(
            "hits={} misses={} errors={}",
            info.hits,
            info.misses,
            padded::cache_errors()
        );
        return;
    }
    if role().is_some() {
        return;
    }
    let dir = Path::new("../target/py38-tests/full");
    let _ = std::fs::remove_dir_all(dir);
    std::fs::create_dir_all(dir).unwrap();
    // A full disk, for this process only: files may not grow past 256 KiB (writes past it fail
    // with EFBIG; SIGXFSZ, which would kill the process instead, is ignored, as `exec` keeps).
    let exe = std::env::current_exe().unwrap();
    let output = Command::new("bash")
        .arg("-c")
        .arg("trap '' XFSZ; exec prlimit --fsize=262144 \"$0\" \"$@\"")
        .arg(&exe)
        .args([&*test_name(module_path!(), name), "--exact", "--nocapture"])
        .env("PY38_TEST_ROLE", "full")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let counts = stdout
        .lines()
        .find(|line| line.starts_with("hits="))
        .unwrap_or_else(|| panic!("{stdout}"));
    let count = |name: &str| -> u64 {
        counts
            .split_whitespace()
            .find_map(|part| part.strip_prefix(name))
            .unwrap()
            .parse()
            .unwrap()
    };
    assert!(
        count("errors=") > 0,
        "writes failed once the file was full: {stdout}"
    );
    assert!(count("hits=") > 0, "what fit is still served: {stdout}");
    assert!(
        count("misses=") > 400,
        "what did not fit is computed again: {stdout}"
    );
    assert!(stdout.contains("log: "), "the failure was logged: {stdout}");
    // With room again, the file opens and serves what was committed.
    assert_eq!(padded(1).trim_start(), "1");
    assert_eq!(padded::cache_errors(), 0);
    assert_eq!(
        padded::cache_info().hits,
        1,
        "the first entries fit before the disk was full"
    );
}

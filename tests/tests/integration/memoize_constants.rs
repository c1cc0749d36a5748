//! `maxsize` and `ttl` given as constant expressions: paths, arithmetic, casts, const fn calls
//! and blocks, of any integer type, float seconds or a `Duration`, checked while compiling.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use py38::memoize;

const MAX_ENTRIES: u32 = 2;
const CACHE_TTL_SECS: u64 = 300;
const SHORT_TTL_SECS: f64 = 0.05;
const UNBOUNDED: Option<usize> = None;

mod config {
    pub(crate) const MAX: i64 = 8;
}

#[test]
fn maxsize_constant_bounds_the_cache() {
    static RUNS: AtomicUsize = AtomicUsize::new(0);
    #[memoize(maxsize = MAX_ENTRIES)]
    fn square(n: u64) -> u64 {
        RUNS.fetch_add(1, Ordering::SeqCst);
        n * n
    }
    square(1);
    square(2);
    square(3); // evicts 1, the least recently used
    assert_eq!(square::cache_info().currsize, 2);
    square(1);
    assert_eq!(RUNS.load(Ordering::SeqCst), 4, "1 was evicted");
    square(3);
    assert_eq!(RUNS.load(Ordering::SeqCst), 4, "3 was kept");
    assert_eq!(
        square::cache_info().to_string(),
        "CacheInfo(hits=1, misses=4, maxsize=2, currsize=2)"
    );
    assert_eq!(square::cache_parameters().maxsize, Some(2));
}

#[test]
fn maxsize_takes_any_constant_expression() {
    #[memoize(maxsize = 4 * 1024)]
    fn product(n: u8) -> u8 {
        n
    }
    #[memoize(maxsize = config::MAX / 2)]
    fn half(n: u8) -> u8 {
        n
    }
    #[memoize(maxsize = CACHE_TTL_SECS as usize + 1)]
    fn cast(n: u8) -> u8 {
        n
    }
    #[memoize(maxsize = { const DOUBLE: u32 = MAX_ENTRIES * 2; DOUBLE })]
    fn block(n: u8) -> u8 {
        n
    }
    #[memoize(maxsize = UNBOUNDED)]
    fn unbounded(n: u8) -> u8 {
        n
    }
    assert_eq!(product::cache_parameters().maxsize, Some(4096));
    assert_eq!(half::cache_parameters().maxsize, Some(4));
    assert_eq!(cast::cache_parameters().maxsize, Some(301));
    assert_eq!(block::cache_parameters().maxsize, Some(4));
    assert_eq!(unbounded::cache_parameters().maxsize, None);
    for n in 0..=255 {
        unbounded(n);
    }
    assert_eq!(unbounded::cache_info().currsize, 256);
    assert_eq!(unbounded::cache_info().maxsize, None);
}

#[test]
fn ttl_constant_in_whole_seconds() {
    #[memoize(ttl = CACHE_TTL_SECS)]
    fn page(id: u32) -> String {
        format!("page {id}")
    }
    assert_eq!(page(1), "page 1");
    assert_eq!(page::cache_parameters().ttl, Some(Duration::from_secs(300)));
    assert_eq!(
        page::cache_parameters().to_string(),
        "{'maxsize': 128, 'typed': False, 'ttl': 300.0}"
    );
}

#[test]
fn ttl_constant_in_float_seconds_expires_entries() {
    static RUNS: AtomicUsize = AtomicUsize::new(0);
    #[memoize(ttl = SHORT_TTL_SECS)]
    fn stamp(n: u32) -> u32 {
        RUNS.fetch_add(1, Ordering::SeqCst);
        n
    }
    stamp(1);
    stamp(1);
    assert_eq!(RUNS.load(Ordering::SeqCst), 1);
    std::thread::sleep(Duration::from_millis(80));
    stamp(1);
    assert_eq!(RUNS.load(Ordering::SeqCst), 2, "expired: computed again");
    assert_eq!(
        stamp::cache_parameters().ttl,
        Some(Duration::from_millis(50))
    );
}

#[test]
fn ttl_constant_as_a_duration() {
    #[memoize(ttl = Duration::from_secs(5 * 60), maxsize = MAX_ENTRIES)]
    fn fetch(id: u32) -> u32 {
        id
    }
    #[memoize(ttl = core::time::Duration::from_millis(1500))]
    async fn fetch_async(id: u32) -> u32 {
        id
    }
    assert_eq!(fetch(3), 3);
    assert_eq!(futures_executor::block_on(fetch_async(3)), 3);
    assert_eq!(
        fetch::cache_parameters().to_string(),
        "{'maxsize': 2, 'typed': False, 'ttl': 300.0}"
    );
    assert_eq!(
        fetch_async::cache_parameters().ttl,
        Some(Duration::from_millis(1500))
    );
}

#[test]
fn a_generic_function_takes_constants() {
    #[memoize(maxsize = MAX_ENTRIES, ttl = 60_u8)]
    fn first<T: Clone + std::hash::Hash + Eq>(items: Vec<T>) -> Option<T> {
        items.first().cloned()
    }
    assert_eq!(first(vec![1, 2]), Some(1));
    assert_eq!(first(vec!["a"]), Some("a"));
    let parameters = first::cache_parameters();
    assert_eq!(parameters.maxsize, Some(2));
    assert_eq!(parameters.ttl, Some(Duration::from_secs(60)));
}

#[derive(Clone, Hash, PartialEq, Eq)]
struct Grid {
    width: u64,
}

impl Grid {
    const MAX_PATHS: usize = 3;

    #[memoize(maxsize = Grid::MAX_PATHS, ttl = CACHE_TTL_SECS / 2)]
    fn paths(&self, row: u64) -> u64 {
        row * self.width
    }
}

#[memoize]
impl Grid {
    #[memoize(maxsize = MAX_ENTRIES, ttl = Duration::from_secs(1))]
    fn double(x: u64) -> u64 {
        x * 2
    }
}

#[test]
fn a_method_takes_constants() {
    let grid = Grid { width: 4 };
    for row in 0..5 {
        assert_eq!(grid.paths(row), row * 4);
    }
    assert_eq!(Grid::paths_cache_info().currsize, 3);
    let parameters = Grid::paths_cache_parameters();
    assert_eq!(parameters.maxsize, Some(3));
    assert_eq!(parameters.ttl, Some(Duration::from_secs(150)));
    assert_eq!(Grid::double(2), 4);
    assert_eq!(
        Grid::double_cache_parameters().to_string(),
        "{'maxsize': 2, 'typed': False, 'ttl': 1.0}"
    );
}

const DISK_MAX: u16 = 2;
const DISK_TTL: Duration = Duration::from_secs(3600);

static DISK_RUNS: AtomicUsize = AtomicUsize::new(0);

#[memoize(
    store = disk("../target/py38-tests/constants.lmdb"),
    maxsize = DISK_MAX,
    ttl = DISK_TTL
)]
fn cube(n: u64) -> u64 {
    DISK_RUNS.fetch_add(1, Ordering::SeqCst);
    n * n * n
}

#[test]
fn a_store_that_outlives_the_process_takes_constants() {
    let path = "../target/py38-tests/constants.lmdb";
    for suffix in ["", "-lock", "-sync"] {
        let _ = std::fs::remove_file(format!("{path}{suffix}"));
    }
    std::fs::create_dir_all("../target/py38-tests").unwrap();
    let parameters = cube::cache_parameters();
    assert_eq!(parameters.maxsize, Some(2));
    assert_eq!(parameters.ttl, Some(Duration::from_secs(3600)));
    assert_eq!(cube(2), 8);
    assert_eq!(cube(2), 8);
    assert_eq!(DISK_RUNS.load(Ordering::SeqCst), 1);
    cube(3);
    cube(4); // at most DISK_MAX entries: one of 2 and 3 goes
    let info = cube::cache_info();
    assert_eq!((info.maxsize, info.currsize), (Some(2), 2));
    assert_eq!(cube::cache_errors(), 0);
}

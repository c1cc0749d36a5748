//! Every form of `#[memoize]`, `#[signature]` and `call!` in a user crate that denies warnings,
//! clippy's pedantic lints and requires docs: code the macros generate must trip none of them.
//!
//! Two builds check it, and either fails on a lint: trybuild builds and runs it (rustc's lints;
//! trybuild passes `-A dead_code`, which the `deny(dead_code)` below overrides), and it is also
//! an example of `py38-ui-tests`, so that `cargo clippy --all-targets` checks clippy's lints.
#![deny(warnings, clippy::all, clippy::pedantic)]
#![deny(missing_docs, unreachable_pub, unused_qualifications, unused_results)]
#![deny(rust_2018_idioms, dead_code)]

use std::future::Future;
use std::pin::pin;
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};

use py38::{call, memoize, signature};

/// Fibonacci numbers.
#[memoize]
#[must_use]
pub fn fib(n: u64) -> u64 {
    if n < 2 { n } else { fib(n - 1) + fib(n - 2) }
}

#[memoize(maxsize = None)]
fn private_unbounded(x: i64) -> i64 {
    x * x
}

#[memoize(maxsize = None, typed = true)]
fn unbounded_typed(text: &str, n: usize) -> String {
    text.repeat(n)
}

#[memoize(maxsize = 0, typed = true)]
fn uncached(text: &str, n: usize) -> String {
    text.repeat(n)
}

#[memoize(maxsize = 0)]
fn uncached_slice(items: &[u8]) -> Option<u8> {
    items.iter().max().copied()
}

/// Parses a port number.
///
/// # Errors
/// When `text` is not a number below 65536.
#[memoize(maxsize = 16)]
pub fn port(text: &str) -> Result<u16, std::num::ParseIntError> {
    text.trim().parse()
}

/// The largest item.
#[memoize]
#[must_use]
pub fn largest<T: Ord + Clone + std::hash::Hash>(items: &[T]) -> Option<T> {
    items.iter().max().cloned()
}

#[memoize]
fn private_smallest<T: Ord + Clone + std::hash::Hash>(items: &[T]) -> Option<T> {
    items.iter().min().cloned()
}

#[memoize]
fn side_effect(name: String) {
    drop(name);
}

/// A slow lookup, memoized for a minute.
#[memoize(maxsize = 8, ttl = 60)]
pub async fn fetch(id: u32) -> String {
    id.to_string()
}

#[memoize(ttl = 0.5)]
fn recent(n: u8) -> u8 {
    n.wrapping_add(1)
}

/// A slow lookup whose concurrent callers share one computation.
///
/// # Errors
/// When `text` is not a number.
#[memoize(single_flight = true, maxsize = 16)]
pub fn shared_parse(text: &str) -> Result<u64, std::num::ParseIntError> {
    text.trim().parse()
}

#[memoize(single_flight = true, maxsize = None, keep = |n: &u64| *n > 0)]
fn shared_private(n: u64) -> u64 {
    n
}

/// An `async fn`'s calls share one computation with or without the option.
#[memoize(single_flight = true)]
pub async fn shared_fetch(id: u32) -> String {
    id.to_string()
}

/// How many results `constant_options` keeps.
pub const MAX_ENTRIES: u32 = 64;

/// Options given as constants.
#[memoize(maxsize = MAX_ENTRIES / 2, ttl = std::time::Duration::from_millis(1500))]
#[must_use]
pub fn constant_options(n: u8) -> u8 {
    n
}

#[memoize(maxsize = { const SIGNED: i64 = 64; SIGNED - 1 }, ttl = 0.25_f32 * 4.0)]
fn private_constant_options(n: u8) -> u8 {
    n
}

/// The line of the first caller of each key (`#[track_caller]` reaches the body).
///
/// # Errors
/// When `key` is zero; an early `return` and `?` still work.
#[memoize]
#[track_caller]
pub fn caller_line<T: std::hash::Hash + Eq + Clone>(mut key: u32, tag: T) -> Result<u32, String> {
    drop(tag);
    if key == 0 {
        return Err(String::from("zero"));
    }
    key = u32::try_from(u64::from(key)).map_err(|e| e.to_string())?;
    Ok(key + std::panic::Location::caller().line())
}

/// Grids of paths.
pub mod grid {
    use py38::memoize;

    /// A grid.
    #[derive(Clone, Hash, PartialEq, Eq)]
    pub struct Grid {
        /// Width.
        pub width: usize,
    }

    impl Grid {
        /// Lattice paths to a cell.
        #[memoize]
        #[must_use]
        pub fn paths(&self, row: usize, col: usize) -> u64 {
            if row == 0 || col == 0 {
                1
            } else {
                self.paths(row - 1, col) + self.paths(row, col - 1)
            }
        }

        /// A grid of the given width.
        #[memoize(maxsize = 4)]
        #[must_use]
        pub fn new(width: usize) -> Self {
            Grid { width }
        }

        /// Cells, computed once for concurrent callers.
        #[memoize(single_flight = true)]
        #[must_use]
        pub fn cells(&self) -> usize {
            self.width * self.width
        }

        /// The line of the first caller, through a method.
        #[memoize]
        #[must_use]
        #[track_caller]
        pub fn caller_line(&self) -> u32 {
            std::panic::Location::caller().line() + u32::from(self.width == 0)
        }
    }

    /// Areas.
    #[memoize]
    pub(crate) fn area(w: u32, h: u32) -> u32 {
        w * h
    }
}

/// A board with a memoized associated function (`#[memoize]` on the impl block too).
#[derive(Clone, Hash, PartialEq, Eq)]
pub struct Board {
    /// Side.
    pub side: u32,
}

#[memoize]
impl Board {
    /// Cells on the board.
    #[memoize]
    #[must_use]
    pub fn cells(&self) -> u32 {
        self.side * self.side
    }

    /// A board of a side.
    #[memoize(maxsize = 4, ttl = MAX_ENTRIES)]
    #[must_use]
    pub fn new(side: u32) -> Self {
        Board { side }
    }
}

/// Results kept in a file (here in trybuild's project directory, where the case runs).
pub mod stored {
    use py38::memoize;

    /// Squares, kept on disk.
    #[memoize(store = disk("lint-clean.lmdb"), maxsize = 100, ttl = 60)]
    #[must_use]
    pub fn square(n: u64) -> u64 {
        n * n
    }

    /// Cubes, kept on disk for an hour at most.
    #[memoize(store = disk("lint-clean.lmdb"), maxsize = super::MAX_ENTRIES, ttl = 3600.0)]
    #[must_use]
    pub fn cube(n: u64) -> u64 {
        n * n * n
    }

    /// Parses, keeping only `Ok`.
    ///
    /// # Errors
    /// When `text` is not a number.
    #[memoize(store = disk("lint-clean.lmdb"), version = "2")]
    pub fn parse(text: &str) -> Result<i64, std::num::ParseIntError> {
        text.parse()
    }

    /// A report from the crate's cache file (never called: only compiled). `store = redis`
    /// expands to the same code with another backend.
    #[memoize(store = disk, ttl = 300)]
    pub async fn report(id: u32) -> String {
        std::future::ready(()).await;
        format!("report {id}")
    }

    /// A grid whose paths are kept on disk.
    #[derive(serde::Serialize)]
    pub struct Grid {
        /// Its size.
        pub size: u64,
    }

    impl Grid {
        /// Paths across the grid.
        #[memoize(store = disk("lint-clean.lmdb"))]
        #[must_use]
        pub fn paths(&self, steps: u64) -> u64 {
            self.size * steps
        }

        /// The grid grown by `by`, taken by value into a `mut` receiver.
        #[memoize(store = disk("lint-clean.lmdb"))]
        #[must_use]
        pub fn grown(mut self, by: u64) -> u64 {
            self.size += by;
            self.size
        }
    }
}

/// What code ported from `cached` and `memoize` writes: arguments left out of the key, a key
/// of one's own, results kept by a predicate, and the body called without the cache.
pub mod ported {
    use py38::memoize;

    /// A client: neither `Hash` nor `Clone`, and never part of a key.
    pub struct Client {
        /// Where it connects.
        pub base: String,
    }

    impl Client {
        /// A status line, one cache for every client.
        #[memoize(ignore = self)]
        #[must_use]
        pub fn status(&self, code: u16) -> String {
            format!("{code} from a client")
        }
    }

    /// A page, fetched once per path whatever the client.
    #[memoize(ignore = client)]
    #[must_use]
    pub fn page(client: &Client, path: &str) -> String {
        format!("{}{path}", client.base)
    }

    /// A user.
    pub struct User {
        /// Its id, which is the key.
        pub id: u64,
        /// Its name.
        pub name: String,
    }

    /// A greeting, keyed by the user's id alone.
    #[memoize(key = user.id)]
    #[must_use]
    pub fn greeting(user: &User, page: u32) -> String {
        format!("hello {} on page {page}", user.name)
    }

    /// A lookup that may find nothing: only what it finds is kept.
    #[memoize(keep = Option::is_some)]
    #[must_use]
    pub fn find(id: u32) -> Option<u32> {
        id.is_multiple_of(2).then_some(id / 2)
    }
}

/// Python's `def total(one, two, /, three, four=4, *, five, six=6)`.
#[signature(one, two, /, three, four = 4, *, five, six = 6)]
#[must_use]
pub fn total(one: i64, two: i64, three: i64, four: i64, five: i64, six: i64) -> i64 {
    one + two + three + four + five + six
}

#[signature(text, *, upper = false)]
fn shout(text: &str, upper: bool) -> String {
    if upper {
        text.to_uppercase()
    } else {
        text.to_owned()
    }
}

/// Memoized, with keywords.
#[memoize]
#[signature(n, /, *, offset = 0)]
#[must_use]
pub fn square(n: u64, offset: u64) -> u64 {
    n * n + offset
}

#[signature(value, *, width = 4)]
async fn padded<T: std::fmt::Display + Send>(value: T, width: usize) -> String {
    std::future::ready(()).await;
    format!("{value:>width$}")
}

/// A point, with methods that take keywords.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Point {
    x: i64,
    y: i64,
}

#[signature]
impl Point {
    /// Python's `Point(x, y=0)`.
    #[signature(x, y = 0)]
    #[must_use]
    pub fn new(x: i64, y: i64) -> Self {
        Point { x, y }
    }

    /// Moved by `dx`, `dy`, then scaled.
    #[signature(dx, /, dy = 0, *, scale = 1)]
    #[must_use]
    pub fn moved(&self, dx: i64, dy: i64, scale: i64) -> Self {
        Point {
            x: (self.x + dx) * scale,
            y: (self.y + dy) * scale,
        }
    }

    #[signature(by = 1)]
    fn bump(&mut self, by: i64) -> &mut Self {
        self.x += by;
        self
    }

    #[memoize]
    #[signature(*, times = 2)]
    fn norm(self, times: i64) -> i64 {
        (self.x.abs() + self.y.abs()) * times
    }

    #[signature(label = "p")]
    async fn describe(&self, label: &str) -> String {
        std::future::ready(()).await;
        format!("{label}({}, {})", self.x, self.y)
    }
}

/// Runs a future to its end on this thread, which sleeps while the future waits.
fn block_on<F: Future>(future: F) -> F::Output {
    struct Unpark(std::thread::Thread);
    impl Wake for Unpark {
        fn wake(self: Arc<Self>) {
            self.0.unpark();
        }
    }
    let waker = Waker::from(Arc::new(Unpark(std::thread::current())));
    let mut context = Context::from_waker(&waker);
    let mut future = pin!(future);
    loop {
        if let Poll::Ready(output) = future.as_mut().poll(&mut context) {
            return output;
        }
        std::thread::park();
    }
}

fn main() {
    // `#[memoize]`, in memory.
    assert_eq!(fib(30), 832_040);
    assert_eq!(private_unbounded(3), 9);
    assert_eq!(unbounded_typed("ab", 2), "abab");
    assert_eq!(uncached("ab", 2), "abab");
    assert_eq!(uncached_slice(&[1, 3]), Some(3));
    assert_eq!(port("80"), Ok(80));
    assert_eq!(largest(&[1, 3, 2]), Some(3));
    assert_eq!(private_smallest(&["b", "a"]), Some("a"));
    side_effect("x".to_owned());
    assert_eq!(block_on(fetch(7)), "7");
    assert_eq!(recent(1), 2);
    assert_eq!(shared_parse("42"), Ok(42));
    assert_eq!(shared_private(2), 2);
    assert_eq!(block_on(shared_fetch(3)), "3");
    assert_eq!(shared_parse::cache_info().misses, 1);
    assert_eq!(constant_options(1), 1);
    assert_eq!(private_constant_options(1), 1);
    assert_eq!(constant_options::cache_parameters().maxsize, Some(32));
    assert_eq!(private_constant_options::cache_info().maxsize, Some(63));
    assert_eq!(caller_line(0, 'a'), Err(String::from("zero")));
    assert_eq!(caller_line(1, 'a'), Ok(line!() + 1));
    let g = grid::Grid::new(3);
    assert_eq!(g.paths(2, 2), 6);
    assert_eq!(g.caller_line(), line!());
    assert_eq!(g.cells(), 9);
    assert_eq!(grid::area(2, 3), 6);
    assert_eq!(Board::new(3).cells(), 9);
    assert_eq!(Board::cells_cache_info().misses, 1);
    assert_eq!(fib::cache_info().misses, 31);
    assert_eq!(grid::Grid::paths_cache_info().currsize, 8);
    assert_eq!(grid::area::cache_parameters().maxsize, Some(128));
    fib::cache_clear();

    // `#[memoize(store = ...)]`: the file outlives the run, so no counts are checked.
    assert_eq!(stored::square(4), 16);
    assert_eq!(stored::cube(2), 8);
    assert_eq!(stored::parse("12"), Ok(12));
    assert_eq!(stored::Grid { size: 3 }.paths(2), 6);
    assert!(!stored::square::cache_invalidate(5));
    assert_eq!(stored::Grid { size: 3 }.grown(2), 5);
    assert!(!stored::Grid { size: 7 }.grown_cache_invalidate(1));

    // Ported code.
    let client = ported::Client {
        base: String::from("https://example.org"),
    };
    assert_eq!(ported::page(&client, "/a"), "https://example.org/a");
    assert_eq!(
        ported::page::uncached(&client, "/a"),
        "https://example.org/a"
    );
    assert_eq!(client.status(200), "200 from a client");
    assert_eq!(
        ported::Client::status_uncached(&client, 404),
        "404 from a client"
    );
    let user = ported::User {
        id: 1,
        name: String::from("ada"),
    };
    assert_eq!(ported::greeting(&user, 2), "hello ada on page 2");
    assert!(ported::greeting::cache_invalidate(&user, 2));
    assert_eq!(ported::find(4), Some(2));
    assert_eq!(ported::find(3), None);
    assert_eq!(ported::find::cache_info().currsize, 1);

    // `#[signature]` and `call!`.
    assert_eq!(call!(total(1, 2, 3, five = 5)), 21);
    assert_eq!(call!(shout("hi", upper = true)), "HI");
    assert_eq!(call!(square(3)), 9);
    assert_eq!(block_on(call!(padded(7))), "   7");
    let mut p = call!(Point::new(1, y = 2));
    assert_eq!(call!(p.moved(1, scale = 2)), Point { x: 4, y: 4 });
    assert_eq!(call!(p.bump()).x, 2);
    assert_eq!(call!(p.norm()), 8);
    assert_eq!(block_on(call!(p.describe())), "p(2, 2)");
}

//! Code `#[memoize]` generates is clean under strict lints in a user's crate: `cargo clippy
//! --all-targets -- -D warnings` (run by CI) checks this file with the lints below.
#![deny(warnings, clippy::all, clippy::pedantic)]
#![deny(missing_docs, unreachable_pub, unused_qualifications, unused_results)]

use py38::memoize;

/// Fibonacci numbers.
#[memoize]
pub fn fib(n: u64) -> u64 {
    if n < 2 { n } else { fib(n - 1) + fib(n - 2) }
}

#[memoize(maxsize = None, typed = true)]
fn private_unbounded(text: &str, n: usize) -> String {
    text.repeat(n)
}

#[memoize(maxsize = 0)]
fn uncached(items: &[u8]) -> Option<u8> {
    items.iter().max().copied()
}

/// Parses a port.
///
/// # Errors
/// When `text` is not a number below 65536.
#[memoize(maxsize = 16)]
pub fn port(text: &str) -> Result<u16, std::num::ParseIntError> {
    text.trim().parse()
}

#[memoize]
fn largest<T: Ord + Clone + std::hash::Hash>(items: &[T]) -> Option<T> {
    items.iter().max().cloned()
}

#[memoize]
fn side_effect(name: String) {
    drop(name);
}

/// A grid.
#[derive(Clone, Hash, PartialEq, Eq)]
pub struct Grid {
    /// Width.
    pub width: u64,
}

impl Grid {
    /// Lattice paths to a cell.
    #[memoize]
    #[must_use]
    pub fn paths(&self, row: u64, col: u64) -> u64 {
        if row == 0 || col == 0 {
            self.width.min(1)
        } else {
            self.paths(row - 1, col) + self.paths(row, col - 1)
        }
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
    #[memoize(maxsize = 4)]
    #[must_use]
    pub fn new(side: u32) -> Self {
        Board { side }
    }
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

impl Grid {
    /// The line of the first caller, through a method.
    #[memoize]
    #[must_use]
    #[track_caller]
    pub fn caller_line(&self) -> u32 {
        std::panic::Location::caller().line() + u32::from(self.width == 0)
    }
}

#[test]
fn every_form_works_under_strict_lints() {
    assert_eq!(caller_line(0, 'a'), Err(String::from("zero")));
    assert_eq!(caller_line(1, 'a'), Ok(line!() + 1));
    assert_eq!(Grid { width: 1 }.caller_line(), line!());
    assert_eq!(Board::new(3).cells(), 9);
    assert_eq!(Board::cells_cache_info().misses, 1);
    assert_eq!(futures_executor::block_on(fetch(7)), "7");
    assert_eq!(recent(1), 2);
    assert_eq!(fib(20), 6765);
    assert_eq!(private_unbounded("ab", 2), "abab");
    assert_eq!(uncached(&[1, 3]), Some(3));
    assert_eq!(port("80"), Ok(80));
    assert_eq!(largest(&["b", "a"]), Some("b"));
    side_effect(String::from("x"));
    assert_eq!(Grid { width: 1 }.paths(2, 2), 6);
    assert_eq!(fib::cache_info().misses, 21);
    assert_eq!(Grid::paths_cache_info().misses, 8);
}

//! Every form of `#[memoize]` in a user crate that denies warnings and requires docs.
#![deny(warnings, missing_docs, unreachable_pub, unused_qualifications, rust_2018_idioms)]

use py38::memoize;

/// Fibonacci numbers.
#[memoize]
pub fn fib(n: u64) -> u64 {
    if n < 2 { n } else { fib(n - 1) + fib(n - 2) }
}

#[memoize(maxsize = None)]
fn private_unbounded(x: i64) -> i64 {
    x * x
}

#[memoize(maxsize = 0, typed = true)]
fn uncached(text: &str, n: usize) -> String {
    text.repeat(n)
}

/// Parses a port number.
#[memoize(maxsize = 16)]
pub fn port(text: &str) -> Result<u16, std::num::ParseIntError> {
    text.trim().parse()
}

/// The largest item.
#[memoize]
pub fn largest<T: Ord + Clone + std::hash::Hash>(items: &[T]) -> Option<T> {
    items.iter().max().cloned()
}

#[memoize]
fn side_effect(name: String) {
    let _ = name;
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
        pub fn paths(&self, row: usize, col: usize) -> u64 {
            if row == 0 || col == 0 {
                1
            } else {
                self.paths(row - 1, col) + self.paths(row, col - 1)
            }
        }

        /// A grid of the given width.
        #[memoize(maxsize = 4)]
        pub fn new(width: usize) -> Self {
            Grid { width }
        }
    }

    /// Areas.
    #[memoize]
    pub(crate) fn area(w: u32, h: u32) -> u32 {
        w * h
    }
}

fn main() {
    assert_eq!(fib(30), 832_040);
    assert_eq!(private_unbounded(3), 9);
    assert_eq!(uncached("ab", 2), "abab");
    assert!(port("80").is_ok());
    assert_eq!(largest(&[1, 3, 2]), Some(3));
    side_effect("x".to_owned());
    let g = grid::Grid::new(3);
    assert_eq!(g.paths(2, 2), 6);
    assert_eq!(grid::area(2, 3), 6);
    assert_eq!(fib::cache_info().misses, 31);
    assert_eq!(grid::Grid::paths_cache_info().currsize, 8);
    assert_eq!(grid::area::cache_parameters().maxsize, Some(128));
    fib::cache_clear();
}

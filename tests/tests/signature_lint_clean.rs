//! Code `#[signature]` and `call!` generate is clean under strict lints in a user's crate:
//! `cargo clippy --all-targets -- -D warnings` (run by CI) checks this file with the lints below.
#![deny(warnings, clippy::all, clippy::pedantic)]
#![deny(missing_docs, unreachable_pub, unused_qualifications, unused_results)]

use py38::{call, memoize, signature};

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

#[test]
fn methods_compile_cleanly_and_run() {
    let mut p = call!(Point::new(1, y = 2));
    assert_eq!(call!(p.moved(1, scale = 2)), Point { x: 4, y: 4 });
    assert_eq!(call!(p.bump()).x, 2);
    assert_eq!(call!(p.norm()), 8);
    assert_eq!(futures_executor::block_on(call!(p.describe())), "p(2, 2)");
}

#[test]
fn calls_compile_cleanly_and_run() {
    assert_eq!(call!(total(1, 2, 3, five = 5)), 21);
    assert_eq!(call!(shout("hi", upper = true)), "HI");
    assert_eq!(call!(square(3)), 9);
    assert_eq!(futures_executor::block_on(call!(padded(7))), "   7");
}

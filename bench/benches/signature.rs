//! `call!` against the direct call it stands for: `cargo bench -p py38-bench --bench signature`.
//! `call!` expands to the direct call through zero-sized, always-inlined steps, so each ratio
//! should be 1.00 within noise (methods too: their handle holds the receiver, nothing more).

use std::hint::black_box;

use py38::{call, signature};

fn main() {
    divan::main();
}

#[signature(a, b, /, c, d = 4, *, e, f = 6)]
#[inline(never)]
fn f(a: i64, b: i64, c: i64, d: i64, e: i64, f: i64) -> i64 {
    a.wrapping_mul(b) ^ c.wrapping_add(d) ^ e.rotate_left(3) ^ f
}

#[signature(text, /, sep = ", ", *, upper = false)]
#[inline(never)]
fn join(text: &[&str], sep: &str, upper: bool) -> usize {
    text.iter().map(|t| t.len()).sum::<usize>() + sep.len() * text.len() + usize::from(upper)
}

mod six_integers {
    use super::*;

    #[divan::bench]
    fn call_macro() -> i64 {
        call!(f(
            black_box(10),
            black_box(20),
            black_box(30),
            e = black_box(50)
        ))
    }
    #[divan::bench]
    fn direct() -> i64 {
        f(
            black_box(10),
            black_box(20),
            black_box(30),
            4,
            black_box(50),
            6,
        )
    }
}

mod keywords_out_of_order {
    use super::*;

    #[divan::bench]
    fn call_macro() -> i64 {
        call!(f(
            black_box(1),
            black_box(2),
            f = black_box(6),
            e = black_box(5),
            c = black_box(3)
        ))
    }
    #[divan::bench]
    fn direct() -> i64 {
        let (a, b, f6, e, c) = (
            black_box(1),
            black_box(2),
            black_box(6),
            black_box(5),
            black_box(3),
        );
        f(a, b, c, 4, e, f6)
    }
}

mod borrowed_with_defaults {
    use super::*;

    #[divan::bench]
    fn call_macro() -> usize {
        let words = black_box(["alpha", "beta"]);
        call!(join(&words, upper = black_box(true)))
    }
    #[divan::bench]
    fn direct() -> usize {
        let words = black_box(["alpha", "beta"]);
        join(&words, ", ", black_box(true))
    }
}

struct Point {
    x: i64,
    y: i64,
}

#[signature]
impl Point {
    #[signature(dx, /, dy = 0, *, scale = 1)]
    #[inline(never)]
    fn moved(&self, dx: i64, dy: i64, scale: i64) -> i64 {
        (self.x + dx).wrapping_mul(scale) ^ (self.y + dy)
    }
}

mod method_with_keywords {
    use super::*;

    #[divan::bench]
    fn call_macro() -> i64 {
        let p = black_box(Point { x: 1, y: 2 });
        call!(p.moved(black_box(3), scale = black_box(7)))
    }
    #[divan::bench]
    fn direct() -> i64 {
        let p = black_box(Point { x: 1, y: 2 });
        p.moved(black_box(3), 0, black_box(7))
    }
}

use py38::{call, signature};

#[signature(a, b, /, c, d = 4, *, e, f = 6)]
fn f(a: i64, b: i64, c: i64, d: i64, e: i64, f: i64) -> i64 {
    a + b + c + d + e + f
}

#[signature(value, *, width = 8)]
fn pad<T: std::fmt::Display>(value: T, width: usize) -> String {
    format!("{value:>width$}")
}

fn main() {
    // A refused call reports Python's message only: nothing about its result's type, nor
    // about the code after it.
    let total: i64 = call!(f(10, 20, 30, z = 1)) * 2;
    let text = call!(pad(1, 2, 3));
    println!("{total} {}", text.len());
}

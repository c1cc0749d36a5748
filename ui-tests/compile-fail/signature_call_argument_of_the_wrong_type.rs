use py38::{call, signature};

#[signature(a, b, /, c, d = 4, *, e, f = 6)]
fn f(a: i64, b: i64, c: i64, d: i64, e: i64, f: i64) -> i64 {
    a + b + c + d + e + f
}

fn main() {
    // Type errors are rustc's, each on the argument, as in a direct call.
    call!(f(10, "20", 30, d = "4", e = 5));
}

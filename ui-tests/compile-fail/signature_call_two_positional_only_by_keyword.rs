use py38::{call, signature};

#[signature(a, b, /)]
fn h(a: i64, b: i64) -> i64 {
    a + b
}

#[signature(*, e, f)]
fn g(e: i64, f: i64) -> i64 {
    e + f
}

fn main() {
    call!(h(a = 1, b = 2));
    call!(g());
}

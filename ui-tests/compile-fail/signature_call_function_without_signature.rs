use py38::call;

fn g(a: i64, b: i64) -> i64 {
    a + b
}

fn main() {
    // `g` has no `#[signature]`: there is nothing to bind `b = 2` to.
    call!(g(1, b = 2));
}

use py38::memoize;

#[memoize(maxsize = 1.5)]
fn f(x: u32) -> u32 {
    x
}

#[memoize(maxsize = "big")]
fn g(x: u32) -> u32 {
    x
}

fn main() {
    f(1);
    g(1);
}

use py38::memoize;

fn limit() -> usize {
    4
}

#[memoize(maxsize = limit())]
fn f(x: u32) -> u32 {
    x
}

fn main() {
    f(1);
}

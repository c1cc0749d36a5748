use py38::memoize;

#[memoize(maxsize)]
fn f(x: u32) -> u32 {
    x
}

fn main() {
    f(1);
}

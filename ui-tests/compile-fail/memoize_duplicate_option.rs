use py38::memoize;

#[memoize(maxsize = 3, maxsize = 4)]
fn f(x: u32) -> u32 {
    x
}

fn main() {
    f(1);
}

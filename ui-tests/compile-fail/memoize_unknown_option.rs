use py38::memoize;

#[memoize(size = 3)]
fn f(x: u32) -> u32 {
    x
}

fn main() {
    f(1);
}

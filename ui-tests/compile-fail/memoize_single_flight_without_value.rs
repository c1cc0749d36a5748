use py38::memoize;

#[memoize(maxsize = 8, single_flight)]
fn f(x: u32) -> u32 {
    x
}

fn main() {
    f(1);
}

use py38::memoize;

#[memoize(single_flight = 1)]
fn f(x: u32) -> u32 {
    x
}

fn main() {
    f(1);
}

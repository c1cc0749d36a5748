use py38::memoize;

#[memoize(single_flight = true, maxsize = 8, single_flight = false)]
fn f(x: u32) -> u32 {
    x
}

fn main() {
    f(1);
}

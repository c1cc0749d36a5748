use py38::memoize;

#[memoize(maxsize = 0, ttl = 60)]
fn f(x: u32) -> u32 {
    x
}

fn main() {
    f(1);
}

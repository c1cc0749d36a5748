use py38::memoize;

#[memoize(ttl = "5 minutes")]
fn f(x: u32) -> u32 {
    x
}

fn main() {
    f(1);
}

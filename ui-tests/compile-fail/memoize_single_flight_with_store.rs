use py38::memoize;

// Only the in-memory cache shares a computation between concurrent calls.
#[memoize(store = disk, single_flight = true)]
fn f(x: u32) -> u32 {
    x
}

fn main() {
    f(1);
    f::cache_clear();
}

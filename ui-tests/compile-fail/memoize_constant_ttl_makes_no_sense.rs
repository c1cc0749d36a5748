use std::time::Duration;

use py38::memoize;

const CACHE_TTL: i32 = -5;
const RATE: f64 = 0.0;

#[memoize(ttl = CACHE_TTL)]
fn negative(x: u32) -> u32 {
    x
}

#[memoize(ttl = RATE / RATE)]
fn nan(x: u32) -> u32 {
    x
}

#[memoize(ttl = -0.5 * 2.0)]
fn negative_float(x: u32) -> u32 {
    x
}

#[memoize(ttl = Duration::from_secs(0))]
fn zero(x: u32) -> u32 {
    x
}

#[memoize(store = disk, ttl = RATE)]
fn zero_on_disk(x: u32) -> u32 {
    x
}

fn main() {
    negative(1);
    nan(1);
    negative_float(1);
    zero(1);
    zero_on_disk(1);
}

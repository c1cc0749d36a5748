use py38::memoize;

const BIG: &str = "big";
const RATIO: f64 = 1.5;
const FOREVER: bool = true;

#[memoize(maxsize = BIG)]
fn text(x: u32) -> u32 {
    x
}

#[memoize(maxsize = RATIO * 2.0)]
fn float(x: u32) -> u32 {
    x
}

#[memoize(ttl = FOREVER)]
fn flag(x: u32) -> u32 {
    x
}

#[memoize(store = disk, ttl = Some(5))]
fn option_on_disk(x: u32) -> u32 {
    x
}

fn main() {
    text(1);
    float(1);
    flag(1);
    option_on_disk(1);
}

use py38::memoize;

const MAX_ENTRIES: i64 = -5;

#[memoize(maxsize = MAX_ENTRIES)]
fn f(x: u32) -> u32 {
    x
}

#[memoize(maxsize = MAX_ENTRIES / 5 + 1 - 2)]
fn g(x: u32) -> u32 {
    x
}

#[memoize(store = disk, maxsize = -(MAX_ENTRIES as i128) - 6)]
fn on_disk(x: u32) -> u32 {
    x
}

fn main() {
    f(1);
    g(1);
    on_disk(1);
}

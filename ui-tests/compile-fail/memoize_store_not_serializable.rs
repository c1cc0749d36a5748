use py38::memoize;

#[derive(Clone, Hash, PartialEq, Eq)]
struct Plain(u64);

#[derive(Clone, serde::Serialize)]
struct WriteOnly(u64);

#[memoize(store = disk)]
fn argument(value: Plain, n: u64) -> u64 {
    value.0 + n
}

#[memoize(store = disk)]
fn result(n: u64) -> WriteOnly {
    WriteOnly(n)
}

fn main() {}

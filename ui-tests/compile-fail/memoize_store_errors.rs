use py38::memoize;

#[memoize(store = tape)]
fn unknown_store(n: u64) -> u64 {
    n
}

#[memoize(store = disk("a", "b"))]
fn two_paths(n: u64) -> u64 {
    n
}

#[memoize(version = "2")]
fn version_without_store(n: u64) -> u64 {
    n
}

#[memoize(store = disk, version = 2)]
fn version_not_a_string(n: u64) -> u64 {
    n
}

#[memoize(store = disk)]
async fn not_yet_async(n: u64) -> u64 {
    n
}

fn main() {}

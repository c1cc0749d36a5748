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

// The UI tests build py38 with its `disk` feature only.
#[memoize(store = redis)]
fn without_the_feature(n: u64) -> u64 {
    n
}

#[memoize(store = custom("not a function"))]
fn custom_needs_a_function(n: u64) -> u64 {
    n
}

#[memoize(store = 5)]
fn store_not_a_name(n: u64) -> u64 {
    n
}

#[memoize(store = some::disk)]
fn store_a_path(n: u64) -> u64 {
    n
}

fn main() {}

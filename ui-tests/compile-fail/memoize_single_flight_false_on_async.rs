use py38::memoize;

// An `async fn` memoized in memory always shares one computation between concurrent calls.
#[memoize(single_flight = false)]
async fn fetch(id: u32) -> String {
    id.to_string()
}

fn main() {
    drop(fetch(1));
    fetch::cache_clear();
}

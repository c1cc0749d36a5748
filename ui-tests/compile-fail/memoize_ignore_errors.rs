use py38::memoize;

struct Client;

// Not a parameter, named twice, and not a name.
#[memoize(ignore = [client, http, http, http.pool])]
fn fetch(http: &Client, id: u32) -> u32 {
    let _ = http;
    id
}

// `key` and `ignore` together.
#[memoize(ignore = http, key = id)]
fn both(http: &Client, id: u32) -> u32 {
    let _ = http;
    id
}

fn main() {
    let _ = fetch(&Client, 1);
    let _ = both(&Client, 1);
}

use py38::memoize;

struct Client;

#[derive(Clone)]
struct Query {
    weight: f64,
}

// The key expression's type cannot be a key.
#[memoize(key = query.clone())]
fn score(query: &Query) -> f64 {
    query.weight
}

// An argument that cannot be a key: the note names `ignore` and `key`.
#[memoize]
fn fetch(http: Client, id: u32) -> u32 {
    let _ = http;
    id
}

fn main() {
    let _ = score(&Query { weight: 1.0 });
    let _ = fetch(Client, 1);
}

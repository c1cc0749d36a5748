use py38::memoize;

#[memoize]
async fn fetch(id: u32) -> u32 {
    id
}

fn main() {
    let _ = fetch(1);
}

use py38::memoize;

#[memoize]
fn total(items: impl IntoIterator<Item = u32>) -> u32 {
    items.into_iter().sum()
}

fn main() {
    total(vec![1, 2]);
}

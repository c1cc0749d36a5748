use py38::memoize;

#[memoize]
fn push(items: &mut Vec<u32>, x: u32) -> usize {
    items.push(x);
    items.len()
}

fn main() {
    let mut items = Vec::new();
    push(&mut items, 1);
}

use py38::memoize;

#[memoize]
fn add((a, b): (u32, u32)) -> u32 {
    a + b
}

fn main() {
    add((1, 2));
}

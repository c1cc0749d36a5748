use py38::memoize;

#[memoize]
struct Point {
    x: u32,
}

fn main() {
    let _ = Point { x: 1 }.x;
}

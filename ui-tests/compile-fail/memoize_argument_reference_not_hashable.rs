// A `&T` argument is looked up as `&T` and stored as `T::Owned`: `T` itself must be
// `Hash + Eq`. The error is at the argument's type, once per missing trait.
use py38::memoize;

#[derive(Clone, PartialEq)]
struct Point {
    x: f64,
}

#[memoize]
fn norm(p: &Point, n: u32) -> f64 {
    p.x * f64::from(n)
}

fn main() {
    norm(&Point { x: 1.0 }, 2);
}

use py38::memoize;

#[memoize]
fn scale(factor: f64, n: u32) -> f64 {
    factor * f64::from(n)
}

fn main() {
    scale(1.5, 2);
}

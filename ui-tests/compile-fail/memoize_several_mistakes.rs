use py38::memoize;

#[memoize(maxsize = -1, colour = "red")]
fn f(a: &mut u32, (b, c): (u32, u32), d: impl Copy) -> &str {
    let _ = (a, b, c, d);
    ""
}

fn main() {}

use py38::memoize;

#[memoize(typed = 1)]
fn f(x: u32) -> u32 {
    x
}

fn main() {
    f(1);
}

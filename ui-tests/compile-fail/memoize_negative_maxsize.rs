use py38::memoize;

#[memoize(maxsize = -1)]
fn f(x: u32) -> u32 {
    x
}

fn main() {
    f(1);
    let _ = f::cache_info();
}

use py38::memoize;

#[memoize]
extern "C" fn double(x: u32) -> u32 {
    x * 2
}

fn main() {
    double(1);
}

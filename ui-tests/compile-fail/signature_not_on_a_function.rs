use py38::signature;

#[signature(a)]
struct NotAFunction {
    a: i32,
}

struct Point;

impl Point {
    #[signature(dx)]
    fn moved(&self, dx: i32) -> i32 {
        dx
    }
}

fn main() {}

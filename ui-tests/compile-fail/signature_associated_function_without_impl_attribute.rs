use py38::signature;

struct Point;

impl Point {
    #[signature(x)]
    fn new(x: i64) -> Self {
        let _ = x;
        Point
    }
}

fn main() {}

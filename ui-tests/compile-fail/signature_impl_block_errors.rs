use py38::signature;

struct Point;

#[signature(x)]
impl Point {
    #[signature(x, *, show = |v: i64| v)]
    fn shown(x: i64, show: impl Fn(i64) -> i64) -> i64 {
        show(x)
    }

    #[signature(dx, dx)]
    fn moved(&self, dx: i64) -> i64 {
        dx
    }
}

#[signature]
impl Clone for Point {
    #[signature()]
    fn clone(&self) -> Self {
        Point
    }
}

struct Line;

#[signature]
impl Line {
    #[signature = "a"]
    fn length(a: i64) -> i64 {
        a
    }
}

#[signature]
impl [Line; 2] {}

fn main() {}

use py38::call;

struct Point;

impl Point {
    fn new(x: i64) -> Self {
        let _ = x;
        Point
    }

    fn moved(&mut self, dx: i64) -> i64 {
        dx
    }
}

fn path() -> Point {
    call!(Point::new(1))
}

fn method(mut p: Point) -> i64 {
    call!(p.moved(dx = 2))
}

fn main() {
    let _ = (path(), method(Point));
}

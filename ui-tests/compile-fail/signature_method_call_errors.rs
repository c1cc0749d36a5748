use py38::{call, signature};

struct Point {
    x: i64,
}

#[signature]
impl Point {
    #[signature(x, /, y = 0)]
    fn new(x: i64, y: i64) -> Self {
        Point { x: x + y }
    }

    #[signature(dx, dy = 0, *, scale)]
    fn moved(&self, dx: i64, dy: i64, scale: i64) -> i64 {
        (self.x + dx + dy) * scale
    }
}

fn main() {
    let p = call!(Point::new(x = 1));
    call!(p.moved(1, scale = 2, zoom = 3));
    call!(p.moved(1, 2, 3, scale = 1));
    call!(p.moved(1, dx = 2, scale = 1));
    call!(p.moved(dy = 1));
}

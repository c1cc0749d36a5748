// A method called through its type takes its receiver as the first positional argument,
// which cannot be passed by keyword: mistakes get Python's words for `Point.moved(p, ...)`.
use py38::{call, signature};

struct Point {
    x: i64,
}

#[signature]
impl Point {
    #[signature(dx, /, dy = 0, *, scale = 1)]
    fn moved(&self, dx: i64, dy: i64, scale: i64) -> i64 {
        (self.x + dx + dy) * scale
    }
}

fn main() {
    let p = Point { x: 1 };
    call!(Point::moved(&p, dx = 1));
    call!(Point::moved(&p, 1, 2, 3));
    call!(Point::moved(dy = 2));
    let _: i64 = call!(Point::moved());
}

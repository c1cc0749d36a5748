// G03: Python says `raises SyntaxError: f-string: expecting '}'`.
use py38::dbg_fmt;

fn main() {
    let _ = { let (x, y) = (5, 7); dbg_fmt!("{x=y}") };
}

// B06: Python says `raises SyntaxError: f-string: expecting '}'`.
use py38::dbg_fmt;

fn main() {
    let _ = { let x = 5; dbg_fmt!("{x=!r }") };
}

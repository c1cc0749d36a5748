// G02: Python says `raises SyntaxError: f-string: invalid conversion character: expected 's', 'r', or 'a'`.
use py38::dbg_fmt;

fn main() {
    let _ = { let x = 5; dbg_fmt!("{x=!z}") };
}

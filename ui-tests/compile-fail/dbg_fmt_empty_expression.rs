// G01: Python says `raises SyntaxError: f-string: expression required before '='`.
use py38::dbg_fmt;

fn main() {
    let _ = { dbg_fmt!("{=}") };
}

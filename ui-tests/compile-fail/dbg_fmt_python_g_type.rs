// F09: Python says `x=2.71828`.
use py38::dbg_fmt;

fn main() {
    let _ = { let x = 2.71828; dbg_fmt!("{x=:g}") };
}

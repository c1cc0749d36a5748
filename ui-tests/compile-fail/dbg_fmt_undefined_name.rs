// G06: Python says `raises NameError: name 'undefined_name' is not defined`.
use py38::dbg_fmt;

fn main() {
    let _ = { dbg_fmt!("{undefined_name=}") };
}

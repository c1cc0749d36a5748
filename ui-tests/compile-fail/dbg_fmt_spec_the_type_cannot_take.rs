// E06: Python says `raises TypeError: unsupported format string passed to list.__format__`.
use py38::dbg_fmt;

fn main() {
    let _ = { let items = vec![1, 2, 3]; dbg_fmt!("{items=:>20}") };
}

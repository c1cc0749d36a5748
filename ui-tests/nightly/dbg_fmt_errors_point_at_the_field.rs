// With the `nightly` feature on a nightly compiler, each error points at its own field.
use py38::dbg_fmt;

fn main() {
    let x = 5;
    let _ = dbg_fmt!("{=} {x=!z} {x:g}\n {x=y}");
}

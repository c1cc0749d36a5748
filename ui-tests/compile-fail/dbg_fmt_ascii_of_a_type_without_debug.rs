use py38::dbg_fmt;

struct Opaque;

fn main() {
    let value = Opaque;
    let _ = dbg_fmt!("{value=!a}");
}

use py38::dbg_fmt;

fn main() {
    let x = 5;
    let _ = dbg_fmt!("{=} {x=!z} {x:g} {x=y}");
}

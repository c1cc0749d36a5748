use py38::dbg_fmt;

fn main() {
    let x = 5;
    let _ = dbg_fmt!("{x=");
    let _ = dbg_fmt!("x=}");
}

use py38::dbg_fmt;

fn main() {
    let n = 1234;
    let _ = dbg_fmt!("{n=:n}");
}

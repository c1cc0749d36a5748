use py38::dbg_fmt;

fn main() {
    let n = 255;
    let _ = dbg_fmt!("{n=:z}");
    let _ = dbg_fmt!("{n=:c}");
    let _ = dbg_fmt!("{n=:_x}");
    let _ = dbg_fmt!("{n=:q}");
    let _ = dbg_fmt!("{n=:{}}");
}

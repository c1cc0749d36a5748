use py38::dbg_fmt;

fn main() {
    let _ = dbg_fmt!("ok {undefined_name=}");
}

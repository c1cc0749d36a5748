use py38::dbg_fmt;

fn main() {
    let name = "Alice";
    let _ = dbg_fmt!("{name=:,}");
}

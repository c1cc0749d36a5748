use py38::dbg_println;

fn main() {
    let template = "{x=}";
    dbg_println!(template);
}

use py38::memoize;

struct Tools;

#[memoize]
impl Tools {
    #[memoize = 4]
    fn double(x: u32) -> u32 {
        x * 2
    }
}

fn main() {
    let _ = Tools::double(2);
}

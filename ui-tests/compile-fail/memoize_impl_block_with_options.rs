use py38::memoize;

struct Tools;

#[memoize(maxsize = 4)]
impl Tools {
    #[memoize]
    fn double(x: u32) -> u32 {
        x * 2
    }
}

fn main() {
    let _ = Tools::double(2);
}

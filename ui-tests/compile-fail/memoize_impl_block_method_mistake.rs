use py38::memoize;

struct Tools;

#[memoize]
impl Tools {
    #[memoize(maxsize = "four")]
    fn double(x: &mut u32) -> u32 {
        *x * 2
    }

    fn untouched(x: u32) -> u32 {
        x
    }
}

fn main() {
    let _ = Tools::untouched(2);
}

// Without `self` or `Self`, an attribute on one method cannot tell it is in an `impl`;
// the error says so, and the fix is `#[memoize]` on the `impl` block.
use py38::memoize;

struct Tools;

impl Tools {
    #[memoize]
    fn double(x: u32) -> u32 {
        x * 2
    }
}

fn main() {
    let _ = Tools::double(2);
}

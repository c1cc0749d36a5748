// Without `self` or `Self`, an attribute on one method cannot tell it is in an `impl`: it
// expands as for a free function, and rustc refuses the controls' `enum` and `impl` inside
// the `impl` (its help to move them out does not apply). The fix is `#[memoize]` on the
// `impl` block too, as memoize/DOCS.md says under "Controls".
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

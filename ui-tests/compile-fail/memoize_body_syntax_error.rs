// A mistake in the body's syntax is the compiler's to report, once, where it is: `#[memoize]`
// moves the body as it was written and adds no message of its own.
use py38::memoize;

#[memoize]
fn f(n: u64) -> u64 {
    let x = ;
    n + x
}

fn main() {
    f(1);
}

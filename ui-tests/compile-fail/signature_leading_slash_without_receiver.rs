//! A `/` with nothing before it: valid only after a method's receiver (`def m(self, /)`).
//! Each mistake gets one message: the calls below raise none of their own.
use py38::{call, signature};

struct Tools;

#[signature]
impl Tools {
    // An associated function has no receiver: nothing precedes the `/`.
    #[signature(/, a)]
    fn associated(a: i32) -> i32 {
        a
    }
}

#[signature(/, a)]
fn free(a: i32) -> i32 {
    a
}

#[signature(b = 1)]
fn misnamed(a: i32) -> i32 {
    a
}

fn main() {
    let _ = call!(Tools::associated(1));
    let _ = call!(free(a = 1));
    let _ = call!(misnamed(1));
}

use py38::signature;

#[signature(a, *, b = 1)]
fn f(a: i64, b: i64) -> i64 {
    a + b
}

struct P;

fn main() {
    // The hidden macro named after the function is `call!`'s; used by hand, it says so.
    let _ = f! { P.m(1) };
    let _: i64 = py38::__private::signature::bind! {};
}

use py38::memoize;
use std::rc::Rc;

#[memoize]
fn shared(n: u32) -> Rc<u32> {
    Rc::new(n)
}

fn main() {
    shared(1);
}

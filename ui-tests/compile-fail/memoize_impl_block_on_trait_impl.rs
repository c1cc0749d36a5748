use py38::memoize;

trait Area {
    fn area(&self) -> u32;
}

#[derive(Clone, Hash, PartialEq, Eq)]
struct Square(u32);

#[memoize]
impl Area for Square {
    #[memoize]
    fn area(&self) -> u32 {
        self.0 * self.0
    }
}

fn main() {
    let _ = Square(2).area();
}

use py38::memoize;

#[derive(Clone, Hash, PartialEq, Eq)]
struct Counter(u32);

impl Counter {
    #[memoize]
    fn bump(&mut self) -> u32 {
        self.0 += 1;
        self.0
    }
}

fn main() {
    Counter(0).bump();
}

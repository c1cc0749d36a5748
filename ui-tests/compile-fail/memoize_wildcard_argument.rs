use py38::memoize;

#[memoize]
fn answer(_: u32) -> u32 {
    42
}

fn main() {
    answer(1);
}

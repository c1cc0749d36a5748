// An argument passed by value is cloned into the key when a miss stores it: its type must be
// `Clone` as well as `Hash + Eq`.
use py38::memoize;

#[derive(Hash, PartialEq, Eq)]
struct Token(u32);

#[memoize]
fn id(token: Token) -> u32 {
    token.0
}

fn main() {
    id(Token(1));
}

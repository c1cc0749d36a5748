use py38::memoize;

struct Report(String);

#[memoize]
fn report(n: u32) -> Report {
    Report(n.to_string())
}

fn main() {
    let _ = report(1).0;
}

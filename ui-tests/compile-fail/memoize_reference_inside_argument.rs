use py38::memoize;

#[memoize]
fn len(name: Option<&str>) -> usize {
    name.map_or(0, str::len)
}

fn main() {
    len(Some("x"));
}

use py38::memoize;

// `keep` sees the `Ok` value of a `Result`: a `&u32` here, not a `&Result`.
#[memoize(keep = |result: &Result<u32, String>| result.is_ok())]
fn parse(text: &str) -> Result<u32, String> {
    text.parse().map_err(|_| text.to_owned())
}

fn main() {
    let _ = parse("1");
}

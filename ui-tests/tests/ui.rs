//! Every compile error py38's macros emit, and forms that must compile cleanly.
//! Re-bless the `.stderr` files with `TRYBUILD=overwrite cargo test -p py38-ui-tests`.

#[test]
fn ui() {
    let t = trybuild::TestCases::new();
    t.compile_fail("compile-fail/*.rs");
    t.pass("compile-pass/*.rs");
}

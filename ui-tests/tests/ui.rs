//! Every compile error py38's macros emit, and forms that must compile cleanly.
//! Re-bless the `.stderr` files with `TRYBUILD=overwrite cargo test -p py38-ui-tests`.

#[test]
fn ui() {
    let t = trybuild::TestCases::new();
    t.compile_fail("compile-fail/*.rs");
    t.pass("compile-pass/*.rs");
}

/// Exact spans inside format strings (`nightly` feature, nightly compiler).
#[cfg(feature = "nightly")]
#[test]
fn nightly_spans() {
    trybuild::TestCases::new().compile_fail("nightly/*.rs");
}

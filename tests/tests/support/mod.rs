//! What the tests that run child processes share.

/// The role this process plays (`PY38_TEST_ROLE`), if it is a child. A child prints what the
/// store logs, so that a parent's assertion message shows why a store failed.
pub(crate) fn role() -> Option<String> {
    let role = std::env::var("PY38_TEST_ROLE").ok();
    if role.is_some() {
        struct Print;
        impl log::Log for Print {
            fn enabled(&self, _: &log::Metadata<'_>) -> bool {
                true
            }
            fn log(&self, record: &log::Record<'_>) {
                println!("log: {}", record.args());
            }
            fn flush(&self) {}
        }
        let _ = log::set_logger(&Print);
        log::set_max_level(log::LevelFilter::Warn);
    }
    role
}

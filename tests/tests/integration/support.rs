//! What several test modules share.

use std::sync::Mutex;

/// Records which calls ran the body, in order.
#[derive(Default)]
pub(crate) struct Log(Mutex<Vec<u64>>);

impl Log {
    pub(crate) const fn new() -> Self {
        Log(Mutex::new(Vec::new()))
    }
    /// Notes that the body ran for `n`.
    pub(crate) fn ran(&self, n: u64) {
        self.0.lock().unwrap().push(n);
    }
    /// What ran since the last call, in order.
    pub(crate) fn take(&self) -> Vec<u64> {
        std::mem::take(&mut *self.0.lock().unwrap())
    }
}

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

/// The name the test harness gives the test `name` of the module whose `module_path!()` is
/// `module`: the path without the crate's name. A test that runs this binary again for one of
/// its tests passes it with `--exact`.
pub(crate) fn test_name(module: &str, name: &str) -> String {
    match module.split_once("::") {
        Some((_crate, path)) => format!("{path}::{name}"),
        None => name.to_owned(),
    }
}

//! The UI cases live in `compile-fail/` and `compile-pass/`; `tests/ui.rs` runs them.

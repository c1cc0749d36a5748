//! Integration tests of `py38` live in `tests/`; this crate has no code of its own.

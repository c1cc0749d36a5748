#![doc = include_str!("../README.md")]
// `unsafe` is allowed in `store::table` (the lock-free map of `#[memoize]`'s cache), in
// `store::threads` (the threads' slots, published by pointer) and in one cast in `registry`, all
// three checked under Miri in CI, in `store::fork` (the `pthread_atfork` call) and in one read in
// `limits` (a constant read as the primitive its sealed trait says it is, in a const fn).
#![deny(unsafe_code)]
// Unit tests: a module's are in `tests.rs` in its directory (`foo/tests.rs` for `foo.rs` and
// for `foo/mod.rs`), declared last in the module as `#[cfg(test)] mod tests;`.
#![warn(missing_docs)]

mod cache_info;
mod dbg;
mod dbg_number;
mod key;
mod limits;
mod outcome;
#[cfg(feature = "persist")]
pub mod persist;
mod registry;
mod signature;
mod store;

pub use cache_info::{CacheInfo, CacheParameters};
pub use py38_macros::{
    call, dbg_eprint, dbg_eprintln, dbg_fmt, dbg_format_args, dbg_panic, dbg_print, dbg_println,
    dbg_write, dbg_writeln, memoize, signature,
};

#[doc(hidden)]
#[path = "private.rs"]
pub mod __private;
use __private as private;

#![doc = include_str!("../../README.md")]
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod cache_info;
mod key;
mod registry;
mod store;

pub use cache_info::{CacheInfo, CacheParameters};
pub use py38_macros::memoize;

#[doc(hidden)]
#[path = "private.rs"]
pub mod __private;
use __private as private;

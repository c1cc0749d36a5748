//! Procedural macros of [`py38`](https://docs.rs/py38). Depend on `py38` and use them through
//! it: the code these macros generate calls into `py38`.

#![forbid(unsafe_code)]

mod errors;
mod memoize;

use proc_macro::TokenStream;

#[doc = include_str!("memoize/DOCS.md")]
#[proc_macro_attribute]
pub fn memoize(args: TokenStream, item: TokenStream) -> TokenStream {
    memoize::memoize(args.into(), item.into()).into()
}

//! Procedural macros of [`py38`](https://docs.rs/py38). Depend on `py38` and use them through
//! it: the code these macros generate calls into `py38`.

#![forbid(unsafe_code)]

mod attrs;
mod call;
mod dbg_fmt;
mod errors;
mod memoize;
mod namespace;
mod paths;
mod signature;
mod syntax;
mod text;

use proc_macro::TokenStream;

#[doc = include_str!("memoize/DOCS.md")]
#[proc_macro_attribute]
pub fn memoize(args: TokenStream, item: TokenStream) -> TokenStream {
    memoize::memoize(args.into(), item.into()).into()
}

#[doc = include_str!("signature/DOCS.md")]
#[proc_macro_attribute]
pub fn signature(args: TokenStream, item: TokenStream) -> TokenStream {
    signature::signature(args.into(), item.into()).into()
}

#[doc = include_str!("call/DOCS.md")]
#[proc_macro]
pub fn call(input: TokenStream) -> TokenStream {
    call::call(input.into()).into()
}

/// `call!`'s binder: a `#[signature]` function's macro calls it with the function's signature
/// and the call. Not a public API.
#[doc(hidden)]
#[proc_macro]
pub fn __bind(input: TokenStream) -> TokenStream {
    call::bind(input.into()).into()
}

macro_rules! dbg_macros {
    ($($(#[$doc:meta])* $name:ident => $kind:ident;)*) => {
        $(
            $(#[$doc])*
            #[proc_macro]
            pub fn $name(input: TokenStream) -> TokenStream {
                dbg_fmt::dbg_fmt(dbg_fmt::Kind::$kind, input.into()).into()
            }
        )*
    };
}

dbg_macros! {
    #[doc = include_str!("dbg_fmt/DOCS.md")]
    dbg_fmt => Format;
    /// [`format_args!`](macro@core::format_args) with Python's `{expr=}` fields: see [`dbg_fmt!`].
    dbg_format_args => FormatArgs;
    /// [`print!`](macro@std::print) with Python's `{expr=}` fields: see [`dbg_fmt!`].
    dbg_print => Print;
    /// [`println!`](macro@std::println) with Python's `{expr=}` fields: see [`dbg_fmt!`].
    dbg_println => Println;
    /// [`eprint!`](macro@std::eprint) with Python's `{expr=}` fields: see [`dbg_fmt!`].
    dbg_eprint => Eprint;
    /// [`eprintln!`](macro@std::eprintln) with Python's `{expr=}` fields: see [`dbg_fmt!`].
    dbg_eprintln => Eprintln;
    /// [`write!`](macro@core::write) with Python's `{expr=}` fields: see [`dbg_fmt!`].
    dbg_write => Write;
    /// [`writeln!`](macro@core::writeln) with Python's `{expr=}` fields: see [`dbg_fmt!`].
    dbg_writeln => Writeln;
    /// [`panic!`](macro@core::panic) with Python's `{expr=}` fields: see [`dbg_fmt!`].
    dbg_panic => Panic;
}

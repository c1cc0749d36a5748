//! `call!`: parse the call, then bind its arguments through the function's call handle.

mod args;
mod bind;
mod checks;
mod expand;
mod member;
mod order;
mod parse;
mod plain;
#[cfg(test)]
mod snapshots;

use proc_macro2::TokenStream;

use crate::errors::Errors;

pub(crate) use bind::bind;

pub(crate) fn call(input: TokenStream) -> TokenStream {
    let mut errors = Errors::default();
    let call = parse::parse(input.clone(), &mut errors);
    match call {
        Some(call) if errors.is_empty() => expand::expand(&call, input),
        _ => errors.to_compile_errors(),
    }
}

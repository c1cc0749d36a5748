//! `#[memoize]`: parse the options and the function, check them, generate the cached function.

mod args;
mod expand;
mod model;
#[cfg(test)]
mod snapshots;

use proc_macro2::TokenStream;
use quote::quote;
use syn::ItemFn;

use crate::errors::Errors;

/// Entry point of `#[memoize(...)]`: `args` are the options, `item` the function.
pub(crate) fn memoize(args: TokenStream, item: TokenStream) -> TokenStream {
    let mut errors = Errors::default();
    let args = args::parse(args, &mut errors);
    let item: ItemFn = match syn::parse2(item.clone()) {
        Ok(item) => item,
        Err(error) => {
            let message = format!("`#[memoize]` applies to functions and methods ({error})");
            errors.push(syn::Error::new(error.span(), message));
            let errors = errors.to_compile_errors();
            return quote!(#errors #item);
        }
    };
    let function = model::Function::new(&item, &mut errors);
    if errors.is_empty() {
        expand::expand(&function, args)
    } else {
        let errors = errors.to_compile_errors();
        let fallback = expand::fallback(&item, function.in_impl, args);
        quote!(#errors #fallback)
    }
}

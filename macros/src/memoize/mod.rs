//! `#[memoize]`: parse the options and the function, check them, generate the cached function.

mod args;
mod controls;
mod expand;
mod generics;
mod impl_block;
mod item;
mod limits;
mod lookup;
mod memory;
mod model;
mod persist;
mod plain_signature;
mod store;
mod uncached;

#[cfg(test)]
mod snapshots;

use proc_macro2::TokenStream;
use quote::quote;
use syn::{Item, ItemFn};

use crate::errors::Errors;

/// Entry point of `#[memoize(...)]`: `args` are the options, `item` the function (or an
/// `impl` block whose marked methods are memoized).
pub(crate) fn memoize(args: TokenStream, item: TokenStream) -> TokenStream {
    let mut errors = Errors::default();
    let item: ItemFn = match item::parse(item.clone()) {
        Ok(Item::Fn(item)) => item,
        Ok(Item::Impl(block)) => return impl_block::memoize_impl(args, block),
        Ok(_) | Err(_) => {
            errors.at(
                &item,
                "`#[memoize]` applies to functions, methods and `impl` blocks",
            );
            let errors = errors.to_compile_errors();
            return quote!(#errors #item);
        }
    };
    let args = args::parse(args, &mut errors);
    let function = model::Function::new(&item, &args.keying, &mut errors);
    model::check_options(&item, &args, &mut errors);
    if errors.is_empty() {
        expand::expand(&function, &args)
    } else {
        let errors = errors.to_compile_errors();
        let fallback = expand::fallback(&item, function.in_impl, &args);
        quote!(#errors #fallback)
    }
}

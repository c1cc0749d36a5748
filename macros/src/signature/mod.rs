//! `#[signature]`: parse the list, match it with the function, add the call handle `call!` uses.
//! On an `impl` block, the same for each method marked `#[signature(...)]`.

mod call_macro;
mod handle;
mod impl_block;
mod lifetimes;
mod member;
mod model;
mod parse;
mod self_type;
#[cfg(test)]
mod snapshots;

use proc_macro2::TokenStream;
use quote::quote;
use syn::Item;

use crate::errors::Errors;
use crate::namespace::{self, Declarer};
use crate::syntax::signature_mentions_self;

pub(crate) use call_macro::has_call_macro;
pub(crate) use parse::{Signature as Listed, parse as parse_listed};

/// Entry point of `#[signature(...)]` on a function.
pub(crate) fn signature(args: TokenStream, item: TokenStream) -> TokenStream {
    let mut errors = Errors::default();
    let item = match syn::parse2::<Item>(item.clone()) {
        Ok(Item::Fn(item)) => item,
        Ok(Item::Impl(item)) => {
            let expanded = impl_block::impl_block(args, item, &mut errors);
            let errors = errors.to_compile_errors();
            return quote!(#errors #expanded);
        }
        Ok(_) | Err(_) => {
            errors.at(
                &item,
                "`#[signature]` applies to functions (and, for methods, to `impl` blocks)",
            );
            let errors = errors.to_compile_errors();
            return quote!(#errors #item);
        }
    };
    if signature_mentions_self(&item.sig) {
        // Only an associated function can name `Self`; items for it cannot go inside its impl.
        errors.at(
            &item.sig.ident,
            "`#[signature]` on an associated function needs `#[signature]` on its `impl` block \
             as well, so that `call!` can find the function's signature",
        );
        let errors = errors.to_compile_errors();
        return quote!(#errors #item);
    }
    let listed = parse::parse(args, &mut errors);
    let model = model::Model::new(&item.sig, listed, false, &mut errors);
    let model = if errors.is_empty() {
        model
    } else {
        // The function stays as written, so that its other uses check normally; a stand-in
        // signature lets its `call!`s bind, so that they raise no errors of their own.
        let errors = errors.to_compile_errors();
        let stand_in = (item.sig.receiver().is_none())
            .then(|| model.stand_in())
            .flatten();
        let Some(model) = stand_in else {
            return quote!(#errors #item);
        };
        let added = expand_for(&model, &item);
        return quote!(#errors #item #added);
    };
    let added = expand_for(&model, &item);
    quote!(#item #added)
}

/// The items `call!` finds the function's signature by.
fn expand_for(model: &model::Model<'_>, item: &syn::ItemFn) -> TokenStream {
    let name = &item.sig.ident;
    let namespace = namespace::declare(Declarer::Signature, &item.attrs, &item.vis, name, None);
    if call_macro::has_call_macro(name) {
        call_macro::expand(model, item, namespace)
    } else {
        handle::expand(model, &item.vis, namespace)
    }
}

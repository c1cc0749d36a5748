//! `#[memoize]` on an `impl` block: memoizes each method marked `#[memoize(...)]` inside, as
//! a method (controls as associated functions), whether or not it takes `self` or names `Self`.
//!
//! ```text
//! #[memoize] impl Foo { #[memoize(maxsize = 4)] fn helper(x: u32) -> u32 { BODY } }
//! ```
//! becomes the `impl` with `helper` memoized and `helper_cache_info()` and so on beside it.

use proc_macro2::TokenStream;
use quote::{ToTokens, quote};
use syn::{ImplItem, ItemFn, ItemImpl};

use super::{args, expand, model};
use crate::attrs;
use crate::errors::Errors;

pub(crate) fn memoize_impl(args: TokenStream, mut block: ItemImpl) -> TokenStream {
    let mut errors = Errors::default();
    if !args.is_empty() {
        errors.at(
            &args,
            "options go on each method: `#[memoize(maxsize = 4)] fn ...` inside the `impl`",
        );
    }
    if let Some((_, path, _)) = &block.trait_ {
        errors.at(
            path,
            "`#[memoize]` cannot add cache controls to a trait implementation; memoize a \
             function in an inherent `impl` and call it from the trait method",
        );
        // Stand-in: the block as written, less the markers, so nothing else fails.
        attrs::strip_markers(&mut block, "memoize");
        let errors = errors.to_compile_errors();
        return quote!(#errors #block);
    }
    for item in &mut block.items {
        let ImplItem::Fn(method) = item else { continue };
        let options = match attrs::take_marker(&mut method.attrs, "memoize") {
            None => continue,
            Some(Ok(options)) => options,
            Some(Err(nv)) => {
                let (eq, value) = (&nv.eq_token, &nv.value);
                errors.at(
                    quote!(#eq #value),
                    "options go in parentheses: write `#[memoize]` or `#[memoize(maxsize = ...)]`",
                );
                continue;
            }
        };
        let function = ItemFn {
            attrs: method.attrs.clone(),
            vis: method.vis.clone(),
            sig: method.sig.clone(),
            block: Box::new(method.block.clone()),
        };
        let args = args::parse(options, &mut errors);
        let mut found = Errors::default();
        let mut model = model::Function::new(&function, &args.keying, &mut found);
        model::check_options(&function, &args, &mut found);
        model.in_impl = true;
        model.generic_owner = block.generics.type_params().next().is_some()
            || block.generics.const_params().next().is_some();
        let tokens = if found.is_empty() {
            expand::expand(&model, &args)
        } else {
            let fallback = expand::fallback(&function, true, &args);
            let reported = found.to_compile_errors();
            quote!(#reported #fallback)
        };
        *item = ImplItem::Verbatim(tokens);
    }
    let errors = errors.to_compile_errors();
    let block = block.into_token_stream();
    quote!(#errors #block)
}

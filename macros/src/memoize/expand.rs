//! Code generation for `#[memoize]`: the memoized function, then its controls.
//!
//! ```text
//! #[memoize] fn fib(n: u64) -> u64 { BODY }
//! ```
//! becomes
//! ```text
//! /// *Memoized* (`#[py38::memoize]`): keeps the 128 most recently used results; see ...
//! fn fib(n: u64) -> u64 {
//!     match fib::__py38_cache().lookup::<_, u64, ()>((arg(&n).owned(),)) {
//!         Lookup::Hit(__value) => __value,
//!         Lookup::Miss(__pending) => __pending.run(|| -> u64 { BODY }),
//!     }
//! }
//! enum fib {}
//! impl fib {
//!     fn __py38_cache() -> &'static Registry { static __CACHE: Registry = ...; &__CACHE }
//!     fn cache_info() ... fn cache_clear() ... fn cache_parameters() ...
//!     fn cache_invalidate(n: u64) -> bool ...
//! }
//! ```
//! The store varies the function's body, the cache and the controls' docs: in memory
//! (`memory.rs`, `lookup.rs`) or one that outlives the process (`persist.rs`). The controls
//! are made in `controls.rs`; in an `impl` block they are associated functions beside the
//! method (`Self::fib_cache_info()`). A `#[track_caller]` function's body is a function of its
//! own instead of a closure (see `caller.rs`).

use proc_macro2::TokenStream;
use quote::quote;
use syn::{ItemFn, Signature};

use super::args::Args;
use super::caller::{self, Body};
use super::controls::{self, Invalidate, Site};
use super::model::Function;
use super::store::Variation;
use super::{memory, persist};

/// The memoized function and its controls.
pub(crate) fn expand(function: &Function<'_>, args: &Args) -> TokenStream {
    let body_fn = caller::body(function);
    let variation = match &args.store {
        Some(store) => persist::variation(function, args, store, body_fn.as_ref()),
        None => memory::variation(function, args, body_fn.as_ref()),
    };
    let (memoized, sig) = memoized(function, &variation, body_fn.as_ref());
    let invalidate = Invalidate {
        sig: &sig,
        call: variation.invalidate,
    };
    let controls = controls::controls(
        &site(function.item, function.in_impl),
        &variation.cache,
        Some(&invalidate),
    );
    quote!(#memoized #controls)
}

/// The function as written, with its controls: what stands in when the input has errors, so
/// that callers of the function and of its controls see no follow-up errors.
pub(crate) fn fallback(item: &ItemFn, in_impl: bool, args: &Args) -> TokenStream {
    let cache = memory::cache(args, in_impl, &item.sig.ident);
    let controls = controls::controls(&site(item, in_impl), &cache, None);
    quote!(#item #controls)
}

fn site(item: &ItemFn, in_impl: bool) -> Site<'_> {
    Site {
        attrs: &item.attrs,
        vis: &item.vis,
        name: &item.sig.ident,
        in_impl,
    }
}

/// The memoized function (and, in an `impl`, its body's function beside it), and its
/// signature as generated.
fn memoized(
    function: &Function<'_>,
    variation: &Variation,
    body_fn: Option<&Body>,
) -> (TokenStream, Signature) {
    let ItemFn { attrs, vis, .. } = function.item;
    let mut sig = variation.sig.clone();
    let (nested, beside) = match body_fn {
        Some(body_fn) if function.in_impl => (None, Some(&body_fn.item)),
        Some(body_fn) => (Some(&body_fn.item), None),
        None => (None, None),
    };
    if body_fn.is_some() {
        // The body's function takes the arguments; here they are only passed on.
        crate::syntax::drop_mut(&mut sig);
    }
    // The generated line is a paragraph of its own after the user's docs.
    let gap = attrs
        .iter()
        .any(|attr| attr.path().is_ident("doc"))
        .then(|| quote!(#[doc = ""]));
    let doc = &variation.doc;
    let body = &variation.body;
    let memoized = quote! {
        #(#attrs)*
        #gap
        #[doc = #doc]
        #vis #sig {
            #nested
            #body
        }
        #beside
    };
    (memoized, sig)
}

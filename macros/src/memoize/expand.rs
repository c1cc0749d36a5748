//! Code generation for `#[memoize]`: the memoized function, then its controls.
//!
//! ```text
//! #[memoize] fn fib(n: u64) -> u64 { BODY }
//! ```
//! becomes
//! ```text
//! /// *Memoized* (`#[py38::memoize]`): keeps the 128 most recently used results; see ...
//! fn fib(n: u64) -> u64 {
//!     let __outcome = Probe::<u64>::new().outcome();
//!     match fib::__PY38_CACHE.lookup::<_, _, _, ()>(__outcome, (arg(&n).owned(),)) {
//!         Lookup::Hit(__value) => Outcome::hit(__outcome, __value),
//!         Lookup::Miss(ref mut __pending) => __pending.settle_all(__outcome, fib::uncached(n)),
//!     }
//! }
//! enum fib {}
//! impl fib {
//!     fn uncached(n: u64) -> u64 { BODY }
//!     const __PY38_CACHE: &'static Registry = { static __CACHE: Registry = ...; &__CACHE };
//!     fn cache_info() ... fn cache_clear() ... fn cache_parameters() ...
//!     fn cache_invalidate(n: u64) -> bool ...
//! }
//! ```
//! The store varies the function's body, the cache and the controls' docs: in memory
//! (`memory.rs`, `lookup.rs`) or one that outlives the process (`persist.rs`). The controls
//! are made in `controls.rs`; in an `impl` block they are associated functions beside the
//! method (`Self::fib_cache_info()`). The body is a function of its own, `fib::uncached`
//! (see `uncached.rs`).

use proc_macro2::TokenStream;
use quote::quote;
use syn::{FnArg, ItemFn, Pat, Signature};

use super::args::{Args, Keying};
use super::controls::{self, Invalidate, Site};
use super::model::Function;
use super::store::Variation;
use super::uncached;
use super::{memory, persist};
use crate::text;

/// The memoized function and its controls.
pub(crate) fn expand(function: &Function<'_>, args: &Args) -> TokenStream {
    let uncached = uncached::uncached(function);
    let variation = match &args.store {
        Some(store) => persist::variation(function, args, store, &uncached),
        None => memory::variation(function, args, &uncached),
    };
    let (memoized, sig) = memoized(function, &variation);
    let invalidate_sig = invalidate_signature(function, sig);
    let invalidate = Invalidate {
        sig: &invalidate_sig,
        call: variation.invalidate,
        reads_every_parameter: reads_every_parameter(args, &invalidate_sig),
    };
    let controls = controls::controls(
        &site(function.item, function.in_impl),
        &variation.cache,
        Some(&invalidate),
        Some(&uncached.item),
    );
    quote!(#memoized #controls)
}

/// The function as written, with its controls: what stands in when the input has errors, so
/// that callers of the function and of its controls see no follow-up errors.
pub(crate) fn fallback(item: &ItemFn, in_impl: bool, args: &Args) -> TokenStream {
    let cache = memory::cache(args, in_impl, &item.sig.ident);
    let controls = controls::controls(&site(item, in_impl), &cache, None, None);
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

/// The memoized function, which calls the body's function on a miss, and its signature as
/// generated.
fn memoized(function: &Function<'_>, variation: &Variation) -> (TokenStream, Signature) {
    let ItemFn { attrs, vis, .. } = function.item;
    let mut sig = variation.sig.clone();
    // The body's function takes the arguments; here they are only passed on.
    crate::syntax::drop_mut(&mut sig);
    // The generated line is a paragraph of its own after the user's docs.
    let gap = if attrs.iter().any(|attr| attr.path().is_ident("doc")) {
        "#[doc = \"\"]"
    } else {
        ""
    };
    // Lexed from text (see `text.rs`).
    let doc = text::tokens(&format!("{gap} {}", text::doc_attribute(&variation.doc)));
    let body = &variation.body;
    let memoized = quote! {
        #(#attrs)*
        #doc
        #vis #sig {
            #body
        }
    };
    (memoized, sig)
}

/// Whether the key (and so `cache_invalidate`'s call) reads each of the control's parameters:
/// a key of the parameters, each a plain name (`key = ..` may leave some unread).
fn reads_every_parameter(args: &Args, sig: &Signature) -> bool {
    !matches!(args.keying, Keying::Expr(_))
        && sig.inputs.iter().all(|input| match input {
            FnArg::Receiver(_) => true,
            FnArg::Typed(typed) => matches!(&*typed.pat, Pat::Ident(_)),
        })
}

/// The signature of `cache_invalidate`: the memoized function's, less the parameters
/// `ignore` leaves out of the key.
fn invalidate_signature(function: &Function<'_>, mut sig: Signature) -> Signature {
    sig.inputs = sig
        .inputs
        .into_iter()
        .filter(|input| {
            let name = match input {
                FnArg::Receiver(_) => "self".to_owned(),
                FnArg::Typed(typed) => match &*typed.pat {
                    Pat::Ident(pat) => pat.ident.to_string(),
                    _ => return true,
                },
            };
            function.invalidate_params.contains(&name)
        })
        .collect();
    sig
}

//! The body of a function memoized in memory: look the arguments up in the registry, give a
//! hit back, run the user's body on a miss and store its result.
//!
//! ```text
//! match fib::__py38_cache().lookup::<_, u64, ()>((arg(&n).owned(),)) {
//!     Lookup::Hit(__value) => __value,
//!     Lookup::Miss(__pending) => __pending.run(|| -> u64 { BODY }),
//! }
//! ```
//! An `async fn` loops on `lookup_async` instead, joining a computation already running; a
//! `#[track_caller]` function calls its body's function on a miss (see `caller.rs`).

use proc_macro2::{Span, TokenStream};
use quote::quote;
use syn::Ident;
use syn::spanned::Spanned;

use super::caller;
use super::model::{Function, Output};
use crate::paths;

/// The lookup of one call: the same for every form of the function.
pub(crate) struct Lookup<'a> {
    /// `fib::__py38_cache()`: the registry, as the function reaches it.
    pub(crate) cache: &'a TokenStream,
    /// The arguments' key parts, in order.
    pub(crate) key: &'a [TokenStream],
    /// The type that tells this instantiation apart (see `generics::instance`).
    pub(crate) instance: &'a TokenStream,
}

/// The memoized function's body; `body_fn` is the user's body as a function of its own, for
/// a `#[track_caller]` function.
pub(crate) fn body(
    function: &Function<'_>,
    lookup: &Lookup<'_>,
    body_fn: Option<&caller::Body>,
) -> TokenStream {
    // Spanned at the return type, where a type that cannot be stored is reported.
    let method = match function.output {
        Output::Unit => Ident::new("lookup", function.item.sig.output.span()),
        Output::Plain(ty) | Output::Result { full: ty, .. } => Ident::new("lookup", ty.span()),
    };
    if function.item.sig.asyncness.is_some() {
        asynchronous(function, lookup, &method)
    } else {
        synchronous(function, lookup, &method, body_fn)
    }
}

/// `__value` and `__pending`, out of the user's reach.
fn value() -> Ident {
    Ident::new("__value", Span::mixed_site())
}

fn pending() -> Ident {
    Ident::new("__pending", Span::mixed_site())
}

/// The type the registry stores (`T` of `Result<T, E>`), and the result a hit gives back.
fn stored_and_hit(output: Output<'_>) -> (TokenStream, TokenStream) {
    let value = value();
    match output {
        Output::Unit => (quote!(()), quote!(#value)),
        Output::Plain(ty) => (quote!(#ty), quote!(#value)),
        Output::Result { ok, .. } => (quote!(#ok), quote!(::core::result::Result::Ok(#value))),
    }
}

fn synchronous(
    function: &Function<'_>,
    lookup: &Lookup<'_>,
    method: &Ident,
    body_fn: Option<&caller::Body>,
) -> TokenStream {
    let Lookup {
        cache,
        key,
        instance,
    } = lookup;
    let private = paths::private();
    let (value, pending) = (value(), pending());
    let (stored, hit) = stored_and_hit(function.output);
    let miss = miss(function, body_fn);
    quote! {
        match #cache.#method::<_, #stored, #instance>((#(#key,)*)) {
            #private::Lookup::Hit(#value) => #hit,
            #private::Lookup::Miss(#pending) => #miss,
        }
    }
}

/// On a miss: run the body in a closure (so that `return` and `?` in it mean what they mean
/// in the function), or call its function directly, so that `#[track_caller]` reaches it.
fn miss(function: &Function<'_>, body_fn: Option<&caller::Body>) -> TokenStream {
    let pending = pending();
    let block = &function.item.block;
    match (body_fn, function.output) {
        (Some(body_fn), Output::Result { .. }) => {
            let call = &body_fn.call;
            quote!(#pending.finish_ok(#call))
        }
        (Some(body_fn), Output::Unit | Output::Plain(_)) => {
            let call = &body_fn.call;
            quote!(#pending.finish(#call))
        }
        (None, Output::Unit) => quote!(#pending.run(|| #block)),
        (None, Output::Plain(ty)) => quote!(#pending.run(|| -> #ty #block)),
        (None, Output::Result { full, .. }) => quote!(#pending.run_ok(|| -> #full #block)),
    }
}

/// Concurrent calls share one computation; a computation abandoned (its caller dropped, or
/// an `Err`) sends its waiters round the loop to look up again.
fn asynchronous(function: &Function<'_>, lookup: &Lookup<'_>, method: &Ident) -> TokenStream {
    let Lookup {
        cache,
        key,
        instance,
    } = lookup;
    let private = paths::private();
    let (value, pending) = (value(), pending());
    let (stored, hit) = stored_and_hit(function.output);
    let (full, run) = match function.output {
        Output::Unit => (quote!(()), quote!(run)),
        Output::Plain(ty) => (quote!(#ty), quote!(run)),
        Output::Result { full, .. } => (quote!(#full), quote!(run_ok)),
    };
    let block = &function.item.block;
    let join = Ident::new("__join", Span::mixed_site());
    let method = Ident::new("lookup_async", method.span());
    quote! {
        loop {
            match #cache.#method::<_, #stored, #instance>((#(#key,)*)) {
                #private::AsyncLookup::Hit(#value) => return #hit,
                #private::AsyncLookup::Join(#join) => {
                    if let ::core::option::Option::Some(#value) = #join.await {
                        return #hit;
                    }
                }
                #private::AsyncLookup::Miss(#pending) => {
                    return #pending
                        .#run(#private::typed::<#full, _>(async #block))
                        .await;
                }
            }
        }
    }
}

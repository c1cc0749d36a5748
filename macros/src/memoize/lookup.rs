//! The body of a function memoized in memory: look the key up in the registry, give a hit
//! back, call the body's function on a miss and store what its result says to keep.
//!
//! ```text
//! let __outcome = Probe::<u64>::new().outcome();
//! match fib::__PY38_CACHE.lookup::<_, _, _, ()>(__outcome, (arg(&n).owned(),)) {
//!     Lookup::Hit(__value) => Outcome::hit(__outcome, __value),
//!     Lookup::Miss(ref mut __pending) => __pending.settle_all(__outcome, fib::uncached(n)),
//! }
//! ```
//! The outcome says what is stored: a `Result`'s `Ok` value, whatever the type is called,
//! else the whole value (see the runtime's `outcome.rs`). An `async fn` loops on
//! `lookup_async` instead, joining a computation already running. With `single_flight = true`,
//! a function calls `lookup_flight` and matches `FlightLookup`: the same shape, but the lookup
//! waits for a computation of the same key under way, and the miss shares its result.

use proc_macro2::{Span, TokenStream};
use quote::{quote, quote_spanned};
use syn::Ident;
use syn::spanned::Spanned;

use super::model::{Function, Output};
use crate::paths;

/// The lookup of one call: the same for every form of the function.
pub(crate) struct Lookup<'a> {
    /// `fib::__PY38_CACHE`: the registry, as the function reaches it.
    pub(crate) cache: &'a TokenStream,
    /// The key's parts, in order.
    pub(crate) key: &'a [TokenStream],
    /// The type that tells this instantiation apart (see `generics::instance`).
    pub(crate) instance: &'a TokenStream,
    /// `fib::uncached(n)`: the call of the body's function.
    pub(crate) call: &'a TokenStream,
    /// The `keep` predicate; `None`: every result is kept (`settle_all`, which the compiler
    /// checks and builds with less work than `settle` with the runtime's `keep_all`).
    pub(crate) keep: Option<&'a TokenStream>,
    /// `single_flight = true`: a synchronous function's concurrent calls with one key share one
    /// computation (an `async fn`'s always do).
    pub(crate) single_flight: bool,
}

/// The memoized function's body.
pub(crate) fn body(function: &Function<'_>, lookup: &Lookup<'_>) -> TokenStream {
    // Spanned at the return type, where a type that cannot be stored is reported.
    let span = output_span(function);
    let outcome = outcome(span);
    let probe = probe(function);
    let lookup_call = if function.item.sig.asyncness.is_some() {
        asynchronous(lookup, span)
    } else {
        synchronous(lookup, span)
    };
    quote! {
        let #outcome = #probe;
        #lookup_call
    }
}

/// Where the return type is written (the function's `)` when it has none).
pub(crate) fn output_span(function: &Function<'_>) -> Span {
    match function.output {
        Output::Unit => function.item.sig.output.span(),
        Output::Plain(ty) => ty.span(),
    }
}

/// `Probe::<R>::new().outcome()`: what of the result is stored, chosen by its type.
pub(crate) fn probe(function: &Function<'_>) -> TokenStream {
    let private = paths::private();
    let ty = match function.output {
        Output::Unit => quote!(()),
        Output::Plain(ty) => quote!(#ty),
    };
    let span = output_span(function);
    quote_spanned!(span=> #private::Probe::<#ty>::new().outcome())
}

/// `__outcome`, `__value` and `__pending`, out of the user's reach. The outcome is located at
/// the return type: a result type that cannot be stored is reported there.
pub(crate) fn outcome(span: Span) -> Ident {
    Ident::new("__outcome", Span::mixed_site().located_at(span))
}

fn value() -> Ident {
    Ident::new("__value", Span::mixed_site())
}

fn pending() -> Ident {
    Ident::new("__pending", Span::mixed_site())
}

fn synchronous(lookup: &Lookup<'_>, span: Span) -> TokenStream {
    let Lookup {
        cache,
        key,
        instance,
        call,
        keep,
        single_flight,
    } = lookup;
    let private = paths::private();
    let (outcome, value, pending) = (outcome(span), value(), pending());
    let (method, found) = if *single_flight {
        ("lookup_flight", quote!(#private::FlightLookup))
    } else {
        ("lookup", quote!(#private::Lookup))
    };
    let method = Ident::new(method, span);
    let stored = quote_spanned!(span=> _);
    let settle = match keep {
        Some(keep) => quote!(#pending.settle(#outcome, #call, #keep)),
        None => quote!(#pending.settle_all(#outcome, #call)),
    };
    // Settled in place: moved out of the `Lookup`, the miss was copied with wide loads over
    // the narrow stores that made it, a stall (see the runtime's `Pending`). A single flight's
    // miss is settled by value: it abandons the computation if dropped unsettled.
    let binding = if *single_flight {
        quote!(#pending)
    } else {
        quote!(ref mut #pending)
    };
    quote! {
        match #cache.#method::<_, #stored, _, #instance>(#outcome, (#(#key,)*)) {
            #found::Hit(#value) => #private::Outcome::hit(#outcome, #value),
            #found::Miss(#binding) => #settle,
        }
    }
}

/// Concurrent calls share one computation; a computation abandoned (its caller dropped, or
/// a result not kept) sends its waiters round the loop to look up again.
fn asynchronous(lookup: &Lookup<'_>, span: Span) -> TokenStream {
    let Lookup {
        cache,
        key,
        instance,
        call,
        keep,
        single_flight: _,
    } = lookup;
    let private = paths::private();
    let (outcome, value, pending) = (outcome(span), value(), pending());
    let join = Ident::new("__join", Span::mixed_site());
    let keep = keep.map_or_else(|| quote!(#private::keep_all), |keep| keep.clone());
    let method = Ident::new("lookup_async", span);
    let stored = quote_spanned!(span=> _);
    quote! {
        loop {
            match #cache.#method::<_, #stored, _, #instance>(#outcome, (#(#key,)*)) {
                #private::AsyncLookup::Hit(#value) => {
                    return #private::Outcome::hit(#outcome, #value);
                }
                #private::AsyncLookup::Join(#join) => {
                    if let ::core::option::Option::Some(#value) = #join.await {
                        return #private::Outcome::hit(#outcome, #value);
                    }
                }
                #private::AsyncLookup::Miss(#pending) => {
                    return #pending.settle(#outcome, #call, #keep).await;
                }
            }
        }
    }
}

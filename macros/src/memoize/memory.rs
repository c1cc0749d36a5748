//! The in-memory store, `#[memoize]` without `store`: a `Registry` in a `static`, keyed by
//! the arguments' owned copies (a `&T` argument looked up as it is, stored as `T::Owned`).

use proc_macro2::TokenStream;
use quote::{quote, quote_spanned};
use syn::{Ident, Signature};

use super::args::Args;
use super::controls::{self, Allow, Cache};
use super::generics;
use super::limits::Maxsize;
use super::lookup::{self, Lookup};
use super::model::Function;
use super::store::Variation;
use super::uncached::Uncached;
use crate::{paths, text};

/// The in-memory store's parts of the expansion.
pub(crate) fn variation(function: &Function<'_>, args: &Args, uncached: &Uncached) -> Variation {
    let sig = &function.item.sig;
    let key = key_parts(function);
    let instance = generics::instance(&sig.generics, function.generic_owner);
    let keep = args.keep.as_ref().map(|keep| quote!(#keep));
    let lookup = Lookup {
        cache: &controls::cache_path(function.in_impl, &sig.ident),
        key: &key,
        instance: &instance,
        call: &uncached.call,
        keep: keep.as_ref(),
        single_flight: single_flight(args),
    };
    Variation {
        doc: doc_line(function.in_impl, &sig.ident, args, sig.asyncness.is_some()),
        sig: signature(function),
        body: lookup::body(function, &lookup),
        cache: cache(args, function.in_impl, &sig.ident),
        invalidate: quote!(.invalidate::<_, #instance>((#(#key,)*))),
    }
}

/// Each key part, spanned at the argument's type (or the `key` expression), where a type that
/// cannot be a key is reported (once: the key part of such an argument is a stand-in the
/// lookup accepts, see `arg`).
fn key_parts(function: &Function<'_>) -> Vec<TokenStream> {
    function
        .key
        .iter()
        .map(|part| {
            let span = part.span;
            // A parameter's name, or the `key` expression in parentheses.
            let value = match part.ty {
                Some(_) => crate::syntax::respan(&part.value, span),
                None if part.borrowed => part.value.clone(),
                None => {
                    let expr = &part.value;
                    quote!((#expr))
                }
            };
            let private = paths::private_at(span);
            if part.borrowed {
                quote_spanned!(span=> #private::arg(#value).borrowed())
            } else {
                quote_spanned!(span=> #private::arg(&#value).owned())
            }
        })
        .collect()
}

/// `single_flight = true`.
fn single_flight(args: &Args) -> bool {
    args.single_flight.as_ref().is_some_and(syn::LitBool::value)
}

/// The `keep` predicate as written, or the runtime's `keep_all`.
pub(crate) fn keep(args: &Args) -> TokenStream {
    match &args.keep {
        Some(keep) => quote!(#keep),
        None => {
            let private = paths::private();
            quote!(#private::keep_all)
        }
    }
}

/// The function's signature with the bounds a `static` cache needs of its generics.
fn signature(function: &Function<'_>) -> Signature {
    let mut sig = function.item.sig.clone();
    generics::add_thread_bounds(&mut sig.generics);
    if function.generic_owner {
        // The cache is told apart by `Self`, which must then outlive it.
        sig.generics
            .make_where_clause()
            .predicates
            .push(syn::parse_quote!(Self: 'static));
    }
    sig
}

/// The registry, and the controls' docs: also the stand-in's, for a function with errors.
pub(crate) fn cache(args: &Args, in_impl: bool, name: &Ident) -> Cache {
    let (ty, new) = registry(args);
    Cache {
        ty,
        new,
        docs: control_docs(in_impl, name),
        allow: Allow::OnNamespace,
        extra: Vec::new(),
    }
}

/// The registry's type, and the expression that makes it.
fn registry(args: &Args) -> (&'static str, TokenStream) {
    let typed = args.typed;
    if args.maxsize == Maxsize::Literal(None) && args.ttl.is_none() {
        // Entries that record neither use nor birth (see the runtime's `UnboundedRegistry`).
        let new = format!("{}::unbounded({typed})", paths::REGISTRY);
        return (paths::UNBOUNDED_REGISTRY, text::tokens(&new));
    }
    let registry = paths::REGISTRY;
    // Literal limits hold no token of the user's: lexed from text (see `text.rs`).
    let new = match args.literal_limits_text() {
        Some((maxsize, ttl)) => {
            text::tokens(&format!("{registry}::new({maxsize}, {typed}, {ttl})"))
        }
        None => {
            let (maxsize, ttl) = (args.maxsize_expr(), args.ttl_expr());
            let registry = text::tokens(registry);
            quote!(#registry::new(#maxsize, #typed, #ttl))
        }
    };
    (registry, new)
}

fn control_docs(in_impl: bool, name: &Ident) -> [TokenStream; 4] {
    let subject = if in_impl {
        format!("`{name}`")
    } else {
        "the function".to_owned()
    };
    [
        format!(" Hits, misses and size of the cache of {subject}, as Python's `cache_info()`."),
        format!(
            " Empties the cache of {subject} and resets its statistics, as Python's `cache_clear()`."
        ),
        format!(" The options {subject} was memoized with, as Python's `cache_parameters()`."),
        format!(" Removes the result `{name}` stored for these arguments; `true` if there was one."),
    ]
    .map(|doc| text::tokens(&text::doc_attribute(&doc)))
}

/// ` *Memoized* (..): keeps the 128 most recently used results; see ..`
fn doc_line(in_impl: bool, name: &Ident, args: &Args, is_async: bool) -> String {
    let controls = if in_impl {
        format!(
            "`Self::{name}_cache_info()`, `Self::{name}_cache_clear()` and `Self::{name}_cache_parameters()`"
        )
    } else {
        format!("`{name}::cache_info()`, `{name}::cache_clear()` and `{name}::cache_parameters()`")
    };
    let mut kept = args.maxsize.doc();
    if let Some(ttl) = &args.ttl {
        kept.push_str(&format!(", {}", ttl.doc()));
    }
    // An `async fn`'s calls always share: its line says nothing of it, with or without the option.
    let shared = if single_flight(args) && !is_async {
        "; concurrent calls with the same arguments run the body once"
    } else {
        ""
    };
    format!(" *Memoized* (`#[py38::memoize]`): keeps {kept}{shared}; see {controls}.")
}

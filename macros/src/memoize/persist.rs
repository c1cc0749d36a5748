//! A store that outlives the process, `#[memoize(store = disk | redis(..) | custom(..))]`.
//!
//! ```text
//! #[memoize(store = disk)] fn area(w: u32, h: u32) -> u64 { BODY }
//! ```
//! becomes
//! ```text
//! fn area(w: u32, h: u32) -> u64 {
//!     let __outcome = Probe::<u64>::new().outcome();
//!     match area::__PY38_CACHE.lookup(__outcome, Key::new().part(arg(&w)).part(arg(&h))) {
//!         Ok(__value) => Outcome::hit(__outcome, __value),
//!         Err(__miss) => area::__PY38_CACHE.settle(__miss, __outcome, area::uncached(w, h), keep_all),
//!     }
//! }
//! enum area {}
//! impl area { const __PY38_CACHE: &'static Persistent = { static ... }; fn cache_info() ... }
//! ```
//! Arguments are encoded as passed (a `&str` as its text), so a call clones nothing. An
//! `async fn` calls `call_async` with the body's future. The controls add `cache_errors()`.

use proc_macro2::{Span, TokenStream};
use quote::{ToTokens, quote, quote_spanned};
use syn::{FnArg, Ident, ItemFn};

use super::args::{Args, Store};
use super::controls::{self, Allow, Cache, Control};
use super::model::Function;
use super::store::Variation;
use super::uncached::Uncached;
use super::{lookup, memory};
use crate::paths;

/// The persistent store's parts of the expansion.
pub(crate) fn variation(
    function: &Function<'_>,
    args: &Args,
    store: &Store,
    uncached: &Uncached,
) -> Variation {
    let item = function.item;
    let name = &item.sig.ident;
    let key = key(function);
    let cache = controls::cache_path(function.in_impl, name);
    Variation {
        doc: doc_line(function.in_impl, name, store),
        sig: item.sig.clone(),
        body: body(function, &cache, &key, &uncached.call, &memory::keep(args)),
        cache: Cache {
            ty: paths::PERSISTENT,
            new: new_cache(item, args, store),
            docs: control_docs(),
            allow: Allow::OnEachItem,
            extra: vec![errors_control()],
        },
        invalidate: quote!(.invalidate(#key)),
    }
}

/// `Key::new().part(..)`: which instantiation, then the arguments.
fn key(function: &Function<'_>) -> TokenStream {
    let persist = paths::persist();
    // Each part spanned at its argument's type, where a type that cannot be written is
    // reported.
    let parts = function.key.iter().map(|part| {
        let span = part.span;
        let persist = paths::persist_at(span);
        let arg = match part.ty {
            Some(_) => {
                let name = crate::syntax::respan(&part.value, span);
                quote_spanned!(span=> #persist::arg(&#name))
            }
            None if part.borrowed => {
                let expr = &part.value;
                quote_spanned!(span=> #persist::arg(#expr))
            }
            None => {
                let expr = &part.value;
                quote_spanned!(span=> #persist::arg(&(#expr)))
            }
        };
        quote!(.part(#arg))
    });
    // Which instantiation: the `impl`'s type (it tells apart same-named methods of two types
    // in one module) and the function's type and const arguments, by their names and values.
    let owner = function
        .in_impl
        .then(|| quote!(.part(#persist::arg(::core::any::type_name::<Self>()))));
    let generics = &function.item.sig.generics;
    let type_args = generics.type_params().map(|param| {
        let ident = &param.ident;
        quote!(.part(#persist::arg(::core::any::type_name::<#ident>())))
    });
    let const_args = generics.const_params().map(|param| {
        let ident = &param.ident;
        quote!(.part(#persist::arg(&#ident)))
    });
    quote! {
        #persist::Key::new() #owner #(#type_args)* #(#const_args)* #(#parts)*
    }
}

/// Look the key up, call the body's function on a miss, store what its result says to keep.
/// The lookup is spanned at the return type, where a type that cannot be stored is reported.
fn body(
    function: &Function<'_>,
    cache: &TokenStream,
    key: &TokenStream,
    call: &TokenStream,
    keep: &TokenStream,
) -> TokenStream {
    let private = paths::private();
    let span = lookup::output_span(function);
    let outcome = lookup::outcome(span);
    let probe = lookup::probe(function);
    if function.item.sig.asyncness.is_some() {
        let method = Ident::new("call_async", span);
        return quote! {
            let #outcome = #probe;
            #cache.#method(#outcome, #key, #call, #keep).await
        };
    }
    let value = Ident::new("__value", Span::mixed_site());
    let miss = Ident::new("__miss", Span::mixed_site());
    let method = Ident::new("lookup", span);
    quote! {
        let #outcome = #probe;
        match #cache.#method(#outcome, #key) {
            ::core::result::Result::Ok(#value) => #private::Outcome::hit(#outcome, #value),
            ::core::result::Result::Err(#miss) => #cache.settle(#miss, #outcome, #call, #keep),
        }
    }
}

/// `Persistent::new(backend, namespace, policy)`: where the entries are, the entries of
/// this function (of this crate, version and signature), and when they go.
fn new_cache(item: &ItemFn, args: &Args, store: &Store) -> TokenStream {
    let persist = paths::persist();
    let location = |location: &Option<syn::LitStr>| match location {
        Some(path) => quote!(::core::option::Option::Some(#path)),
        None => quote!(::core::option::Option::None),
    };
    let backend = match store {
        Store::Custom(open) => quote!(Custom(#open)),
        Store::Redis(url) => {
            let url = location(url);
            quote!(Redis(#url))
        }
        Store::Disk(file) => {
            let file = location(file);
            quote!(Disk(#file))
        }
    };
    let version = match &args.version {
        Some(version) => version.to_token_stream(),
        None => quote!(::core::env!("CARGO_PKG_VERSION")),
    };
    let function_name = item.sig.ident.to_string();
    let types = signature_text(item);
    let (maxsize, ttl) = (args.maxsize_expr(), args.ttl_expr());
    quote! {
        #persist::Persistent::new(
            #persist::Backend::#backend,
            #persist::Namespace {
                krate: ::core::env!("CARGO_PKG_NAME"),
                version: #version,
                function: ::core::concat!(::core::module_path!(), "::", #function_name),
                types: #types,
            },
            #persist::Policy {
                ttl: #ttl,
                maxsize: #maxsize,
            },
        )
    }
}

/// `(u32, &str) -> u64`: the argument and return types, part of the namespace, so that a
/// build that changes one of them does not read what an earlier build wrote.
fn signature_text(item: &ItemFn) -> String {
    let inputs: Vec<String> = item
        .sig
        .inputs
        .iter()
        .map(|input| match input {
            FnArg::Typed(typed) => typed.ty.to_token_stream().to_string(),
            FnArg::Receiver(receiver) => receiver.to_token_stream().to_string(),
        })
        .collect();
    let output = match &item.sig.output {
        syn::ReturnType::Default => "()".to_owned(),
        syn::ReturnType::Type(_, ty) => ty.to_token_stream().to_string(),
    };
    format!("({}) -> {output}", inputs.join(", "))
}

/// ` *Memoized* (..): results are kept in the file `..`, ..; see `f::cache_info()` ..`
fn doc_line(in_impl: bool, name: &Ident, store: &Store) -> String {
    let where_stored = match store {
        Store::Custom(_) => "the store `custom(..)` opens".to_owned(),
        Store::Redis(Some(url)) => format!("the Redis server `{}`", url.value()),
        Store::Redis(None) => "the Redis server of `$PY38_REDIS_URL`".to_owned(),
        Store::Disk(Some(path)) => format!("the file `{}`", path.value()),
        Store::Disk(None) => "the crate's cache file".to_owned(),
    };
    let controls_at = if in_impl {
        format!("`Self::{name}_cache_info()`")
    } else {
        format!("`{name}::cache_info()`")
    };
    format!(
        " *Memoized* (`#[py38::memoize(store = {})]`): results are kept in {where_stored}, \
         shared by later runs and other processes; see {controls_at} and the other controls.",
        store.name()
    )
}

fn control_docs() -> [TokenStream; 4] {
    [
        quote! {
            /// This process's hits and misses, and the entries the store holds for the function,
            /// as Python's `cache_info()` (all instantiations of a generic function together).
        },
        quote! {
            /// Removes the function's entries from the store, and resets this process's
            /// statistics, as Python's `cache_clear()`.
        },
        quote! {
            /// The options the function was memoized with, as Python's `cache_parameters()`.
        },
        quote! {
            /// Removes the entry stored for these arguments; `true` if there was one.
        },
    ]
}

/// `cache_errors()`: a store that outlives the process can fail, and the call then runs
/// without it.
fn errors_control() -> Control {
    Control {
        method: "errors",
        doc: quote! {
            /// How many times the store failed in this process (each time, the call ran without
            /// it, and the first failure of a burst was logged).
        },
        output: Some("u64"),
    }
}

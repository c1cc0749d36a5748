//! A store that outlives the process, `#[memoize(store = disk | redis(..) | custom(..))]`.
//!
//! ```text
//! #[memoize(store = disk)] fn area(w: u32, h: u32) -> u64 { BODY }
//! ```
//! becomes
//! ```text
//! fn area(w: u32, h: u32) -> u64 {
//!     area::__py38_cache().call(Key::new().part(arg(&w)).part(arg(&h)), || -> u64 { BODY })
//! }
//! enum area {}
//! impl area { fn __py38_cache() -> &'static Persistent { static ... } fn cache_info() ... }
//! ```
//! Arguments are encoded as passed (a `&str` as its text), so a call clones nothing. A
//! `#[track_caller]` function calls its body's function between `lookup` and `finish` instead
//! (see `caller.rs`). The controls add `cache_errors()`.

use proc_macro2::{Span, TokenStream};
use quote::{ToTokens, quote, quote_spanned};
use syn::spanned::Spanned;
use syn::{FnArg, Ident, ItemFn};

use super::args::{Args, Store};
use super::caller;
use super::controls::{self, Allow, Cache, Control};
use super::model::{Function, Output};
use super::store::Variation;
use crate::paths;

/// The persistent store's parts of the expansion.
pub(crate) fn variation(
    function: &Function<'_>,
    args: &Args,
    store: &Store,
    body_fn: Option<&caller::Body>,
) -> Variation {
    let item = function.item;
    let name = &item.sig.ident;
    let key = key(function);
    let cache = controls::cache_path(function.in_impl, name);
    let asynchronous = item.sig.asyncness.is_some();
    let body = match body_fn {
        Some(body_fn) => tracked_call(&cache, &key, &body_fn.call, function.output),
        None => untracked_call(&cache, &key, &item.block, function.output, asynchronous),
    };
    let persist = paths::persist();
    Variation {
        doc: doc_line(function.in_impl, name, store),
        sig: item.sig.clone(),
        body,
        cache: Cache {
            ty: quote!(#persist::Persistent),
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
        let span = part.ty.span();
        let name = crate::syntax::respan(&part.name, span);
        let persist = paths::persist_at(span);
        let arg = quote_spanned!(span=> #persist::arg(&#name));
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

/// `cache.call(key, || BODY)`: the body in a closure (an `async` block for an `async fn`), so
/// that `return` and `?` in it mean what they mean in the function. `call` is spanned at the
/// return type, where a type that cannot be stored is reported.
fn untracked_call(
    cache: &TokenStream,
    key: &TokenStream,
    block: &syn::Block,
    output: Output<'_>,
    asynchronous: bool,
) -> TokenStream {
    let private = paths::private();
    match output {
        Output::Unit if asynchronous => quote! {
            #cache
                .call_async(#key, #private::typed::<(), _>(async #block))
                .await
        },
        Output::Unit => quote!(#cache.call(#key, || #block)),
        Output::Plain(ty) if asynchronous => {
            let call = Ident::new("call_async", ty.span());
            quote! {
                #cache
                    .#call(#key, #private::typed::<#ty, _>(async #block))
                    .await
            }
        }
        Output::Plain(ty) => {
            let call = Ident::new("call", ty.span());
            quote!(#cache.#call(#key, || -> #ty #block))
        }
        Output::Result { full, ok } if asynchronous => {
            let call = Ident::new("call_ok_async", ok.span());
            quote! {
                #cache
                    .#call(#key, #private::typed::<#full, _>(async #block))
                    .await
            }
        }
        Output::Result { full, ok } => {
            let call = Ident::new("call_ok", ok.span());
            quote!(#cache.#call(#key, || -> #full #block))
        }
    }
}

/// The call of a `#[track_caller]` function: its body's function is called directly between
/// the lookup and the store (see `caller.rs`).
fn tracked_call(
    cache: &TokenStream,
    key: &TokenStream,
    body: &TokenStream,
    output: Output<'_>,
) -> TokenStream {
    let value = Ident::new("__value", Span::mixed_site());
    let miss = Ident::new("__miss", Span::mixed_site());
    let (lookup, stored, hit, finish) = match output {
        Output::Unit => (
            Ident::new("lookup", Span::call_site()),
            quote!(()),
            quote!(#value),
            quote!(finish),
        ),
        Output::Plain(ty) => (
            Ident::new("lookup", ty.span()),
            quote!(#ty),
            quote!(#value),
            quote!(finish),
        ),
        Output::Result { ok, .. } => (
            Ident::new("lookup", ok.span()),
            quote!(#ok),
            quote!(::core::result::Result::Ok(#value)),
            quote!(finish_ok),
        ),
    };
    quote! {
        match #cache.#lookup::<#stored>(#key) {
            ::core::result::Result::Ok(#value) => #hit,
            ::core::result::Result::Err(#miss) => #cache.#finish(#miss, #body),
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
        output: Some(quote!(u64)),
    }
}

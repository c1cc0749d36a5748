//! `#[memoize(store = disk)]`: the function's results in a store that outlives the process.
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
//! (see `caller.rs`).

use proc_macro2::{Span, TokenStream};
use quote::{ToTokens, format_ident, quote, quote_spanned};
use syn::spanned::Spanned;
use syn::{FnArg, Ident, ItemFn, Pat};

use super::args::{Args, Store};
use super::model::{Function, Output};

pub(crate) fn expand(function: &Function<'_>, args: &Args, store: &Store) -> TokenStream {
    let item = function.item;
    let ItemFn {
        attrs,
        vis,
        sig,
        block,
    } = item;
    let name = &sig.ident;
    // Each part spanned at its argument's type, where a type that cannot be written is
    // reported; `call` at the return type, where a type that cannot be stored is.
    let parts = function.key.iter().map(|part| {
        let ty = part.ty;
        let name = crate::syntax::respan(&part.name, ty.span());
        let arg = quote_spanned!(ty.span()=> ::py38::__private::persist::arg(&#name));
        quote!(.part(#arg))
    });
    // Which instantiation: the `impl`'s type (it tells apart same-named methods of two types
    // in one module) and the function's type and const arguments, by their names and values.
    let owner = function
        .in_impl
        .then(|| quote!(.part(::py38::__private::persist::arg(::core::any::type_name::<Self>()))));
    let type_args = sig.generics.type_params().map(|param| {
        let ident = &param.ident;
        quote!(.part(::py38::__private::persist::arg(::core::any::type_name::<#ident>())))
    });
    let const_args = sig.generics.const_params().map(|param| {
        let ident = &param.ident;
        quote!(.part(::py38::__private::persist::arg(&#ident)))
    });
    let key = quote! {
        ::py38::__private::persist::Key::new() #owner #(#type_args)* #(#const_args)* #(#parts)*
    };
    let cache = if function.in_impl {
        let getter = format_ident!("__py38_{}_cache", name);
        quote!(Self::#getter())
    } else {
        quote!(#name::__py38_cache())
    };
    let asynchronous = item.sig.asyncness.is_some();
    let body_fn = super::caller::body(function);
    let call = match &body_fn {
        Some(body_fn) => tracked_call(&cache, &key, &body_fn.call, function.output),
        None => untracked_call(&cache, &key, block, function.output, asynchronous),
    };

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
    let function_name = name.to_string();
    let types = signature_text(item);
    let maxsize = match args.maxsize {
        Some(n) => quote!(::core::option::Option::Some(#n)),
        None => quote!(::core::option::Option::None),
    };
    let ttl = match args.ttl_nanos {
        Some(nanos) => {
            quote!(::core::option::Option::Some(::core::time::Duration::from_nanos(#nanos)))
        }
        None => quote!(::core::option::Option::None),
    };
    let inputs = sig.inputs.iter().map(|input| {
        let mut input = input.clone();
        if let FnArg::Typed(typed) = &mut input
            && let Pat::Ident(ident) = &mut *typed.pat
        {
            ident.mutability = None;
        }
        input
    });
    let where_stored = match store {
        Store::Custom(_) => "the store `custom(..)` opens".to_owned(),
        Store::Redis(Some(url)) => format!("the Redis server `{}`", url.value()),
        Store::Redis(None) => "the Redis server of `$PY38_REDIS_URL`".to_owned(),
        Store::Disk(Some(path)) => format!("the file `{}`", path.value()),
        Store::Disk(None) => "the crate's cache file".to_owned(),
    };
    let controls_at = if function.in_impl {
        format!("`Self::{name}_cache_info()`")
    } else {
        format!("`{name}::cache_info()`")
    };
    let doc = format!(
        " *Memoized* (`#[py38::memoize(store = {})]`): results are kept in {where_stored}, \
         shared by later runs and other processes; see {controls_at} and the other controls.",
        store.name()
    );
    let has_docs = attrs.iter().any(|attr| attr.path().is_ident("doc"));
    let gap = has_docs.then(|| quote!(#[doc = ""]));
    let mut sig = sig.clone();
    let (nested, beside) = match &body_fn {
        Some(body_fn) if function.in_impl => (None, Some(&body_fn.item)),
        Some(body_fn) => (Some(&body_fn.item), None),
        None => (None, None),
    };
    if body_fn.is_some() {
        crate::syntax::drop_mut(&mut sig);
    }
    let memoized = quote! {
        #(#attrs)*
        #gap
        #[doc = #doc]
        #vis #sig {
            #nested
            #call
        }
        #beside
    };

    let new_cache = quote! {
        ::py38::__private::persist::Persistent::new(
            ::py38::__private::persist::Backend::#backend,
            ::py38::__private::persist::Namespace {
                krate: ::core::env!("CARGO_PKG_NAME"),
                version: #version,
                function: ::core::concat!(::core::module_path!(), "::", #function_name),
                types: #types,
            },
            ::py38::__private::persist::Policy {
                ttl: #ttl,
                maxsize: #maxsize,
            },
        )
    };
    // In an `impl`, the controls are associated functions named after the method; outside,
    // functions of an empty `enum` named after the function (`area::cache_info()`).
    let control = |suffix: &str| {
        if function.in_impl {
            format_ident!("{}_{}", name, suffix)
        } else {
            format_ident!("{}", suffix)
        }
    };
    let getter = if function.in_impl {
        format_ident!("__py38_{}_cache", name)
    } else {
        format_ident!("__py38_cache")
    };
    let (info, clear, parameters, invalidate, errors) = (
        control("cache_info"),
        control("cache_clear"),
        control("cache_parameters"),
        control("cache_invalidate"),
        control("cache_errors"),
    );
    let (generics, _, where_clause) = sig.generics.split_for_impl();
    let controls = quote! {
        #[doc(hidden)]
        #[allow(dead_code)]
        fn #getter() -> &'static ::py38::__private::persist::Persistent {
            static __CACHE: ::py38::__private::persist::Persistent = #new_cache;
            &__CACHE
        }
        /// This process's hits and misses, and the entries the store holds for the function,
        /// as Python's `cache_info()` (all instantiations of a generic function together).
        #[allow(dead_code)]
        #vis fn #info() -> ::py38::CacheInfo {
            Self::#getter().info()
        }
        /// Removes the function's entries from the store, and resets this process's
        /// statistics, as Python's `cache_clear()`.
        #[allow(dead_code)]
        #vis fn #clear() {
            Self::#getter().clear();
        }
        /// The options the function was memoized with, as Python's `cache_parameters()`.
        #[allow(dead_code)]
        #vis fn #parameters() -> ::py38::CacheParameters {
            Self::#getter().parameters()
        }
        /// Removes the entry stored for these arguments; `true` if there was one.
        #[allow(dead_code)]
        #vis fn #invalidate #generics (#(#inputs),*) -> bool #where_clause {
            Self::#getter().invalidate(#key)
        }
        /// How many times the store failed in this process (each time, the call ran without
        /// it, and the first failure of a burst was logged).
        #[allow(dead_code)]
        #vis fn #errors() -> u64 {
            Self::#getter().errors()
        }
    };
    if function.in_impl {
        return quote!(#memoized #controls);
    }
    let namespace = super::expand::namespace(&item.attrs, vis, name);
    quote! {
        #memoized
        #namespace
        impl #name {
            #controls
        }
    }
}

/// `cache.call(key, || BODY)`: the body in a closure (an `async` block for an `async fn`), so
/// that `return` and `?` in it mean what they mean in the function.
fn untracked_call(
    cache: &TokenStream,
    key: &TokenStream,
    block: &syn::Block,
    output: Output<'_>,
    asynchronous: bool,
) -> TokenStream {
    match output {
        Output::Unit if asynchronous => quote! {
            #cache
                .call_async(#key, ::py38::__private::typed::<(), _>(async #block))
                .await
        },
        Output::Unit => quote!(#cache.call(#key, || #block)),
        Output::Plain(ty) if asynchronous => {
            let call = syn::Ident::new("call_async", ty.span());
            quote! {
                #cache
                    .#call(#key, ::py38::__private::typed::<#ty, _>(async #block))
                    .await
            }
        }
        Output::Plain(ty) => {
            let call = syn::Ident::new("call", ty.span());
            quote!(#cache.#call(#key, || -> #ty #block))
        }
        Output::Result { full, ok } if asynchronous => {
            let call = syn::Ident::new("call_ok_async", ok.span());
            quote! {
                #cache
                    .#call(#key, ::py38::__private::typed::<#full, _>(async #block))
                    .await
            }
        }
        Output::Result { full, ok } => {
            let call = syn::Ident::new("call_ok", ok.span());
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

//! Code generation for `#[memoize]`.
//!
//! ```text
//! #[memoize] fn fib(n: u64) -> u64 { BODY }
//! ```
//! becomes
//! ```text
//! fn fib(n: u64) -> u64 {
//!     match fib::__py38_cache().lookup::<_, u64, ()>((arg(&n).owned(),)) {
//!         Hit(value) => value,
//!         Miss(pending) => pending.run(|| -> u64 { BODY }),
//!     }
//! }
//! mod fib { static __CACHE: Registry = ...; fn cache_info() ...; fn cache_clear() ...; ... }
//! ```
//! In an `impl` block the static moves into a hidden associated function and the controls
//! become associated functions `fib_cache_info()` and so on. A `#[track_caller]` function's
//! body is a function of its own instead of a closure (see `caller.rs`).

use proc_macro2::{Span, TokenStream};
use quote::{ToTokens, format_ident, quote, quote_spanned};
use syn::spanned::Spanned;
use syn::{Ident, ItemFn, Type, Visibility};

use super::args::Args;
use super::invalidate::invalidate;
use super::model::{Function, Output};
use crate::namespace::Declarer;

/// The memoized function and its controls.
pub(crate) fn expand(function: &Function<'_>, args: Args) -> TokenStream {
    if let Some(store) = &args.store {
        return super::persist::expand(function, &args, store);
    }
    let item = function.item;
    let ItemFn {
        attrs,
        vis,
        sig,
        block,
    } = item;
    let name = &sig.ident;
    let registry = registry_path(function.in_impl, name);

    // Spanned at each argument's type, where a type that cannot be a key is reported (once:
    // the key part of such an argument is a stand-in the lookup accepts, see `arg`).
    let key_parts: Vec<TokenStream> = function
        .key
        .iter()
        .map(|part| {
            let ty = part.ty;
            let name = crate::syntax::respan(&part.name, ty.span());
            if part.borrowed {
                quote_spanned!(ty.span()=> ::py38::__private::arg(#name).borrowed())
            } else {
                quote_spanned!(ty.span()=> ::py38::__private::arg(&#name).owned())
            }
        })
        .collect();
    let value = Ident::new("__value", Span::mixed_site());
    let pending = Ident::new("__pending", Span::mixed_site());
    // Spanned at the return type, where a type that cannot be stored is reported.
    let lookup = match function.output {
        Output::Unit => Ident::new("lookup", sig.output.span()),
        Output::Plain(ty) | Output::Result { full: ty, .. } => Ident::new("lookup", ty.span()),
    };
    let instance = instance(&sig.generics, function.generic_owner);
    let body_fn = super::caller::body(function);
    let (stored, hit, mut miss) = match function.output {
        Output::Unit => (quote!(()), quote!(#value), quote!(#pending.run(|| #block))),
        Output::Plain(ty) => (
            quote!(#ty),
            quote!(#value),
            quote!(#pending.run(|| -> #ty #block)),
        ),
        Output::Result { full, ok } => (
            quote!(#ok),
            quote!(::core::result::Result::Ok(#value)),
            quote!(#pending.run_ok(|| -> #full #block)),
        ),
    };
    if let Some(body_fn) = &body_fn {
        // Called directly, so that `#[track_caller]` reaches the body.
        let call = &body_fn.call;
        miss = match function.output {
            Output::Result { .. } => quote!(#pending.finish_ok(#call)),
            Output::Unit | Output::Plain(_) => quote!(#pending.finish(#call)),
        };
    }
    let body = if sig.asyncness.is_some() {
        let full = match function.output {
            Output::Unit => quote!(()),
            Output::Plain(ty) | Output::Result { full: ty, .. } => quote!(#ty),
        };
        let run = match function.output {
            Output::Result { .. } => quote!(run_ok),
            Output::Unit | Output::Plain(_) => quote!(run),
        };
        let join = Ident::new("__join", Span::mixed_site());
        let lookup_async = Ident::new("lookup_async", lookup.span());
        // Concurrent calls share one computation; a computation abandoned (its caller
        // dropped, or an `Err`) sends its waiters round the loop to look up again.
        quote! {
            loop {
                match #registry.#lookup_async::<_, #stored, #instance>((#(#key_parts,)*)) {
                    ::py38::__private::AsyncLookup::Hit(#value) => return #hit,
                    ::py38::__private::AsyncLookup::Join(#join) => {
                        if let ::core::option::Option::Some(#value) = #join.await {
                            return #hit;
                        }
                    }
                    ::py38::__private::AsyncLookup::Miss(#pending) => {
                        return #pending
                            .#run(::py38::__private::typed::<#full, _>(async #block))
                            .await;
                    }
                }
            }
        }
    } else {
        quote! {
            match #registry.#lookup::<_, #stored, #instance>((#(#key_parts,)*)) {
                ::py38::__private::Lookup::Hit(#value) => #hit,
                ::py38::__private::Lookup::Miss(#pending) => #miss,
            }
        }
    };

    let mut sig = sig.clone();
    add_thread_bounds(&mut sig.generics);
    if function.generic_owner {
        // The cache is told apart by `Self`, which must then outlive it.
        sig.generics
            .make_where_clause()
            .predicates
            .push(syn::parse_quote!(Self: 'static));
    }
    let has_docs = attrs.iter().any(|attr| attr.path().is_ident("doc"));
    let doc = doc_lines(function.in_impl, name, &args, has_docs);
    let (nested, beside) = match &body_fn {
        Some(body_fn) => {
            crate::syntax::drop_mut(&mut sig);
            let item = &body_fn.item;
            if function.in_impl {
                (None, Some(item))
            } else {
                (Some(item), None)
            }
        }
        None => (None, None),
    };
    let memoized = quote! {
        #(#attrs)*
        #doc
        #vis #sig {
            #nested
            #body
        }
        #beside
    };
    let control_registry = if function.in_impl {
        registry.clone()
    } else {
        quote!(Self::__py38_cache())
    };
    let control_vis = vis.to_token_stream();
    let invalidate = invalidate(
        &sig,
        function.generic_owner,
        function.in_impl,
        &control_vis,
        &control_registry,
        &key_parts,
    );
    let namespace = namespace(&function.item.attrs, vis, name);
    let controls = controls(function.in_impl, namespace, vis, name, &args, invalidate);
    quote!(#memoized #controls)
}

/// A type that tells this instantiation of a generic function from the others (`()` for a
/// function that is not generic): instantiations that differ only in arguments the key and
/// the result do not show must not share a cache. The same type where the function and
/// its controls name it, so both find the same store.
pub(crate) fn instance(generics: &syn::Generics, generic_owner: bool) -> TokenStream {
    let owner = generic_owner.then(|| quote!(::core::marker::PhantomData<fn() -> *const Self>,));
    let types = generics.type_params().map(|p| {
        let t = &p.ident;
        quote!(::core::marker::PhantomData<fn() -> *const #t>)
    });
    let consts = generics.const_params().map(|c| {
        let ident = &c.ident;
        let tag = match c.ty.to_token_stream().to_string().as_str() {
            "u8" => "U8",
            "u16" => "U16",
            "u32" => "U32",
            "u64" => "U64",
            "u128" => "U128",
            "i8" => "I8",
            "i16" => "I16",
            "i32" => "I32",
            "i64" => "I64",
            "i128" => "I128",
            "isize" => "Isize",
            "bool" => "Bool",
            "char" => "Char",
            _ => "Usize",
        };
        let tag = Ident::new(tag, Span::call_site());
        quote!(::py38::__private::consts::#tag<#ident>)
    });
    quote!((#owner #(#types,)* #(#consts,)*))
}

/// Adds `Send + Sync + 'static` to each type parameter: the cache outlives every call and is
/// shared by all threads. The bounds join the parameter's existing `where` predicate if it has
/// one, else its inline bounds, so that clippy's `multiple_bound_locations` stays quiet.
fn add_thread_bounds(generics: &mut syn::Generics) {
    let bounds: syn::punctuated::Punctuated<syn::TypeParamBound, syn::Token![+]> =
        syn::parse_quote!(::core::marker::Send + ::core::marker::Sync + 'static);
    let predicates = generics.where_clause.as_mut().map(|w| &mut w.predicates);
    let mut in_where = Vec::new();
    if let Some(predicates) = predicates {
        for predicate in predicates.iter_mut() {
            if let syn::WherePredicate::Type(predicate) = predicate
                && let Type::Path(path) = &predicate.bounded_ty
                && path.qself.is_none()
                && let Some(ident) = path.path.get_ident()
                && !in_where.contains(ident)
            {
                in_where.push(ident.clone());
                predicate.bounds.extend(bounds.iter().cloned());
            }
        }
    }
    for param in generics.type_params_mut() {
        if !in_where.contains(&param.ident) {
            if param.colon_token.is_none() {
                param.colon_token = Some(syn::Token![:](Span::call_site()));
            }
            param.bounds.extend(bounds.iter().cloned());
        }
    }
}

/// The function as written, with its controls: what stands in when the input has errors, so
/// that callers of the function and of its controls see no follow-up errors.
pub(crate) fn fallback(item: &ItemFn, in_impl: bool, args: Args) -> TokenStream {
    let controls = controls(
        in_impl,
        namespace(&item.attrs, &item.vis, &item.sig.ident),
        &item.vis,
        &item.sig.ident,
        &args,
        TokenStream::new(),
    );
    quote!(#item #controls)
}

fn registry_path(in_impl: bool, name: &Ident) -> TokenStream {
    if in_impl {
        let getter = format_ident!("__py38_{}_cache", name);
        quote!(Self::#getter())
    } else {
        quote!(#name::__py38_cache())
    }
}

fn doc_lines(in_impl: bool, name: &Ident, args: &Args, after_docs: bool) -> TokenStream {
    let controls = if in_impl {
        format!(
            "`Self::{name}_cache_info()`, `Self::{name}_cache_clear()` and `Self::{name}_cache_parameters()`"
        )
    } else {
        format!("`{name}::cache_info()`, `{name}::cache_clear()` and `{name}::cache_parameters()`")
    };
    let mut maxsize = match args.maxsize {
        Some(n) => format!("the {n} most recently used results"),
        None => "every result".to_owned(),
    };
    if let Some(nanos) = args.ttl_nanos {
        #[allow(clippy::cast_precision_loss)] // shown to the reader, not computed with
        let seconds = nanos as f64 / 1e9;
        maxsize.push_str(&format!(", each for {seconds} s"));
    }
    let line = format!(" *Memoized* (`#[py38::memoize]`): keeps {maxsize}; see {controls}.");
    let gap = after_docs.then(|| quote!(#[doc = ""]));
    quote!(#gap #[doc = #line])
}

fn new_registry(args: &Args) -> TokenStream {
    let maxsize = match args.maxsize {
        Some(n) => quote!(::core::option::Option::Some(#n)),
        None => quote!(::core::option::Option::None),
    };
    let typed = args.typed;
    let ttl = match args.ttl_nanos {
        Some(nanos) => {
            quote!(::core::option::Option::Some(::core::time::Duration::from_nanos(#nanos)))
        }
        None => quote!(::core::option::Option::None),
    };
    quote!(::py38::__private::Registry::new(#maxsize, #typed, #ttl))
}

/// The `enum` the controls of a free function hang on, unless `#[signature]` declares it.
pub(crate) fn namespace(
    attrs: &[syn::Attribute],
    vis: &Visibility,
    name: &Ident,
) -> Option<TokenStream> {
    let doc = format!(
        " Cache controls of the memoized function `{name}`: `{name}::cache_info()` and so on."
    );
    crate::namespace::declare(Declarer::Memoize, attrs, vis, name, Some(&doc))
}

/// The controls; `invalidate` (empty in a stand-in for a function with errors) is made by
/// [`invalidate`] and given the function's visibility here. `namespace` is the `enum` the
/// controls of a free function hang on, if this attribute declares it.
fn controls(
    in_impl: bool,
    namespace: Option<TokenStream>,
    vis: &Visibility,
    name: &Ident,
    args: &Args,
    invalidate: TokenStream,
) -> TokenStream {
    let registry = new_registry(args);
    if in_impl {
        let getter = format_ident!("__py38_{}_cache", name);
        let info = format_ident!("{}_cache_info", name);
        let clear = format_ident!("{}_cache_clear", name);
        let parameters = format_ident!("{}_cache_parameters", name);
        let docs = control_docs(&format!("`{name}`"));
        let [info_doc, clear_doc, parameters_doc] = &docs;
        quote! {
            #[doc(hidden)]
            fn #getter() -> &'static ::py38::__private::Registry {
                static __CACHE: ::py38::__private::Registry = #registry;
                &__CACHE
            }
            #[doc = #info_doc]
            #[allow(dead_code)]
            #vis fn #info() -> ::py38::CacheInfo {
                Self::#getter().info()
            }
            #[doc = #clear_doc]
            #[allow(dead_code)]
            #vis fn #clear() {
                Self::#getter().clear();
            }
            #[doc = #parameters_doc]
            #[allow(dead_code)]
            #vis fn #parameters() -> ::py38::CacheParameters {
                Self::#getter().parameters()
            }
            #invalidate
        }
    } else {
        // An empty enum as the namespace, not a module: its `impl` stands in the function's
        // scope, so the parameter types of `cache_invalidate` resolve as the function's do,
        // even for a function inside a block.
        let [info_doc, clear_doc, parameters_doc] = &control_docs("the function");
        quote! {
            #namespace
            #[allow(dead_code)]
            impl #name {
                #[doc(hidden)]
                fn __py38_cache() -> &'static ::py38::__private::Registry {
                    static __CACHE: ::py38::__private::Registry = #registry;
                    &__CACHE
                }
                #[doc = #info_doc]
                #vis fn cache_info() -> ::py38::CacheInfo {
                    Self::__py38_cache().info()
                }
                #[doc = #clear_doc]
                #vis fn cache_clear() {
                    Self::__py38_cache().clear();
                }
                #[doc = #parameters_doc]
                #vis fn cache_parameters() -> ::py38::CacheParameters {
                    Self::__py38_cache().parameters()
                }
                #invalidate
            }
        }
    }
}

fn control_docs(subject: &str) -> [String; 3] {
    [
        format!(" Hits, misses and size of the cache of {subject}, as Python's `cache_info()`."),
        format!(
            " Empties the cache of {subject} and resets its statistics, as Python's `cache_clear()`."
        ),
        format!(" The options {subject} was memoized with, as Python's `cache_parameters()`."),
    ]
}

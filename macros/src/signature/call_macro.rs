//! The items `#[signature]` adds next to a free function `f`, all hidden from docs:
//!
//! - a macro named `f` (a `macro_rules!` under a name of its own, imported as `f` with `f`'s
//!   visibility), so that any path that reaches the function reaches the macro too. `call!`
//!   invokes it with the call as written; it hands the call back to `call!`'s binder together
//!   with `f`'s signature, and the binder sees both at once;
//! - on an empty `enum f` (so that importing `f` imports them), for each parameter `d` with a
//!   default, `f::__py38_default_d`, which evaluates the default here, where `f` is defined:
//!   `call!` calls `f` itself, with these for the arguments left out. When a default or its type
//!   depends on `f`'s type parameters (`T::default()`), it cannot be evaluated apart from a
//!   call of `f`, and `f::__py38_call` takes its place: `f` with its arguments in order, each
//!   parameter with a default taken as an `Option` (`None` for the default);
//! - `f::__py38_described`: the signature as data, for the compile-time checks that word a
//!   wrong call's error in Python's terms.
//!
//! The function itself is left exactly as written.

use proc_macro2::{Span, TokenStream};
use quote::{ToTokens, format_ident, quote};
use syn::{GenericParam, Ident, ItemFn, Visibility, ext::IdentExt};

use super::handle::{describe, turbofish};
use super::model::Model;
use crate::paths;
use crate::syntax::{generic_name, names_in};

/// The std and core macros every module sees through the prelude. A function named after one
/// gets no macro of its name (rustc would find the two ambiguous wherever the function is in
/// scope); it gets the call handle `handle::expand` builds instead, which `call!` uses for it.
pub(crate) const PRELUDE_MACROS: &[&str] = &[
    "assert",
    "assert_eq",
    "assert_ne",
    "cfg",
    "column",
    "compile_error",
    "concat",
    "dbg",
    "debug_assert",
    "debug_assert_eq",
    "debug_assert_ne",
    "env",
    "eprint",
    "eprintln",
    "file",
    "format",
    "format_args",
    "include",
    "include_bytes",
    "include_str",
    "is_x86_feature_detected",
    "line",
    "matches",
    "module_path",
    "option_env",
    "panic",
    "print",
    "println",
    "stringify",
    "thread_local",
    "todo",
    "unimplemented",
    "unreachable",
    "vec",
    "write",
    "writeln",
];

/// Whether a function named `name` gets its call macro (see [`PRELUDE_MACROS`]).
pub(crate) fn has_call_macro(name: &Ident) -> bool {
    !PRELUDE_MACROS.contains(&name.unraw().to_string().as_str())
}

/// The items to add after the function, with the empty `enum f` if this attribute declares it
/// (see `namespace`).
pub(crate) fn expand(
    model: &Model<'_>,
    item: &ItemFn,
    namespace: Option<TokenStream>,
) -> TokenStream {
    let private = paths::signature();
    let vis = &item.vis;
    let name = &model.sig.ident;
    let described = describe(model, None);
    let direct = defaults_stand_alone(model);
    let binding = if direct {
        defaults(model, vis)
    } else {
        forward(model, item)
    };
    let call_macro = call_macro(model, vis, direct);
    quote! {
        #namespace
        #[allow(non_upper_case_globals, dead_code)]
        impl #name {
            #[doc(hidden)]
            #vis const __py38_described: &'static #private::Signature = #described;
            #binding
        }
        #call_macro
    }
}

/// Whether every default, with its parameter's type, names none of the function's type and
/// const parameters, so that it can be evaluated by a function of its own.
fn defaults_stand_alone(model: &Model<'_>) -> bool {
    let generics: Vec<String> = model
        .sig
        .generics
        .params
        .iter()
        .filter(|p| !matches!(p, GenericParam::Lifetime(_)))
        .map(generic_name)
        .collect();
    model.params.iter().all(|param| {
        let Some(default) = &param.default else {
            return true;
        };
        let mut tokens = param.ty.to_token_stream();
        tokens.extend(default.to_token_stream());
        !names_in(tokens).iter().any(|name| generics.contains(name))
    })
}

/// `f::__py38_default_d` for each parameter `d` with a default. Its `&()` argument gives the
/// lifetimes the parameter's type leaves out (`&str`, `Cow<str>`) a lifetime to stand for,
/// which the call then infers; the function's own lifetime parameters are its too.
fn defaults(model: &Model<'_>, vis: &Visibility) -> TokenStream {
    let defaults = model.params.iter().filter_map(|param| {
        let default = param.default.as_ref()?;
        let mentioned = names_in(param.ty.to_token_stream());
        let lifetimes = model
            .sig
            .generics
            .lifetimes()
            .map(|l| &l.lifetime)
            .filter(|l| mentioned.contains(&l.ident.to_string()));
        let name = format_ident!("__py38_default_{}", param.ident.unraw());
        let ty = param.ty;
        Some(quote! {
            #[doc(hidden)]
            #[inline]
            #[allow(clippy::trivially_copy_pass_by_ref)]
            #vis fn #name<#(#lifetimes),*>(_: &()) -> #ty {
                #default
            }
        })
    });
    quote!(#(#defaults)*)
}

/// `f::__py38_call`: the function's own signature, with `Option<T>` for each parameter that has
/// a default, calling the function. Its parameters have names the default expressions cannot
/// see, so that a default means what it would in a closure next to the function.
fn forward(model: &Model<'_>, item: &ItemFn) -> TokenStream {
    let sig = model.sig;
    let name = &sig.ident;
    let option = quote!(::core::option::Option);
    let mut params = Vec::new();
    let mut values = Vec::new();
    for (i, param) in model.params.iter().enumerate() {
        let arg = Ident::new(&format!("__py38_{i}"), Span::mixed_site());
        let ty = param.ty;
        match &param.default {
            None => {
                params.push(quote!(#arg: #ty));
                values.push(quote!(#arg));
            }
            Some(default) => {
                let value = Ident::new("value", Span::mixed_site());
                params.push(quote!(#arg: #option<#ty>));
                values.push(quote! {
                    match #arg {
                        #option::Some(#value) => #value,
                        #option::None => #default,
                    }
                });
            }
        }
    }

    let has_impl_trait = model
        .params
        .iter()
        .any(|p| matches!(p.ty, syn::Type::ImplTrait(_)));
    let turbofish = turbofish(&sig.generics, has_impl_trait);
    let mut body = quote!(#name #turbofish(#(#values),*));
    if sig.asyncness.is_some() {
        body = quote!(#body.await);
    }
    if sig.unsafety.is_some() {
        body = quote!(unsafe { #body });
    }

    // Not `const`, even for a `const fn`: a default need not be a constant expression.
    let (asyncness, unsafety) = (&sig.asyncness, &sig.unsafety);
    let generics = &sig.generics;
    let where_clause = &generics.where_clause;
    let output = &sig.output;
    // The caller's location and the warning about an unused result carry over (a location
    // is not tracked through an `async fn`).
    let kept = item.attrs.iter().filter(|attr| {
        attr.path().is_ident("must_use")
            || (attr.path().is_ident("track_caller") && sig.asyncness.is_none())
    });
    let vis = &item.vis;
    quote! {
        #[doc(hidden)]
        #[inline]
        #[allow(clippy::too_many_arguments, clippy::option_option)]
        #(#kept)*
        #vis #asyncness #unsafety fn __py38_call #generics(#(#params),*) #output
        #where_clause
        {
            #body
        }
    }
}

/// The macro `f`: `call!(f(..))` becomes `f! { f(..) }`, which becomes the binder's input, the
/// signature and the call. A public function's macro is exported, so that other crates reach
/// it through the function's path; exported macros share one namespace, the crate's root, so
/// its own name is made unique there.
fn call_macro(model: &Model<'_>, vis: &Visibility, direct: bool) -> TokenStream {
    let name = &model.sig.ident;
    let exported = matches!(vis, Visibility::Public(_));
    let own_name = if exported {
        format_ident!("__py38_signature_{}_{:016x}", name.unraw(), unique(model))
    } else {
        format_ident!("__py38_signature_{}", name.unraw())
    };
    let export = exported.then(|| quote!(#[macro_export]));
    let private = paths::signature();
    let listed = listed(model);
    let mode = if direct {
        quote!(direct)
    } else {
        quote!(forward)
    };
    quote! {
        #[doc(hidden)]
        #[allow(unused_macros)]
        #export
        macro_rules! #own_name {
            ($($call:tt)*) => {
                #private::bind! { #mode #name (#listed) $($call)* }
            };
        }
        #[doc(hidden)]
        #[allow(unused_imports)]
        #vis use #own_name as #name;
    }
}

/// The signature as the binder needs it: names, `/`, `*`, and `= _` for a default.
fn listed(model: &Model<'_>) -> TokenStream {
    let mut out = Vec::new();
    for (i, param) in model.params.iter().enumerate() {
        if i == model.positional_only && i > 0 {
            out.push(quote!(/));
        }
        if i == model.positional && model.positional < model.params.len() {
            out.push(quote!(*));
        }
        let ident = param.ident;
        out.push(match param.default {
            Some(_) => quote!(#ident = _),
            None => quote!(#ident),
        });
    }
    if model.positional_only == model.params.len() && model.positional_only > 0 {
        out.push(quote!(/));
    }
    quote!(#(#out),*)
}

/// A number that tells this function's exported macro from any other in the crate, the same
/// in every build of the same source: a hash (FNV-1a, whose value no compiler release changes)
/// of the source file's path, the line of the function's name, the name and the signature.
/// Two functions of one name and signature in different modules are then told apart by where
/// they are, without the compiler's `Debug` text of a span, which is unspecified and shifts
/// with the byte offsets of every file compiled before this one.
fn unique(model: &Model<'_>) -> u64 {
    let (file, line) = location(model.sig.ident.span());
    let signature = model.sig.to_token_stream().to_string();
    let name = model.sig.ident.to_string();
    [
        file.as_bytes(),
        &line.to_le_bytes(),
        name.as_bytes(),
        signature.as_bytes(),
    ]
    .iter()
    .fold(FNV_OFFSET, |hash, part| fnv1a(hash, part))
}

const FNV_OFFSET: u64 = 0xcbf2_9ce4_8422_2325;

/// FNV-1a over `bytes`, from `hash`, then over a separator, so that parts do not run together.
fn fnv1a(hash: u64, bytes: &[u8]) -> u64 {
    bytes.iter().chain([&0xff]).fold(hash, |hash, &byte| {
        (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// The file and line of `span`; empty and 0 outside a macro expansion (in unit tests).
fn location(span: Span) -> (String, usize) {
    if proc_macro::is_available() {
        let span = span.unwrap();
        (span.file(), span.line())
    } else {
        (String::new(), 0)
    }
}

#[cfg(test)]
mod tests {
    use quote::quote;

    use super::{FNV_OFFSET, fnv1a, unique};
    use crate::errors::Errors;
    use crate::signature::{model::Model, parse};

    fn unique_of(sig: syn::Signature, list: proc_macro2::TokenStream) -> u64 {
        let mut errors = Errors::default();
        let listed = parse::parse(list, &mut errors);
        let model = Model::new(&sig, listed, false, &mut errors);
        assert!(errors.is_empty());
        unique(&model)
    }

    #[test]
    fn fnv1a_is_the_published_function() {
        // FNV-1a of "a" is 0xaf63dc4c8601ec8c; the separator byte follows it.
        let a = (FNV_OFFSET ^ u64::from(b'a')).wrapping_mul(0x0100_0000_01b3);
        assert_eq!(a, 0xaf63_dc4c_8601_ec8c);
        assert_eq!(
            fnv1a(FNV_OFFSET, b"a"),
            (a ^ 0xff).wrapping_mul(0x0100_0000_01b3)
        );
    }

    #[test]
    fn the_exported_name_is_the_same_in_every_build_and_tells_signatures_apart() {
        let f = || {
            unique_of(
                syn::parse_quote!(fn f(a: u32, b: u32) -> u32),
                quote!(a, b = 2),
            )
        };
        assert_eq!(f(), f());
        // Pinned: a change here renames every exported macro, which must be deliberate.
        assert_eq!(format!("{:016x}", f()), "34f29494d9dc3b10");
        let other = unique_of(
            syn::parse_quote!(fn f(a: u32, b: u64) -> u32),
            quote!(a, b = 2),
        );
        assert_ne!(f(), other);
    }
}

//! `call!(f(10, 20, c = 30))` becomes, in effect, `f(10, 20, 30, <d's default>, ..)`: each
//! argument goes into its slot of `f`'s call handle, in the order written (so arguments are
//! evaluated left to right, as in Python), then the handle calls `f`.
//!
//! Which slot an argument goes to is a constant, computed by `::py38::__private::signature`'s
//! `const fn`s from `f`'s signature and the call's shape. When the call is wrong, that
//! computation panics with Python's message, and the compiler reports it on the argument (the
//! functions are `#[track_caller]`, so the report names no py38 internals).

use proc_macro2::TokenStream;
use quote::{ToTokens, format_ident, quote};
use syn::ext::IdentExt;
use syn::spanned::Spanned;
use syn::{ExprPath, Ident, PathArguments};

use super::args::{arguments, setter};
use super::checks::checks;
use super::parse::{Call, Callee};

pub(crate) fn expand(call: &Call, input: TokenStream) -> TokenStream {
    match &call.callee {
        Callee::Path(path) if names_a_member(path) => {
            let (handle, constructor, generics) = member_handle(path);
            let reach = super::member::Reach::Path;
            super::member::expand(call, &handle, &generics, path.span(), &constructor, reach)
        }
        Callee::Path(path) if !calls_through_macro(path) => free(call, path),
        Callee::Path(path) => through_macro(path, input),
        Callee::Method {
            receiver,
            method,
            turbofish,
        } => {
            let constructor =
                format_ident!("__py38_method_{}", method.unraw(), span = method.span());
            let handle = quote!(#receiver.#constructor());
            let generics = turbofish
                .iter()
                .flat_map(|t| &t.args)
                .map(ToTokens::to_token_stream)
                .collect::<Vec<_>>();
            let reach = super::member::Reach::Receiver;
            super::member::expand(call, &handle, &generics, method.span(), &constructor, reach)
        }
    }
}

/// A call of a function named after a prelude macro (`write`, `format`): through its call
/// handle, as a method's (see `signature::has_call_macro`).
fn free(call: &Call, function: &ExprPath) -> TokenStream {
    let (handle, described, generics) = handle(function);
    let (checks, gated) = checks(call, &described, function.span(), &handle);
    let finish = format_ident!("__py38_finish", span = function.span());
    let chain = arguments(call)
        .iter()
        .fold(gated, |chain, argument| setter(chain, argument));
    quote! {
        {
            #checks
            #chain
                .#finish::<#(#generics),*>(::core::marker::PhantomData)
        }
    }
}

/// Whether the free function `path` names has a call macro of its name (see
/// `signature::has_call_macro`).
fn calls_through_macro(path: &ExprPath) -> bool {
    path.path
        .segments
        .last()
        .is_some_and(|last| crate::signature::has_call_macro(&last.ident))
}

/// `f! { f(1, c = 3) }`: the function's macro (the function's path without generic arguments)
/// with the call as written; the macro hands it on to the binder with the signature.
fn through_macro(function: &ExprPath, input: TokenStream) -> TokenStream {
    let mut path = function.path.clone();
    if let Some(last) = path.segments.last_mut() {
        take_generics(last);
    }
    let bang = syn::Token![!](function.span());
    quote!(#path #bang { #input })
}

/// Whether `path` names an associated function (`Point::new`, `Self::new`,
/// `geo::Point::<f64>::new`) rather than a function in a module (`geo::area`): by Rust's naming
/// conventions, the segment before the function's name is a type's when it is `Self` or
/// starts with an upper-case letter.
fn names_a_member(path: &ExprPath) -> bool {
    let segments = &path.path.segments;
    segments.len() >= 2 && {
        let owner = segments[segments.len() - 2].ident.unraw().to_string();
        owner == "Self" || owner.starts_with(|c: char| c.is_uppercase())
    }
}

/// `Point::__py38_signature_new()` for `Point::new`, the constructor's name, and the generic
/// arguments written on the function.
fn member_handle(function: &ExprPath) -> (TokenStream, Ident, Vec<TokenStream>) {
    let mut path = function.path.clone();
    let last = path
        .segments
        .last_mut()
        .expect("`names_a_member` saw two segments");
    let generics = take_generics(last);
    let name = last.ident.unraw();
    last.ident = format_ident!("__py38_signature_{}", name, span = last.ident.span());
    let constructor = last.ident.clone();
    (quote!(#path()), constructor, generics)
}

fn take_generics(segment: &mut syn::PathSegment) -> Vec<TokenStream> {
    match std::mem::replace(&mut segment.arguments, PathArguments::None) {
        PathArguments::AngleBracketed(args) => args.args.iter().map(|arg| quote!(#arg)).collect(),
        PathArguments::None | PathArguments::Parenthesized(_) => Vec::new(),
    }
}

/// The paths of the function's call handle and of its signature, and the generic arguments
/// written on the function. `f` gives `f::__py38_signature` and `f::__py38_described` (the
/// empty `enum f` comes along with any import of `f`); `a::b::f` gives `a::b::__py38_signature_f`
/// and `a::b::__py38_described_f`.
fn handle(function: &ExprPath) -> (TokenStream, TokenStream, Vec<TokenStream>) {
    let mut path = function.path.clone();
    let single = path.segments.len() == 1 && path.leading_colon.is_none();
    let Some(last) = path.segments.last_mut() else {
        return (quote!(#path), quote!(#path), Vec::new());
    };
    let generics = take_generics(last);
    if single {
        return (
            quote!(#path::__py38_signature),
            quote!(#path::__py38_described),
            generics,
        );
    }
    let name = last.ident.unraw();
    let span = last.ident.span();
    let mut described = path.clone();
    let rename = |path: &mut syn::Path, prefix: &str| {
        if let Some(last) = path.segments.last_mut() {
            last.ident = format_ident!("{}{}", prefix, name, span = span);
        }
    };
    rename(&mut path, "__py38_signature_");
    rename(&mut described, "__py38_described_");
    (quote!(#path), quote!(#described), generics)
}

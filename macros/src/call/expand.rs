//! `call!(f(10, 20, c = 30))` becomes, in effect, `f(10, 20, 30, <d's default>, ..)`: each
//! argument goes into its slot of `f`'s call handle, in the order written (so arguments are
//! evaluated left to right, as in Python), then the handle calls `f`.
//!
//! Which slot an argument goes to is a constant, computed by `::py38::__private::signature`'s
//! `const fn`s from `f`'s signature and the call's shape. When the call is wrong, that
//! computation panics with Python's message, and the compiler reports it on the argument (the
//! functions are `#[track_caller]`, so the report names no py38 internals).

use proc_macro2::{Span, TokenStream};
use quote::{ToTokens, format_ident, quote, quote_spanned};
use syn::ext::IdentExt;
use syn::spanned::Spanned;
use syn::{Expr, ExprPath, Ident, PathArguments};

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
                format_ident!("__py38_signature_{}", method.unraw(), span = method.span());
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

/// One argument as written: how it is passed, its place among those passed the same way, and
/// the span its errors go on.
pub(super) struct Argument<'c> {
    pub(super) keyword: Option<&'c Ident>,
    pub(super) index: usize,
    pub(super) value: &'c Expr,
    pub(super) span: Span,
}

/// The positional arguments, then the keywords (Python binds them in that order, and `call!`
/// has already refused a positional argument after a keyword).
pub(super) fn arguments(call: &Call) -> Vec<Argument<'_>> {
    let positional = call
        .positional
        .iter()
        .enumerate()
        .map(|(index, value)| Argument {
            keyword: None,
            index,
            value,
            span: value.span(),
        });
    let keywords = call.keywords.iter().enumerate().map(|(index, k)| Argument {
        keyword: Some(&k.name),
        index,
        value: &k.value,
        span: k.name.span(),
    });
    positional.chain(keywords).collect()
}

/// `Call { positional: 2, keywords: &["e"] }`: the call's shape, for the checks.
pub(super) fn shape(call: &Call) -> TokenStream {
    let private = quote!(::py38::__private::signature);
    let positional = proc_macro2::Literal::usize_unsuffixed(call.positional.len());
    let keywords = call.keywords.iter().map(|k| k.name.unraw().to_string());
    quote! {
        #private::Call {
            positional: #positional,
            keywords: &[#(#keywords),*],
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

/// The constants that check a call of a free function against its signature (`described`),
/// each argument by a constant of its own, so that every mistake is reported, each on its
/// argument; the constants' names show in the compiler's label ("evaluation of
/// `main::__py38_keyword_g` failed here"), so they say which argument they are about. The last
/// one, `__py38_required_arguments`, checks that nothing is missing, and is reported on
/// `function_span`. Also `value` passed through py38's `Checked` over every constant: when one
/// fails, its type is an error, and the compiler adds nothing of its own about the call.
pub(super) fn checks(
    call: &Call,
    described: &TokenStream,
    function_span: Span,
    value: &TokenStream,
) -> (TokenStream, TokenStream) {
    let private = quote!(::py38::__private::signature);
    let mut checks = Vec::new();
    let mut names = Vec::new();
    for argument in &arguments(call) {
        let span = argument.span;
        let name = setter_name(argument);
        let find = format_ident!(
            "{}",
            if argument.keyword.is_some() {
                "keyword"
            } else {
                "positional"
            },
            span = span
        );
        let mut index = proc_macro2::Literal::usize_unsuffixed(argument.index);
        index.set_span(span);
        // Every token on the argument, so that an error covers it and nothing else.
        let computed = quote_spanned! {span=>
            ::py38::__private::signature::#find(#described, &__PY38_CALL, #index)
        };
        checks.push(quote_spanned!(span=>
            #[allow(non_upper_case_globals)]
            const #name: usize = #computed;
        ));
        names.push(name);
    }
    let span = function_span;
    let complete = quote_spanned! {span=>
        ::py38::__private::signature::required(#described, &__PY38_CALL)
    };
    let required = format_ident!("__py38_required_arguments", span = span);
    let shape = shape(call);
    let checks = quote! {
        const __PY38_CALL: #private::Call = #shape;
        #(#checks)*
        #[allow(non_upper_case_globals)]
        const #required: usize = #complete;
    };
    names.push(required);
    let gated = quote!(#private::Checked::<{ [#(#names),*].len() }>::checked(#value));
    (checks, gated)
}

/// `handle.__py38_keyword_e(value)`: the setter for the way the argument is passed, named
/// after its position or keyword, spanned on the argument.
pub(super) fn setter(handle: TokenStream, argument: &Argument<'_>) -> TokenStream {
    let span = argument.span;
    let setter = setter_name(argument);
    let value = argument.value;
    quote_spanned!(span=> #handle.#setter(#value))
}

/// `__py38_positional_<n>` (`n` counted from 1) or `__py38_keyword_<name>`.
pub(super) fn setter_name(argument: &Argument<'_>) -> Ident {
    let span = argument.span;
    match argument.keyword {
        Some(name) => format_ident!("__py38_keyword_{}", name.unraw(), span = span),
        None => format_ident!("__py38_positional_{}", argument.index + 1, span = span),
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

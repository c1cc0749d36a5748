//! The arguments of a call as written, and the setters they go into the call handle by:
//! what binding a free function's call, a member's call and the binder all need.

use proc_macro2::{Span, TokenStream};
use quote::{format_ident, quote, quote_spanned};
use syn::Ident;
use syn::ext::IdentExt;
use syn::spanned::Spanned;

use super::parse::Call;
use crate::paths;

/// One argument as written: how it is passed, its place among those passed the same way, and
/// the span its errors go on.
pub(crate) struct Argument<'c> {
    pub(crate) keyword: Option<&'c Ident>,
    pub(crate) index: usize,
    /// A positional argument's position as Python counts it, from 1 (a receiver given before
    /// the call's parentheses is the first).
    pub(crate) position: usize,
    pub(crate) value: &'c TokenStream,
    pub(crate) span: Span,
}

/// The positional arguments, then the keywords (Python binds them in that order, and `call!`
/// has already refused a positional argument after a keyword).
pub(crate) fn arguments(call: &Call) -> Vec<Argument<'_>> {
    arguments_after(call, 0)
}

/// [`arguments`] of a method call, `receiver.m(..)`: the receiver is the first position.
pub(crate) fn arguments_after_receiver(call: &Call) -> Vec<Argument<'_>> {
    arguments_after(call, 1)
}

fn arguments_after(call: &Call, given: usize) -> Vec<Argument<'_>> {
    let positional = call
        .positional
        .iter()
        .enumerate()
        .map(|(index, value)| Argument {
            keyword: None,
            index,
            position: given + index + 1,
            value,
            span: value.span(),
        });
    let keywords = call.keywords.iter().enumerate().map(|(index, k)| Argument {
        keyword: Some(&k.name),
        index,
        position: 0,
        value: &k.value,
        span: k.name.span(),
    });
    positional.chain(keywords).collect()
}

/// `Call { positional: 2, keywords: &["e"] }`: the call's shape, for the checks.
pub(crate) fn shape(call: &Call) -> TokenStream {
    let private = paths::signature();
    let positional = proc_macro2::Literal::usize_unsuffixed(call.positional.len());
    let keywords = call.keywords.iter().map(|k| k.name.unraw().to_string());
    quote! {
        #private::Call {
            positional: #positional,
            keywords: &[#(#keywords),*],
        }
    }
}

/// `handle.__py38_keyword_e(value)`: the setter for the way the argument is passed, named
/// after its position or keyword, spanned on the argument.
pub(crate) fn setter(handle: TokenStream, argument: &Argument<'_>) -> TokenStream {
    let span = argument.span;
    let setter = setter_name(argument);
    let value = argument.value;
    quote_spanned!(span=> #handle.#setter(#value))
}

/// `__py38_positional_<n>` (`n` the argument's position) or `__py38_keyword_<name>`.
pub(crate) fn setter_name(argument: &Argument<'_>) -> Ident {
    let span = argument.span;
    match argument.keyword {
        Some(name) => format_ident!("__py38_keyword_{}", name.unraw(), span = span),
        None => format_ident!("__py38_positional_{}", argument.position, span = span),
    }
}

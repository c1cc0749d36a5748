//! The constants that check a call of a free function against its signature at compile time,
//! with Python's messages: for a call through a call handle, and for one the binder refuses.

use proc_macro2::{Span, TokenStream};
use quote::{format_ident, quote, quote_spanned};

use super::args::{arguments, setter_name, shape};
use super::parse::Call;
use crate::paths;

/// The constants that check a call of a free function against its signature (`described`),
/// each argument by a constant of its own, so that every mistake is reported, each on its
/// argument; the constants' names show in the compiler's label ("evaluation of
/// `main::__py38_keyword_g` failed here"), so they say which argument they are about. The last
/// one, `__py38_required_arguments`, checks that nothing is missing, and is reported on
/// `function_span`. Also `value` passed through py38's `Checked` over every constant: when one
/// fails, its type is an error, and the compiler adds nothing of its own about the call.
pub(crate) fn checks(
    call: &Call,
    described: &TokenStream,
    function_span: Span,
    value: &TokenStream,
) -> (TokenStream, TokenStream) {
    let private = paths::signature();
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
        let index = proc_macro2::Literal::usize_unsuffixed(argument.index);
        // Every token on the argument, so that an error covers it and nothing else.
        let at = paths::signature_at(span);
        let computed = quote_spanned! {span=>
            #at::#find(#described, &__PY38_CALL, #index)
        };
        checks.push(quote_spanned!(span=>
            #[allow(non_upper_case_globals)]
            const #name: usize = #computed;
        ));
        names.push(name);
    }
    let span = function_span;
    let at = paths::signature_at(span);
    let complete = quote_spanned! {span=>
        #at::required(#described, &__PY38_CALL)
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

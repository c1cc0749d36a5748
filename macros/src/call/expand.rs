//! `call!(f(10, 20, c = 30))` becomes, in effect, `f(10, 20, 30, <d's default>, ..)`: each
//! argument goes into its slot of `f`'s call handle, in the order written (so arguments are
//! evaluated left to right, as in Python), then the handle calls `f`.
//!
//! Which slot an argument goes to is a constant, computed by `::py38::__private::signature`'s
//! `const fn`s from `f`'s signature and the call's shape. When the call is wrong, that
//! computation panics with Python's message, and the compiler reports it on the argument (the
//! functions are `#[track_caller]`, so the report names no py38 internals).

use proc_macro2::TokenStream;
use quote::{format_ident, quote, quote_spanned};
use syn::ext::IdentExt;
use syn::spanned::Spanned;
use syn::{ExprPath, PathArguments};

use super::parse::Call;

pub(crate) fn expand(call: &Call) -> TokenStream {
    let private = quote!(::py38::__private::signature);
    let (handle, generics) = handle(&call.function);
    let positional = call.positional.len();
    let keywords = call.keywords.iter().map(|k| k.name.unraw().to_string());

    // Each argument's slot is a constant of its own, so that every mistake is reported, each on
    // its argument; the arguments then go into their slots in the order written.
    let mut slots = Vec::new();
    let mut chain = handle.clone();
    let arguments = call
        .positional
        .iter()
        .enumerate()
        .map(|(index, value)| {
            let name = format_ident!("__py38_positional_{}", index + 1, span = value.span());
            (name, "positional", index, value)
        })
        .chain(call.keywords.iter().enumerate().map(|(index, keyword)| {
            let name = format_ident!(
                "__py38_keyword_{}",
                keyword.name.unraw(),
                span = keyword.name.span()
            );
            (name, "keyword", index, &keyword.value)
        }));
    // The constants' names show in the compiler's label ("evaluation of `main::__py38_keyword_g`
    // failed here"), so they say which argument they are about.
    for (slot, check, index, value) in arguments {
        let span = slot.span();
        let find = format_ident!("{}", check, span = span);
        let mut index = proc_macro2::Literal::usize_unsuffixed(index);
        index.set_span(span);
        // Every token on the argument, so that an error covers it and nothing else.
        let computed = quote_spanned! {span=>
            ::py38::__private::signature::#find(__PY38_SIGNATURE, &__PY38_CALL, #index)
        };
        slots.push(quote_spanned!(span=>
            #[allow(non_upper_case_globals)]
            const #slot: usize = #computed;
        ));
        let put = format_ident!("__py38_put", span = span);
        chain = quote_spanned!(span=> #chain.#put::<{ #slot }, _>(#value));
    }
    let span = call.function.span();
    let complete = quote_spanned! {span=>
        ::py38::__private::signature::required(__PY38_SIGNATURE, &__PY38_CALL)
    };
    let finish = format_ident!("__py38_finish", span = span);
    let required = format_ident!("__py38_required_arguments", span = span);
    let positional = proc_macro2::Literal::usize_unsuffixed(positional);
    quote! {
        {
            const __PY38_SIGNATURE: &#private::Signature = #handle.__py38_describe();
            const __PY38_CALL: #private::Call = #private::Call {
                positional: #positional,
                keywords: &[#(#keywords),*],
            };
            #(#slots)*
            #[allow(non_upper_case_globals)]
            const #required: usize = #complete;
            #private::Checked::<{ #required }>::checked(#chain)
                .#finish::<#(#generics),*>(::core::marker::PhantomData)
        }
    }
}

/// The path of the function's call handle, and the generic arguments written on the function.
/// `f` gives `f::__py38_signature` (the empty `enum f` comes along with any import of `f`);
/// `a::b::f` gives `a::b::__py38_signature_f`.
fn handle(function: &ExprPath) -> (TokenStream, Vec<TokenStream>) {
    let mut path = function.path.clone();
    let single = path.segments.len() == 1 && path.leading_colon.is_none();
    let Some(last) = path.segments.last_mut() else {
        return (quote!(#path), Vec::new());
    };
    let generics = match std::mem::replace(&mut last.arguments, PathArguments::None) {
        PathArguments::AngleBracketed(args) => args.args.iter().map(|arg| quote!(#arg)).collect(),
        PathArguments::None | PathArguments::Parenthesized(_) => Vec::new(),
    };
    let handle = if single {
        quote!(#path::__py38_signature)
    } else {
        let name = last.ident.unraw();
        last.ident = format_ident!("__py38_signature_{}", name, span = last.ident.span());
        quote!(#path)
    };
    (handle, generics)
}

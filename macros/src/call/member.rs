//! `call!(point.moved(1, dy = 5))` and `call!(Point::new(1, y = 2))`: a member of a
//! `#[signature]` impl block, reached through its call handle (`point.__py38_signature_moved()`
//! finds it by method resolution, whatever `point`'s type).
//!
//! The receiver's type is not something a constant item can name, so the checks are inline
//! constants whose type the compiler infers from the handle: each `__py38_check` takes one, and
//! the compiler evaluates them when it generates the caller's code. A wrong call fails there
//! with Python's message, on the argument at fault, like a free function's. Until then the
//! call must type-check whatever its mistakes, so a setter the member lacks (an unknown keyword,
//! a positional argument too many) comes from a stand-in trait the expansion declares.

use proc_macro2::{Ident, Span, TokenStream};
use quote::{format_ident, quote, quote_spanned};

use super::args::{arguments, setter, setter_name, shape};
use super::parse::Call;
use crate::paths;

/// How the handle is reached: through a path (`Point::__py38_signature_new()`) or a
/// receiver (`point.__py38_signature_moved()`).
pub(crate) enum Reach {
    Path,
    Receiver,
}

pub(crate) fn expand(
    call: &Call,
    handle: &TokenStream,
    generics: &[TokenStream],
    function_span: Span,
    constructor: &Ident,
    reach: Reach,
) -> TokenStream {
    let private = paths::signature();
    let mut chain = handle.clone();
    let mut stand_ins = Vec::new();
    for argument in arguments(call) {
        let span = argument.span;
        let check = match argument.keyword {
            Some(_) => format_ident!("keyword", span = span),
            None => format_ident!("positional", span = span),
        };
        let mut index = proc_macro2::Literal::usize_unsuffixed(argument.index);
        index.set_span(span);
        let at = paths::signature_at(span);
        let checked = quote_spanned! {span=>
            #chain.__py38_check(const {
                #at::Approved::#check(&__PY38_CALL, #index)
            })
        };
        chain = setter(checked, &argument);
        let name = setter_name(&argument);
        stand_ins.push(quote! {
            #[inline(always)]
            fn #name<__Py38Value>(self, _: __Py38Value) -> Self {
                self
            }
        });
    }
    let at = paths::signature_at(function_span);
    let required = quote_spanned! {function_span=>
        const { #at::Approved::required(&__PY38_CALL) }
    };
    let finish = format_ident!("__py38_finish", span = function_span);
    let shape = shape(call);
    // An associated function without `#[signature]` has no constructor: this one stands in,
    // with an error that says so (a trait's function comes after the type's own, so it is
    // found only when the real one is missing). Not for methods: method resolution would
    // find it before a real constructor reached through auto-deref (`boxed.moved(..)`).
    let missing = matches!(reach, Reach::Path).then(|| {
        let function = constructor
            .to_string()
            .trim_start_matches("__py38_signature_")
            .to_owned();
        let message =
            format!("`{function}` has no `#[signature]`, so `call!` cannot bind its arguments");
        let note = format!(
            "put `#[signature]` on the `impl` block that defines `{function}`, and \
             `#[signature(...)]` on `{function}` itself"
        );
        quote! {
            #[diagnostic::on_unimplemented(message = #message, label = "no `#[signature]`", note = #note)]
            #[allow(non_camel_case_types)]
            trait __py38_no_signature {}
            #[allow(non_camel_case_types, dead_code)]
            trait __py38_stand_in_constructor: ::core::marker::Sized {
                fn #constructor() -> #private::NoSignature
                where
                    Self: __py38_no_signature,
                {
                    #private::NoSignature
                }
            }
            impl<__Py38Handle> __py38_stand_in_constructor for __Py38Handle {}
        }
    });
    quote! {
        {
            #missing
            #[allow(non_camel_case_types, dead_code)]
            trait __py38_stand_in: ::core::marker::Sized {
                #(#stand_ins)*
            }
            impl<__Py38Handle> __py38_stand_in for __Py38Handle {}
            const __PY38_CALL: #private::Call = #shape;
            #chain
                .__py38_check(#required)
                .#finish::<#(#generics),*>(::core::marker::PhantomData)
        }
    }
}

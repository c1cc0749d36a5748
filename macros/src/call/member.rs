//! `call!(point.moved(1, dy = 5))`, `call!(Point::new(1, y = 2))` and
//! `call!(Point::moved(&point, 1, dy = 5))`: a member of a `#[signature]` impl block, reached
//! through its call handle (`point.__py38_method_moved()` finds it by method resolution,
//! whatever `point`'s type; `Point::__py38_signature_moved()` through the type, with the
//! receiver as the first positional argument, as Python's `Point.moved(point, 1, dy=5)`).
//!
//! The receiver's type is not something a constant item can name, so the checks are inline
//! constants whose type the compiler infers from the handle: each `__py38_check` takes one, and
//! the compiler evaluates them when it generates the caller's code. A wrong call fails there
//! with Python's message, on the argument at fault, like a free function's. Until then the
//! call must type-check whatever its mistakes, so a setter the member lacks (an unknown keyword,
//! a positional argument too many) comes from a stand-in trait the expansion declares.

use proc_macro2::{Ident, Span, TokenStream};
use quote::{format_ident, quote, quote_spanned};

use super::args::{arguments, arguments_after_receiver, setter, setter_name, shape};
use super::parse::Call;
use crate::paths;

/// How the handle is reached: through a path (`Point::__py38_signature_new()`), where a
/// method's receiver is the first positional argument, or a receiver
/// (`point.__py38_method_moved()`).
pub(crate) enum Reach {
    Path,
    Receiver,
}

impl Reach {
    /// `Approved::positional` or, through a path, `Approved::positional_through_type`.
    fn check(&self, name: &str, span: Span) -> Ident {
        match self {
            Reach::Receiver => Ident::new(name, span),
            Reach::Path => format_ident!("{}_through_type", name, span = span),
        }
    }
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
    let arguments = match reach {
        Reach::Path => arguments(call),
        Reach::Receiver => arguments_after_receiver(call),
    };
    for argument in arguments {
        let span = argument.span;
        let check = match argument.keyword {
            Some(_) => reach.check("keyword", span),
            None => reach.check("positional", span),
        };
        let index = proc_macro2::Literal::usize_unsuffixed(argument.index);
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
    let required = reach.check("required", function_span);
    let required = quote_spanned! {function_span=>
        const { #at::Approved::#required(&__PY38_CALL) }
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

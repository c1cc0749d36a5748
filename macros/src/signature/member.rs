//! The call handle of a method or associated function `m` of a `#[signature]` impl block for
//! `Type`. It works like a free function's (see `handle`), with two differences:
//!
//! - The handle `__py38_call_Type_m<R, S0, .., Sn>` holds the receiver in field 0 (`&Type` for
//!   `&self`; `PhantomData<fn() -> Type>` for an associated function). It is built by
//!   `__py38_signature_m`, which the impl block gains: `point.__py38_signature_m()` finds the
//!   method's handle through method resolution, as `point.m(..)` finds the method.
//! - `call!` cannot name a receiver's type, so it cannot look the signature up in a constant
//!   item: the handle carries it (`Described`), `__py38_check` takes the inline constants that
//!   check the call against it, and each argument goes in through a setter named after its
//!   position or keyword (`__py38_positional_1`, `__py38_keyword_dy`).

use proc_macro2::{Ident, TokenStream};
use quote::{ToTokens, format_ident, quote};
use syn::Visibility;
use syn::ext::IdentExt;

use super::handle::{Owner, Types, describe, finish, setters};
use super::model::Model;
use crate::paths;

/// What a member adds: `inside` its impl block, and `outside`, next to it.
pub(crate) struct Member {
    pub(crate) inside: TokenStream,
    pub(crate) outside: TokenStream,
}

pub(crate) fn expand(model: &Model<'_>, owner: &Owner<'_>, vis: &Visibility) -> Member {
    let private = paths::signature();
    let name = model.sig.ident.unraw();
    let handle = format_ident!("__py38_call_{}_{}", owner.type_name, name);
    let constructor = format_ident!("__py38_signature_{}", name);
    let slots: Vec<Ident> = (0..model.params.len())
        .map(|i| format_ident!("__Py38Slot{}", i))
        .collect();
    let unset: Vec<TokenStream> = slots.iter().map(|_| quote!(#private::Unset)).collect();
    let types = Types::new(model, Some(owner));
    let self_ty = owner.self_ty;

    // How the impl block builds the handle, and the receiver's type outside of it.
    let (inside, receiver) = match (model.receiver, &types.receiver) {
        (Some(written), Some(receiver)) => {
            let ty = &written.ty;
            let lifetimes = model
                .sig
                .generics
                .lifetimes()
                .filter(|l| types.receiver_lifetimes.contains(&l.lifetime));
            let inside = quote! {
                #[doc(hidden)]
                #[inline(always)]
                #vis fn #constructor<#(#lifetimes),*>(self: #ty) -> #handle<#ty, #(#unset),*> {
                    #handle(self, #(#unset),*)
                }
            };
            (inside, receiver.to_token_stream())
        }
        _ => {
            let inside = quote! {
                #[doc(hidden)]
                #[inline(always)]
                #vis const fn #constructor() -> #handle<
                    ::core::marker::PhantomData<fn() -> Self>,
                    #(#unset),*
                > {
                    #handle(::core::marker::PhantomData, #(#unset),*)
                }
            };
            (
                inside,
                quote!(::core::marker::PhantomData<fn() -> #self_ty>),
            )
        }
    };

    let describe = describe(model, Some(owner));
    let setters = setters(
        model,
        &types,
        Some(owner),
        &handle,
        Some(&receiver),
        &slots,
        vis,
    );
    let finish = finish(model, &types, vis, Some(owner));
    let impl_generics = impl_generics(owner, &types, &slots);
    let where_clause = &owner.generics.where_clause;

    let outside = quote! {
        #[doc(hidden)]
        #[allow(non_camel_case_types)]
        #vis struct #handle<__Py38Self, #(#slots),*>(__Py38Self, #(#slots),*);

        impl<__Py38Self, #(#slots),*> #private::Described for #handle<__Py38Self, #(#slots),*> {
            const SIGNATURE: &'static #private::Signature = #describe;
        }

        impl<__Py38Self, #(#slots),*> #handle<__Py38Self, #(#slots),*> {
            /// Where `call!` checks the call: `approved` is a constant that fails to compile,
            /// with Python's message, when the call is wrong.
            #[doc(hidden)]
            #[inline(always)]
            #vis fn __py38_check(self, approved: #private::Approved<Self>) -> Self {
                let _ = approved;
                self
            }
        }

        impl<#(#impl_generics),*> #handle<#receiver, #(#slots),*> #where_clause {
            #setters
            #finish
        }
    };
    Member { inside, outside }
}

/// The impl block's generics, the lifetimes the receiver adds, and the slots: lifetimes first.
fn impl_generics(owner: &Owner<'_>, types: &Types, slots: &[Ident]) -> Vec<TokenStream> {
    let outer = owner.generics;
    let declared = |l: &syn::Lifetime| outer.lifetimes().any(|o| o.lifetime == *l);
    outer
        .lifetimes()
        .map(ToTokens::to_token_stream)
        .chain(
            types
                .receiver_lifetimes
                .iter()
                .filter(|l| !declared(l) && l.ident != "_")
                .map(ToTokens::to_token_stream),
        )
        .chain(
            outer
                .params
                .iter()
                .filter(|p| !matches!(p, syn::GenericParam::Lifetime(_)))
                .map(ToTokens::to_token_stream),
        )
        .chain(slots.iter().map(ToTokens::to_token_stream))
        .collect()
}

//! The call handle of a method or associated function `m` of a `#[signature]` impl block for
//! `Type`. It works like a free function's (see `expand`), with two differences:
//!
//! - The handle `__py38_call_Type_m<R, S0, .., Sn>` holds the receiver in field 0 (`&Type` for
//!   `&self`; `PhantomData<fn() -> Type>` for an associated function). It is built by
//!   `__py38_signature_m`, which the impl block gains: `point.__py38_signature_m()` finds the
//!   method's handle through method resolution, as `point.m(..)` finds the method.
//! - `call!` cannot name a receiver's type, so it cannot look the signature up in a constant
//!   item: the handle carries it (`Described`), `__py38_check` takes the inline constants that
//!   check the call against it, and each argument goes in through a setter named after its
//!   position or keyword (`__py38_positional_0`, `__py38_keyword_dy`).

use proc_macro2::{Ident, TokenStream};
use quote::{ToTokens, format_ident, quote};
use syn::Visibility;
use syn::ext::IdentExt;

use super::expand::{Owner, Types, describe, finish, private, slot_generics, slot_types};
use super::model::Model;

/// What a member adds: `inside` its impl block, and `outside`, next to it.
pub(crate) struct Member {
    pub(crate) inside: TokenStream,
    pub(crate) outside: TokenStream,
}

pub(crate) fn expand(model: &Model<'_>, owner: &Owner<'_>, vis: &Visibility) -> Member {
    let private = private();
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
    let setters = setters(model, &types, owner, &handle, &receiver, &slots, vis);
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

/// One setter per way into a slot: `__py38_positional_<i>` for each parameter that may be
/// passed by position, `__py38_keyword_<name>` for each that may be passed by keyword. A call
/// that uses a way the member lacks gets `call!`'s stand-in, and the check's error.
fn setters(
    model: &Model<'_>,
    types: &Types,
    owner: &Owner<'_>,
    handle: &Ident,
    receiver: &TokenStream,
    slots: &[Ident],
    vis: &Visibility,
) -> TokenStream {
    let private = private();
    let mut out = TokenStream::new();
    for (i, param) in model.params.iter().enumerate() {
        let ty = &types.params[i];
        let (params, predicates) = slot_generics(model, types, i);
        let predicates = predicates.iter().map(|p| owner.spell(p.to_token_stream()));
        let after = slot_types(slots, i, quote!(#private::Given<#ty>));
        let moved = (0..slots.len()).map(|j| {
            if j == i {
                quote!(#private::Given(value))
            } else {
                let field = syn::Index::from(j + 1);
                quote!(self.#field)
            }
        });
        let body = quote! {
            <#(#params),*>(self, value: #ty) -> #handle<#receiver, #(#after),*>
            where #(#predicates,)*
            {
                #handle(self.0, #(#moved),*)
            }
        };
        let mut names = Vec::new();
        if i < model.positional {
            names.push(format_ident!("__py38_positional_{}", i));
        }
        if i >= model.positional_only {
            names.push(format_ident!("__py38_keyword_{}", param.ident.unraw()));
        }
        for name in names {
            out.extend(quote! {
                #[doc(hidden)]
                #[inline(always)]
                #vis fn #name #body
            });
        }
    }
    out
}

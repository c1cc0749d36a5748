//! The call handle of a method or associated function `m` of a `#[signature]` impl block for
//! `Type`. It works like a free function's (see `handle`), with these differences:
//!
//! - The handle `__py38_call_Type_m<R, S0, .., Sn>` holds the receiver in field 0 (`&Type` for
//!   `&self`; `PhantomData<fn() -> Type>` for an associated function).
//! - The impl block gains `__py38_signature_m()`, which `call!(Type::m(..))` starts from. For a
//!   method it leaves a `PhantomData` of the type where the receiver goes: called through its type, a method takes its
//!   receiver as the first positional argument (`Point::moved(&p, 1)`), through the setter
//!   `__py38_positional_1`. A method also gains `__py38_method_m(self)`, which
//!   `call!(point.m(..))` starts from: method resolution finds it as it finds `m` itself.
//! - Positional setters are numbered as Python counts positions, the receiver first: a
//!   method's first parameter after the receiver is `__py38_positional_2`.
//! - `call!` cannot name a receiver's type, so it cannot look the signature up in a constant
//!   item: the handle carries it (`Described`; a method's `THROUGH_TYPE` lists the receiver
//!   as a parameter `self`), `__py38_check` takes the inline constants that check the call
//!   against it, and each argument goes in through a setter named after its position or
//!   keyword (`__py38_positional_1`, `__py38_keyword_dy`).

use proc_macro2::{Ident, TokenStream};
use quote::{ToTokens, format_ident, quote};
use syn::Visibility;
use syn::ext::IdentExt;

use super::handle::{
    Owner, Types, describe, describe_through_type, finish, finish_without_receiver, setters,
};
use super::model::Model;
use crate::paths;

/// What a member adds: `inside` its impl block, and `outside`, next to it.
pub(crate) struct Member {
    pub(crate) inside: TokenStream,
    pub(crate) outside: TokenStream,
}

pub(crate) fn expand(model: &Model<'_>, owner: &Owner<'_>, vis: &Visibility) -> Member {
    let names = Names::new(model, owner);
    let types = Types::new(model, Some(owner));
    let (inside, receiver) = constructors(model, owner, &types, &names, vis);
    let mut outside = handle_type(model, owner, &names, vis);
    if let Some(receiver) = &types.receiver {
        let finish = finish_without_receiver(model, &types, vis, owner);
        outside.extend(receiver_setter(
            owner, &types, &names, receiver, vis, finish,
        ));
    }
    let setters = setters(
        model,
        &types,
        Some(owner),
        &names.handle,
        Some(&receiver),
        &names.slots,
        vis,
    );
    let finish = finish(model, &types, vis, Some(owner));
    let impl_generics = impl_generics(owner, &types, &names.slots);
    let (handle, slots) = (&names.handle, &names.slots);
    let where_clause = &owner.generics.where_clause;
    outside.extend(quote! {
        impl<#(#impl_generics),*> #handle<#receiver, #(#slots),*> #where_clause {
            #setters
            #finish
        }
    });
    Member { inside, outside }
}

/// The names a member's items share.
struct Names {
    /// `__py38_call_Type_m`.
    handle: Ident,
    /// `__Py38Slot0` and so on, one per parameter.
    slots: Vec<Ident>,
    /// `Unset` for each slot.
    unset: Vec<TokenStream>,
}

impl Names {
    fn new(model: &Model<'_>, owner: &Owner<'_>) -> Self {
        let private = paths::signature();
        let name = model.sig.ident.unraw();
        let slots: Vec<Ident> = (0..model.params.len())
            .map(|i| format_ident!("__Py38Slot{}", i))
            .collect();
        Names {
            handle: format_ident!("__py38_call_{}_{}", owner.type_name, name),
            unset: slots.iter().map(|_| quote!(#private::Unset)).collect(),
            slots,
        }
    }
}

/// What the impl block gains to build the handle (`__py38_signature_m`, and for a method
/// `__py38_method_m`), and the type of the receiver the setters' impl takes.
fn constructors(
    model: &Model<'_>,
    owner: &Owner<'_>,
    types: &Types,
    names: &Names,
    vis: &Visibility,
) -> (TokenStream, TokenStream) {
    let name = model.sig.ident.unraw();
    let through_type = format_ident!("__py38_signature_{}", name);
    let (handle, unset) = (&names.handle, &names.unset);
    let (Some(written), Some(receiver)) = (model.receiver, &types.receiver) else {
        let self_ty = owner.self_ty;
        let inside = quote! {
            #[doc(hidden)]
            #[inline(always)]
            #vis const fn #through_type() -> #handle<
                ::core::marker::PhantomData<fn() -> Self>,
                #(#unset),*
            > {
                #handle(::core::marker::PhantomData, #(#unset),*)
            }
        };
        return (
            inside,
            quote!(::core::marker::PhantomData<fn() -> #self_ty>),
        );
    };
    let method = format_ident!("__py38_method_{}", name);
    let ty = &written.ty;
    let lifetimes = model
        .sig
        .generics
        .lifetimes()
        .filter(|l| types.receiver_lifetimes.contains(&l.lifetime));
    let inside = quote! {
        #[doc(hidden)]
        #[inline(always)]
        #vis const fn #through_type() -> #handle<
            ::core::marker::PhantomData<fn() -> Self>,
            #(#unset),*
        > {
            #handle(::core::marker::PhantomData, #(#unset),*)
        }
        #[doc(hidden)]
        #[inline(always)]
        #vis fn #method<#(#lifetimes),*>(self: #ty) -> #handle<#ty, #(#unset),*> {
            #handle(self, #(#unset),*)
        }
    };
    (inside, receiver.to_token_stream())
}

/// The handle's type, its signature as data, and `__py38_check`, for any receiver and slots.
fn handle_type(
    model: &Model<'_>,
    owner: &Owner<'_>,
    names: &Names,
    vis: &Visibility,
) -> TokenStream {
    let private = paths::signature();
    let (handle, slots) = (&names.handle, &names.slots);
    let describe = describe(model, Some(owner));
    let through_type = model.receiver.is_some().then(|| {
        let described = describe_through_type(model, owner);
        quote!(const THROUGH_TYPE: &'static #private::Signature = #described;)
    });
    quote! {
        #[doc(hidden)]
        #[allow(non_camel_case_types)]
        #vis struct #handle<__Py38Self, #(#slots),*>(__Py38Self, #(#slots),*);

        impl<__Py38Self, #(#slots),*> #private::Described for #handle<__Py38Self, #(#slots),*> {
            const SIGNATURE: &'static #private::Signature = #describe;
            #through_type
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
    }
}

/// `__py38_positional_1` of a method called through its type: the receiver, into field 0,
/// beside the `finish` of a call that leaves it out;
/// where the constructor left a `PhantomData` of the type (which ties the impl block's
/// generics to the receiver's, as `Labels::push(&mut labels, ..)` does).
fn receiver_setter(
    owner: &Owner<'_>,
    types: &Types,
    names: &Names,
    receiver: &syn::Type,
    vis: &Visibility,
    finish: TokenStream,
) -> TokenStream {
    let (handle, slots) = (&names.handle, &names.slots);
    let impl_generics = owner
        .generics
        .params
        .iter()
        .map(ToTokens::to_token_stream)
        .chain(slots.iter().map(ToTokens::to_token_stream));
    let lifetimes = receiver_lifetimes(owner, types);
    let self_ty = owner.self_ty;
    let where_clause = &owner.generics.where_clause;
    let fields = (1..=slots.len()).map(syn::Index::from);
    quote! {
        impl<#(#impl_generics),*> #handle<::core::marker::PhantomData<fn() -> #self_ty>, #(#slots),*>
        #where_clause
        {
            #[doc(hidden)]
            #[inline(always)]
            #vis fn __py38_positional_1<#(#lifetimes),*>(
                self,
                value: #receiver,
            ) -> #handle<#receiver, #(#slots),*> {
                #handle(value, #(self.#fields),*)
            }
            #finish
        }
    }
}

/// The lifetimes the receiver type names that the impl block does not declare.
fn receiver_lifetimes(owner: &Owner<'_>, types: &Types) -> Vec<TokenStream> {
    let declared = |l: &syn::Lifetime| owner.generics.lifetimes().any(|o| o.lifetime == *l);
    types
        .receiver_lifetimes
        .iter()
        .filter(|l| !declared(l) && l.ident != "_")
        .map(ToTokens::to_token_stream)
        .collect()
}

/// The impl block's generics, the lifetimes the receiver adds, and the slots: lifetimes first.
fn impl_generics(owner: &Owner<'_>, types: &Types, slots: &[Ident]) -> Vec<TokenStream> {
    let outer = owner.generics;
    outer
        .lifetimes()
        .map(ToTokens::to_token_stream)
        .chain(receiver_lifetimes(owner, types))
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

//! What the in-memory cache needs of a generic function: a type that tells its
//! instantiations apart, and the bounds that let a `static` cache hold their values.

use proc_macro2::{Span, TokenStream};
use quote::{ToTokens, quote};
use syn::{Generics, Ident, Type};

use crate::paths;

/// A type that tells this instantiation of a generic function from the others (`()` for a
/// function that is not generic): instantiations that differ only in arguments the key and
/// the result do not show must not share a cache. The same type where the function and
/// its controls name it, so both find the same store.
pub(crate) fn instance(generics: &Generics, generic_owner: bool) -> TokenStream {
    let private = paths::private();
    let owner = generic_owner.then(|| quote!(::core::marker::PhantomData<fn() -> *const Self>,));
    let types = generics.type_params().map(|p| {
        let t = &p.ident;
        quote!(::core::marker::PhantomData<fn() -> *const #t>)
    });
    let consts = generics.const_params().map(|c| {
        let ident = &c.ident;
        let tag = Ident::new(const_tag(&c.ty), Span::call_site());
        quote!(#private::consts::#tag<#ident>)
    });
    quote!((#owner #(#types,)* #(#consts,)*))
}

/// The runtime's type that carries a const parameter of type `ty` (`usize` for the rest).
fn const_tag(ty: &Type) -> &'static str {
    match ty.to_token_stream().to_string().as_str() {
        "u8" => "U8",
        "u16" => "U16",
        "u32" => "U32",
        "u64" => "U64",
        "u128" => "U128",
        "i8" => "I8",
        "i16" => "I16",
        "i32" => "I32",
        "i64" => "I64",
        "i128" => "I128",
        "isize" => "Isize",
        "bool" => "Bool",
        "char" => "Char",
        _ => "Usize",
    }
}

/// Adds `Send + Sync + 'static` to each type parameter: the cache outlives every call and is
/// shared by all threads. The bounds join the parameter's existing `where` predicate if it has
/// one, else its inline bounds, so that clippy's `multiple_bound_locations` stays quiet.
pub(crate) fn add_thread_bounds(generics: &mut Generics) {
    if generics.type_params().next().is_none() {
        return; // nothing to bound (and the bounds' parse is the most of this, unoptimized)
    }
    let bounds: syn::punctuated::Punctuated<syn::TypeParamBound, syn::Token![+]> =
        syn::parse_quote!(::core::marker::Send + ::core::marker::Sync + 'static);
    let predicates = generics.where_clause.as_mut().map(|w| &mut w.predicates);
    let mut in_where = Vec::new();
    if let Some(predicates) = predicates {
        for predicate in predicates.iter_mut() {
            if let syn::WherePredicate::Type(predicate) = predicate
                && let Type::Path(path) = &predicate.bounded_ty
                && path.qself.is_none()
                && let Some(ident) = path.path.get_ident()
                && !in_where.contains(ident)
            {
                in_where.push(ident.clone());
                predicate.bounds.extend(bounds.iter().cloned());
            }
        }
    }
    for param in generics.type_params_mut() {
        if !in_where.contains(&param.ident) {
            if param.colon_token.is_none() {
                param.colon_token = Some(syn::Token![:](Span::call_site()));
            }
            param.bounds.extend(bounds.iter().cloned());
        }
    }
}

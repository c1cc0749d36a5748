//! `#[track_caller]` through `#[memoize]`: a synchronous `#[track_caller]` function's body
//! moves into a `#[track_caller]` function of its own, called directly on a miss. The usual
//! closure would break the chain (closures cannot be `#[track_caller]` on stable), and a
//! block would break `return` and `?` in the body.
//!
//! ```text
//! #[memoize] #[track_caller] fn f(n: u64) -> u64 { BODY }
//! ```
//! becomes
//! ```text
//! #[track_caller] fn f(n: u64) -> u64 {
//!     #[track_caller] #[inline] fn __py38_body(n: u64) -> u64 { BODY }
//!     match lookup { Hit(value) => value, Miss(pending) => pending.finish(__py38_body(n)) }
//! }
//! ```
//! In an `impl`, the body cannot be a nested function (it may use `self` and `Self`): it is
//! a hidden associated function `__py38_f_body` beside the method, called as
//! `Self::__py38_f_body(self, n)`. With a `store`, the body's function is called between the
//! store's `lookup` and `finish` (see `persist.rs`).

use proc_macro2::{Span, TokenStream};
use quote::{format_ident, quote};
use syn::Ident;

use super::model::Function;

/// The body as a function of its own, and how the memoized function calls it.
pub(crate) struct Body {
    /// The function: nested first in the memoized function's block, or (in an `impl`) an
    /// item beside it.
    pub(crate) item: TokenStream,
    /// `__py38_body::<T>(a, b)`: the call, passing each argument on by value, in order.
    pub(crate) call: TokenStream,
}

/// `Some` for a synchronous `#[track_caller]` function; every other form keeps the closure.
pub(crate) fn body(function: &Function<'_>) -> Option<Body> {
    let item = function.item;
    let tracked = item
        .attrs
        .iter()
        .any(|attr| attr.path().is_ident("track_caller"));
    if !tracked || item.sig.asyncness.is_some() {
        return None;
    }
    let name = if function.in_impl {
        format_ident!("__py38_{}_body", item.sig.ident)
    } else {
        Ident::new("__py38_body", Span::mixed_site())
    };
    let mut sig = item.sig.clone();
    sig.ident = name.clone();
    // The lints the user set on the function cover its body here too; an `expect` becomes an
    // `allow`, since the memoized function keeps it and one of the two may not fulfil it.
    let lints = item.attrs.iter().filter_map(|attr| {
        let path = attr.path();
        if path.is_ident("expect") {
            let syn::Meta::List(list) = &attr.meta else {
                return None;
            };
            let tokens = &list.tokens;
            Some(quote!(#[allow(#tokens)]))
        } else if ["allow", "warn", "deny", "forbid", "cfg"]
            .iter()
            .any(|lint| path.is_ident(lint))
        {
            Some(quote!(#attr))
        } else {
            None
        }
    });
    let hidden = function.in_impl.then(|| quote!(#[doc(hidden)]));
    let block = &item.block;
    let item_tokens = quote! {
        #hidden
        #(#lints)*
        #[track_caller]
        #[inline]
        #sig #block
    };
    let params: Vec<TokenStream> = item
        .sig
        .generics
        .type_params()
        .map(|p| {
            let ident = &p.ident;
            quote!(#ident)
        })
        .chain(item.sig.generics.const_params().map(|c| {
            let ident = &c.ident;
            quote!(#ident)
        }))
        .collect();
    let turbofish = (!params.is_empty()).then(|| quote!(::<#(#params),*>));
    let args = function.key.iter().map(|part| &part.name);
    let path = if function.in_impl {
        quote!(Self::#name)
    } else {
        quote!(#name)
    };
    Some(Body {
        item: item_tokens,
        call: quote!(#path #turbofish (#(#args),*)),
    })
}

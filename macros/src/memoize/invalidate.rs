//! `cache_invalidate`: the memoized function's own parameters, removing the result stored
//! for those arguments.
//!
//! ```text
//! #[memoize] fn area(w: &str, h: u32) -> u32 { .. }
//! ```
//! adds, beside `area::cache_info()`,
//! ```text
//! fn cache_invalidate(w: &str, h: u32) -> bool { Self::__py38_cache().invalidate((arg(w).borrowed(), arg(&h).owned())) }
//! ```
//! and in an `impl`, `fn area_cache_invalidate(&self, ...) -> bool` beside the method.

use proc_macro2::TokenStream;
use quote::{format_ident, quote};
use syn::Signature;

/// The control, with visibility `vis`; `registry` is the path to the function's registry
/// where the control stands.
pub(crate) fn invalidate(
    sig: &Signature,
    generic_owner: bool,
    in_impl: bool,
    vis: &TokenStream,
    registry: &TokenStream,
    key_parts: &[TokenStream],
) -> TokenStream {
    let name = if in_impl {
        format_ident!("{}_cache_invalidate", sig.ident)
    } else {
        format_ident!("cache_invalidate")
    };
    let inputs = sig.inputs.iter().cloned().map(|mut input| {
        // Bindings are only read here: `mut` would draw an `unused_mut` warning.
        crate::syntax::drop_mut_binding(&mut input);
        input
    });
    let (generics, _, where_clause) = sig.generics.split_for_impl();
    let instance = super::expand::instance(&sig.generics, generic_owner);
    let doc = format!(
        " Removes the result `{}` stored for these arguments; `true` if there was one.",
        sig.ident
    );
    quote! {
        #[doc = #doc]
        #[allow(dead_code)]
        #vis fn #name #generics (#(#inputs),*) -> bool #where_clause {
            #registry.invalidate::<_, #instance>((#(#key_parts,)*))
        }
    }
}

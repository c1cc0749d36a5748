//! The empty `enum f {}` that both `#[memoize]` and `#[signature]` hang items of a free
//! function `f` on (`f::cache_info()`, `f::__py38_described`). Importing `f` imports it too.
//!
//! Only one of the two attributes may declare it. The rule: the one that expands last, which
//! is the one that finds the other no longer on the function. Each attribute expands with the
//! attributes after it still in place, so the first to expand sees the other and leaves the
//! declaration to it.

use proc_macro2::TokenStream;
use quote::quote;
use syn::{Attribute, Ident, Visibility};

use crate::attrs::has_attribute;

/// The attribute expanding now.
#[derive(Clone, Copy)]
pub(crate) enum Declarer {
    Memoize,
    Signature,
}

impl Declarer {
    fn other(self) -> &'static str {
        match self {
            Declarer::Memoize => "signature",
            Declarer::Signature => "memoize",
        }
    }
}

/// `enum f {}` if `declarer` is the one to declare it for a function with `attrs` (the
/// function's remaining attributes), with `doc` for its docs (`None`: hidden).
pub(crate) fn declare(
    declarer: Declarer,
    attrs: &[Attribute],
    vis: &Visibility,
    name: &Ident,
    doc: Option<&str>,
) -> Option<TokenStream> {
    if has_attribute(attrs, declarer.other()) {
        return None;
    }
    // The attributes hold no token of the user's: lexed from text (see `text.rs`).
    let doc = match doc {
        Some(doc) => crate::text::doc_attribute(doc),
        None => "#[doc(hidden)]".to_owned(),
    };
    // Clippy's lint only under Clippy (which sets `cfg(clippy)`): an `allow` of a tool's lint
    // costs the compiler on every build (see `uncached.rs`).
    let attributes = crate::text::tokens(&format!(
        "{doc} #[allow(non_camel_case_types)] #[cfg_attr(clippy, allow(clippy::empty_enum))]"
    ));
    Some(quote! {
        #attributes
        #vis enum #name {}
    })
}

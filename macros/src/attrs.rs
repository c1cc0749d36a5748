//! Attributes the macros look for: the other macro's attribute on the same item, and the
//! marker attribute on each method of an `impl` block (`#[memoize(..)]`, `#[signature(..)]`).

use proc_macro2::TokenStream;
use syn::{Attribute, ImplItem, ItemImpl, Meta, MetaNameValue};

/// Whether an attribute whose path ends in `name` (`memoize`, `py38::memoize`) is present.
pub(crate) fn has_attribute(attrs: &[Attribute], name: &str) -> bool {
    attrs.iter().any(|attr| is_attribute(attr, name))
}

/// Whether `attr`'s path ends in `name`: `#[signature(..)]`, `#[py38::signature(..)]`.
pub(crate) fn is_attribute(attr: &Attribute, name: &str) -> bool {
    attr.path().segments.last().is_some_and(|s| s.ident == name)
}

/// Takes a method's marker attribute `name` off, and gives what it held: `Ok` with the tokens
/// in its parentheses (none for a bare `#[name]`), or `Err` with a `#[name = ..]`, which the
/// caller reports in its own words. `None` when the method has no marker.
pub(crate) fn take_marker(
    attrs: &mut Vec<Attribute>,
    name: &str,
) -> Option<Result<TokenStream, MetaNameValue>> {
    let at = attrs.iter().position(|attr| is_attribute(attr, name))?;
    Some(match attrs.remove(at).meta {
        Meta::Path(_) => Ok(TokenStream::new()),
        Meta::List(list) => Ok(list.tokens),
        Meta::NameValue(name_value) => Err(name_value),
    })
}

/// Takes every method's marker attribute `name` off, for the stand-in of a block already
/// reported as a whole: the methods then raise no errors of their own.
pub(crate) fn strip_markers(block: &mut ItemImpl, name: &str) {
    for item in &mut block.items {
        if let ImplItem::Fn(method) = item {
            method.attrs.retain(|attr| !is_attribute(attr, name));
        }
    }
}

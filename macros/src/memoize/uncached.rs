//! The user's body as a function of its own, with the function's own signature: `f::uncached`
//! (a method's `Self::name_uncached`), which runs the body without the cache, as Python's
//! `f.__wrapped__`. The memoized function calls it on a miss.
//!
//! ```text
//! #[memoize] fn fib(n: u64) -> u64 { BODY }
//! ```
//! gives, beside the memoized `fib`,
//! ```text
//! impl fib { fn uncached(n: u64) -> u64 { BODY } }
//! ```
//! A real function, not a closure or an `async` block: the body is checked against the
//! return type exactly as it is without `#[memoize]` (coercions in `return`, `?` with `From`,
//! `impl Trait` in `let`), and `#[track_caller]` reaches it (closures cannot be
//! `#[track_caller]` on stable).

use proc_macro2::TokenStream;
use quote::{format_ident, quote};
use syn::{Attribute, Ident};

use super::model::Function;
use crate::text;

/// The body's function, and how the memoized function calls it.
pub(crate) struct Uncached {
    /// The function: an item of the `impl f { .. }` of a free function's controls, or of the
    /// `impl` beside a method.
    pub(crate) item: TokenStream,
    /// `f::uncached::<T>(a, b)`: the call, passing each argument on by value, in order.
    pub(crate) call: TokenStream,
}

/// `uncached` for a free function, `name_uncached` for a method.
pub(crate) fn name(in_impl: bool, function: &Ident) -> Ident {
    if in_impl {
        format_ident!("{}_uncached", function)
    } else {
        format_ident!("uncached")
    }
}

pub(crate) fn uncached(function: &Function<'_>) -> Uncached {
    let item = function.item;
    let name = name(function.in_impl, &item.sig.ident);
    let mut sig = item.sig.clone();
    sig.ident = name.clone();
    let lints = item.attrs.iter().filter_map(carried_over);
    // The user's docs follow, a paragraph apart: their `# Errors` and `# Panics` hold here too.
    let docs = item.attrs.iter().filter(|attr| attr.path().is_ident("doc"));
    let gap = if item.attrs.iter().any(|attr| attr.path().is_ident("doc")) {
        "#[doc = \"\"]"
    } else {
        ""
    };
    // The generated doc line (and the gap after it): lexed from text (see `text.rs`).
    let doc = text::tokens(&format!("{} {gap}", text::doc_attribute(&doc(function))));
    // Lints the body's function trips where the user's function does not: a body without
    // `.await` (the memoized function awaits the cache), a pure body (`must_use`). Clippy's,
    // so allowed only under Clippy (which sets `cfg(clippy)`): the compiler reads an `allow`
    // of a tool's lint on every build. This one and the controls' `enum`'s (`namespace.rs`)
    // cost an incremental rebuild of 100 hand-expanded definitions 14 M instructions of 438 M.
    let allow = text::tokens(
        "#[cfg_attr(clippy, allow(clippy::must_use_candidate, clippy::unused_async))]",
    );
    let vis = &item.vis;
    let block = &item.block;
    let item_tokens = quote! {
        #doc
        #(#docs)*
        #(#lints)*
        #allow
        #vis #sig #block
    };
    let generics = &item.sig.generics;
    let params: Vec<&Ident> = generics
        .type_params()
        .map(|p| &p.ident)
        .chain(generics.const_params().map(|c| &c.ident))
        .collect();
    let turbofish = (!params.is_empty()).then(|| quote!(::<#(#params),*>));
    let args = function.params.iter();
    let path = if function.in_impl {
        quote!(Self::#name)
    } else {
        let owner = &item.sig.ident;
        quote!(#owner::#name)
    };
    Uncached {
        item: item_tokens,
        call: quote!(#path #turbofish (#(#args),*)),
    }
}

/// The attributes that hold for the body too: lints, `cfg`, `#[track_caller]`, `#[must_use]`.
/// An `expect`
/// becomes an `allow`, since the memoized function keeps it and one of the two may not
/// fulfil it.
fn carried_over(attr: &Attribute) -> Option<TokenStream> {
    let path = attr.path();
    if path.is_ident("expect") {
        let syn::Meta::List(list) = &attr.meta else {
            return None;
        };
        let tokens = &list.tokens;
        return Some(quote!(#[allow(#tokens)]));
    }
    [
        "allow",
        "warn",
        "deny",
        "forbid",
        "cfg",
        "track_caller",
        "must_use",
    ]
    .iter()
    .any(|name| path.is_ident(name))
    .then(|| quote!(#attr))
}

fn doc(function: &Function<'_>) -> String {
    let name = &function.item.sig.ident;
    format!(
        " Runs the body of `{name}` without its cache: neither reads nor writes it (Python's \
         `{name}.__wrapped__`)."
    )
}

//! Helpers on Rust syntax that more than one macro needs.

use proc_macro2::{Ident, Span, TokenStream, TokenTree};
use quote::ToTokens;
use syn::{FnArg, GenericParam, Pat, Signature};

/// Whether `Self` appears anywhere in `tokens`.
pub(crate) fn mentions_self(tokens: TokenStream) -> bool {
    find_self(tokens).is_some()
}

/// The first `Self` in `tokens`, at any depth.
pub(crate) fn find_self(tokens: TokenStream) -> Option<Ident> {
    tokens.into_iter().find_map(|tree| match tree {
        TokenTree::Ident(ident) if ident == "Self" => Some(ident),
        TokenTree::Group(group) => find_self(group.stream()),
        _ => None,
    })
}

/// Whether a function's signature (its parameters, result and generics) names `Self`, which
/// only a function in an `impl` block or a trait can.
pub(crate) fn signature_mentions_self(sig: &Signature) -> bool {
    let mut tokens = TokenStream::new();
    sig.inputs.to_tokens(&mut tokens);
    sig.output.to_tokens(&mut tokens);
    sig.generics.to_tokens(&mut tokens);
    mentions_self(tokens)
}

/// The same tokens, reported at `at` (their meaning, which follows the original span's
/// hygiene, is unchanged): errors about one argument then share one span and are not repeated.
pub(crate) fn respan(tokens: &TokenStream, at: Span) -> TokenStream {
    tokens
        .clone()
        .into_iter()
        .map(|mut tree| {
            tree.set_span(tree.span().located_at(at));
            tree
        })
        .collect()
}

/// Takes `mut` off every parameter's binding, for a function that only passes them on.
pub(crate) fn drop_mut(sig: &mut Signature) {
    sig.inputs.iter_mut().for_each(drop_mut_binding);
}

/// Takes `mut` off a parameter's binding (`mut x: T`, `mut self`), for code that only reads it.
pub(crate) fn drop_mut_binding(input: &mut FnArg) {
    match input {
        FnArg::Receiver(receiver) if receiver.reference.is_none() => {
            receiver.mutability = None;
        }
        FnArg::Typed(typed) => {
            if let Pat::Ident(ident) = &mut *typed.pat {
                ident.mutability = None;
            }
        }
        FnArg::Receiver(_) => {}
    }
}

/// A generic parameter's name: `T`, `N`, or `a` for `'a`.
pub(crate) fn generic_name(param: &GenericParam) -> String {
    match param {
        GenericParam::Lifetime(l) => l.lifetime.ident.to_string(),
        GenericParam::Type(t) => t.ident.to_string(),
        GenericParam::Const(c) => c.ident.to_string(),
    }
}

/// Every identifier and lifetime name in `tokens`: a superset of the generic parameters they
/// mention, which is what callers compare against.
pub(crate) fn names_in(tokens: TokenStream) -> Vec<String> {
    let mut found = Vec::new();
    collect_names(tokens, &mut found);
    found
}

fn collect_names(tokens: TokenStream, found: &mut Vec<String>) {
    for tree in tokens {
        match tree {
            TokenTree::Ident(ident) => found.push(ident.to_string()),
            TokenTree::Group(group) => collect_names(group.stream(), found),
            TokenTree::Punct(_) | TokenTree::Literal(_) => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use quote::quote;

    use super::*;

    #[test]
    fn self_is_found_at_any_depth() {
        assert!(mentions_self(quote!(fn f(x: Vec<Option<Self>>))));
        assert!(!mentions_self(quote!(fn f(x: Vec<Option<Selfish>>))));
    }

    #[test]
    fn mut_comes_off_owned_bindings_only() {
        let mut sig: Signature = syn::parse_quote!(fn f(mut self, mut a: u8, b: &mut u8));
        drop_mut(&mut sig);
        assert_eq!(
            sig.to_token_stream().to_string(),
            quote!(fn f(self, a: u8, b: &mut u8)).to_string()
        );
    }

    #[test]
    fn names_include_lifetimes_and_nested_paths() {
        let names = names_in(quote!(&'a Vec<T::Item>));
        assert_eq!(names, ["a", "Vec", "T", "Item"]);
    }
}

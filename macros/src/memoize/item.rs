//! The item `#[memoize]` is on, read with as little parsing as the expansion needs.
//!
//! The expansion reads a function's attributes, visibility and signature, and only moves its
//! body (into `f::uncached`). So a function's body is kept as the tokens it came as, one
//! verbatim statement in its braces, rather than parsed into syn's statements and printed back:
//! the macro runs unoptimized in a debug build, once per definition at every rebuild, and the
//! body is most of the input. A body that starts with inner attributes (`#![..]`, which syn
//! moves onto the function), an `impl` block, and anything else, are parsed in full as before,
//! so that what is expanded and how errors read does not change.

use proc_macro2::{Delimiter, TokenStream, TokenTree};
use syn::parse::{ParseStream, Parser};
use syn::token::Brace;
use syn::{Attribute, Block, Item, ItemFn, Signature, Stmt, Visibility};

use super::plain_signature;

/// The item: a function with its body as tokens where that is enough, else syn's parse.
pub(crate) fn parse(tokens: TokenStream) -> syn::Result<Item> {
    match function_with_verbatim_body.parse2(tokens.clone()) {
        Ok(Some(item)) => Ok(Item::Fn(item)),
        Ok(None) | Err(_) => syn::parse2(tokens),
    }
}

/// `attrs vis sig { body }`, the body unparsed; `None` if the body has inner attributes.
fn function_with_verbatim_body(input: ParseStream<'_>) -> syn::Result<Option<ItemFn>> {
    let attrs = input.call(Attribute::parse_outer)?;
    let vis: Visibility = input.parse()?;
    // The common shape without syn's parser (see `plain_signature.rs`), else syn's.
    let sig = match input
        .step(|cursor| plain_signature::parse(*cursor).ok_or_else(|| cursor.error("")))
    {
        Ok(sig) => sig,
        Err(_) => input.parse::<Signature>()?,
    };
    let body = input.step(|cursor| match cursor.token_tree() {
        Some((TokenTree::Group(group), rest)) if group.delimiter() == Delimiter::Brace => {
            Ok((group, rest))
        }
        _ => Err(cursor.error("expected the function's body")),
    })?;
    if starts_with_inner_attribute(body.stream()) {
        return Ok(None);
    }
    let block = Block {
        brace_token: Brace {
            span: body.delim_span(),
        },
        stmts: vec![Stmt::Item(Item::Verbatim(body.stream()))],
    };
    Ok(Some(ItemFn {
        attrs,
        vis,
        sig,
        block: Box::new(block),
    }))
}

/// `#!`: the body opens with an inner attribute.
fn starts_with_inner_attribute(body: TokenStream) -> bool {
    let mut trees = body.into_iter();
    matches!(
        (trees.next(), trees.next()),
        (Some(TokenTree::Punct(hash)), Some(TokenTree::Punct(bang)))
            if hash.as_char() == '#' && bang.as_char() == '!'
    )
}

#[cfg(test)]
mod tests {
    use quote::{ToTokens, quote};

    use super::*;

    fn function(tokens: TokenStream) -> ItemFn {
        match parse(tokens).unwrap() {
            Item::Fn(item) => item,
            other => panic!("not a function: {}", other.to_token_stream()),
        }
    }

    #[test]
    fn a_function_prints_back_as_it_was_written() {
        let written = quote! {
            /// Docs.
            #[inline]
            pub(crate) async fn f<T: Clone>(n: u64, t: &T) -> Option<T> where T: Send {
                let x = n + 1;
                if x > 2 { return None; }
                Some(t.clone())
            }
        };
        let item = function(written.clone());
        assert_eq!(item.to_token_stream().to_string(), written.to_string());
        assert_eq!(item.sig.ident, "f");
        assert_eq!(item.attrs.len(), 2);
        assert_eq!(item.sig.inputs.len(), 2);
    }

    #[test]
    fn a_body_is_kept_as_tokens() {
        let item = function(quote!(
            fn f() -> u64 {
                1 + 2
            }
        ));
        assert!(matches!(
            &item.block.stmts[..],
            [Stmt::Item(Item::Verbatim(_))]
        ));
    }

    #[test]
    fn a_body_with_inner_attributes_is_parsed_as_syn_parses_it() {
        let written = quote!(
            fn f() -> u64 {
                #![allow(unused)]
                1
            }
        );
        let item = function(written.clone());
        let Item::Fn(parsed) = syn::parse2::<Item>(written).unwrap() else {
            unreachable!()
        };
        assert_eq!(item, parsed);
        assert_eq!(
            item.attrs.len(),
            1,
            "syn moves an inner attribute onto the function"
        );
    }

    #[test]
    fn other_items_are_parsed_as_syn_parses_them() {
        let block = quote!(impl S { fn f(&self) -> u64 { 1 } });
        assert!(matches!(parse(block), Ok(Item::Impl(_))));
        assert!(matches!(
            parse(quote!(
                struct S;
            )),
            Ok(Item::Struct(_))
        ));
        let declaration = quote!(
            fn f() -> u64;
        );
        assert_eq!(
            parse(declaration.clone()).ok(),
            syn::parse2::<Item>(declaration).ok()
        );
    }
}

//! The common signature read without syn's parser: `fn name(a: A, mut b: B) -> R`, each type
//! one identifier (`u64`, `String`), no generics, qualifiers or `where`.
//!
//! syn's parser runs unoptimized in a debug build, once per definition at every rebuild, and
//! a type is its costliest part (it tries each form a type may take). A signature of this
//! shape is built here from its tokens into the same `syn::Signature` syn makes, spans and
//! all; any other shape (a reference, a generic type, a pattern, a keyword where a name
//! should be) is left to syn, which also words the errors.

use proc_macro2::{Delimiter, Ident, Spacing, TokenTree};
use syn::buffer::Cursor;
use syn::punctuated::Punctuated;
use syn::token::{Colon, Comma, Fn, Paren, RArrow};
use syn::{
    FnArg, Generics, Pat, PatIdent, PatType, Path, ReturnType, Signature, Token, Type, TypePath,
};

/// The signature at `cursor` and what follows it (the body), if it has the plain shape.
pub(crate) fn parse(cursor: Cursor<'_>) -> Option<(Signature, Cursor<'_>)> {
    let (fn_token, cursor) = ident(cursor)?;
    if fn_token != "fn" {
        return None;
    }
    let (ident, cursor) = ident(cursor)?;
    let (args, paren_span, cursor) = group(cursor, Delimiter::Parenthesis)?;
    let inputs = parameters(args)?;
    let (output, cursor) = output(cursor)?;
    // The body must follow: a `where` clause, or anything else, is syn's.
    group(cursor, Delimiter::Brace)?;
    let sig = Signature {
        constness: None,
        asyncness: None,
        unsafety: None,
        abi: None,
        fn_token: Fn {
            span: fn_token.span(),
        },
        ident: name(ident)?,
        generics: Generics::default(),
        paren_token: Paren { span: paren_span },
        inputs,
        variadic: None,
        output,
    };
    Some((sig, cursor))
}

/// `a: A, mut b: B,`: each parameter a name (perhaps `mut`) and a one-identifier type.
fn parameters(mut cursor: Cursor<'_>) -> Option<Punctuated<FnArg, Comma>> {
    let mut inputs = Punctuated::new();
    while !cursor.eof() {
        let (first, rest) = ident(cursor)?;
        let (mutability, name_token, rest) = if first == "mut" {
            let (name_token, rest) = ident(rest)?;
            (Some(Token![mut](first.span())), name_token, rest)
        } else {
            (None, first, rest)
        };
        let (colon, rest) = punct(rest, ':', Spacing::Alone)?;
        let (ty, rest) = ident(rest)?;
        let pat = Pat::Ident(PatIdent {
            attrs: Vec::new(),
            by_ref: None,
            mutability,
            ident: name(name_token)?,
            subpat: None,
        });
        inputs.push_value(FnArg::Typed(PatType {
            attrs: Vec::new(),
            pat: Box::new(pat),
            colon_token: Colon { spans: [colon] },
            ty: Box::new(one_identifier_type(ty)?),
        }));
        cursor = rest;
        if cursor.eof() {
            break;
        }
        let (comma, rest) = punct(cursor, ',', Spacing::Alone)?;
        inputs.push_punct(Comma { spans: [comma] });
        cursor = rest;
    }
    Some(inputs)
}

/// `-> R` with a one-identifier `R`, or nothing.
fn output(cursor: Cursor<'_>) -> Option<(ReturnType, Cursor<'_>)> {
    let Some((dash, rest)) = punct(cursor, '-', Spacing::Joint) else {
        return Some((ReturnType::Default, cursor));
    };
    let (arrow, rest) = punct(rest, '>', Spacing::Alone)?;
    let (ty, rest) = ident(rest)?;
    let arrow = RArrow {
        spans: [dash, arrow],
    };
    Some((
        ReturnType::Type(arrow, Box::new(one_identifier_type(ty)?)),
        rest,
    ))
}

// The token at a cursor is taken as it is: an invisible group (a `$t:ty` of a `macro_rules!`)
// is not looked into, so that syn, which keeps it as a `Type::Group`, reads it.

/// The identifier at `cursor`.
fn ident(cursor: Cursor<'_>) -> Option<(Ident, Cursor<'_>)> {
    match cursor.token_tree()? {
        (TokenTree::Ident(ident), rest) => Some((ident, rest)),
        _ => None,
    }
}

/// The punctuation `ch` (with that spacing) at `cursor`, as its span.
fn punct(
    cursor: Cursor<'_>,
    ch: char,
    spacing: Spacing,
) -> Option<(proc_macro2::Span, Cursor<'_>)> {
    match cursor.token_tree()? {
        (TokenTree::Punct(punct), rest) if punct.as_char() == ch && punct.spacing() == spacing => {
            Some((punct.span(), rest))
        }
        _ => None,
    }
}

/// The group delimited by `delimiter` at `cursor`: its inside, its span, and what follows.
fn group(
    cursor: Cursor<'_>,
    delimiter: Delimiter,
) -> Option<(Cursor<'_>, proc_macro2::extra::DelimSpan, Cursor<'_>)> {
    let (inside, found, span, rest) = cursor.any_group()?;
    (found == delimiter).then_some((inside, span, rest))
}

/// A type that is one identifier, as syn parses it: a path of one segment.
fn one_identifier_type(ident: Ident) -> Option<Type> {
    Some(Type::Path(TypePath {
        qself: None,
        path: Path::from(name(ident)?),
    }))
}

/// `ident`, unless it is a keyword (`self`, `Self`, `_`, `dyn`, ...): those are syn's.
fn name(ident: Ident) -> Option<Ident> {
    let text = ident.to_string();
    (!KEYWORDS.contains(&text.as_str())).then_some(ident)
}

/// Rust's keywords, strict and reserved, and `_`: never a plain name or a plain type here.
const KEYWORDS: &[&str] = &[
    "_", "abstract", "as", "async", "await", "become", "box", "break", "const", "continue",
    "crate", "do", "dyn", "else", "enum", "extern", "false", "final", "fn", "for", "gen", "if",
    "impl", "in", "let", "loop", "macro", "match", "mod", "move", "mut", "override", "priv", "pub",
    "ref", "return", "Self", "self", "static", "struct", "super", "trait", "true", "try", "type",
    "typeof", "union", "unsafe", "unsized", "use", "virtual", "where", "while", "yield",
];

#[cfg(test)]
mod tests {
    use proc_macro2::TokenStream;
    use quote::quote;
    use syn::buffer::TokenBuffer;

    use super::*;

    /// The plain reading of `tokens` (a signature and a body), if it takes it.
    fn plain(tokens: TokenStream) -> Option<Signature> {
        let buffer = TokenBuffer::new2(tokens);
        parse(buffer.begin()).map(|(sig, _)| sig)
    }

    fn syn_reading(tokens: TokenStream) -> Signature {
        let item: syn::ItemFn = syn::parse2(tokens).unwrap();
        item.sig
    }

    #[test]
    fn a_plain_signature_is_read_as_syn_reads_it() {
        for tokens in [
            quote!(
                fn f(n: u64, s: String) -> u64 {
                    0
                }
            ),
            quote!(
                fn f() {}
            ),
            quote!(
                fn f(mut n: u64) -> Answer {
                    n
                }
            ),
            quote!(
                fn r#type(r#in: u8) -> r#Box {
                    x
                }
            ),
        ] {
            let sig = plain(tokens.clone()).expect("plain");
            assert_eq!(sig, syn_reading(tokens));
        }
    }

    #[test]
    fn spans_are_the_tokens_own() {
        let sig = plain(quote!(
            fn f(n: u64) -> u64 {
                0
            }
        ))
        .unwrap();
        let syn = syn_reading(quote!(
            fn f(n: u64) -> u64 {
                0
            }
        ));
        // Spans print the same outside the compiler; their tokens are compared instead.
        assert_eq!(
            quote::ToTokens::to_token_stream(&sig).to_string(),
            quote::ToTokens::to_token_stream(&syn).to_string()
        );
    }

    #[test]
    fn other_shapes_are_left_to_syn() {
        for tokens in [
            quote!(
                fn f(s: &str) -> usize {
                    0
                }
            ),
            quote!(
                fn f<T>(t: T) -> T {
                    t
                }
            ),
            quote!(
                fn f(v: Vec<u64>) -> u64 {
                    0
                }
            ),
            quote!(
                fn f(&self) -> u64 {
                    0
                }
            ),
            quote!(
                fn f(self) -> u64 {
                    0
                }
            ),
            quote!(
                fn f(n: u64) -> Self {
                    0
                }
            ),
            quote!(
                fn f(n: _) -> u64 {
                    0
                }
            ),
            quote!(
                fn f((a, b): (u8, u8)) -> u64 {
                    0
                }
            ),
            quote!(
                fn f(n: u64) -> u64
                where
                    u64: Copy,
                {
                    0
                }
            ),
            quote!(
                async fn f(n: u64) -> u64 {
                    0
                }
            ),
            quote!(
                fn f(n: u64) -> std::io::Result<()> {
                    0
                }
            ),
            quote!(
                fn f(n: u64) -> u64;
            ),
            quote!(fn f(n u64) -> u64 { 0 }),
            quote!(fn self(n: u64) -> u64 { 0 }),
        ] {
            assert!(plain(tokens.clone()).is_none(), "{tokens}");
        }
    }
}

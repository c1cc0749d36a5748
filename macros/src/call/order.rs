//! Whether an argument may be evaluated out of the order written, read from its tokens (the
//! call's arguments are never parsed: see `parse.rs`). Each answer errs on the safe side: an
//! argument not recognised here is evaluated first, in the order written.

use proc_macro2::{Delimiter, Spacing, TokenTree};

/// Whether evaluating `value` earlier or later than written can make no difference: a literal
/// (`1`, `-1`, `"s"`, `true`) or a closure (which captures, but runs nothing), maybe in
/// parentheses. Closures are also best left in place: a closure's parameter types are
/// inferred from the parameter it is passed to.
pub(super) fn order_free(value: &[TokenTree]) -> bool {
    match value {
        [TokenTree::Literal(_)] => true,
        [TokenTree::Ident(ident)] => ident == "true" || ident == "false",
        [TokenTree::Punct(minus), TokenTree::Literal(_)] => minus.as_char() == '-',
        [TokenTree::Group(group)] => parenthesized(group).is_some_and(|inner| order_free(&inner)),
        [TokenTree::Punct(bar), ..] => bar.as_char() == '|',
        [TokenTree::Ident(word), TokenTree::Punct(bar), ..] => {
            word == "move" && bar.as_char() == '|'
        }
        _ => false,
    }
}

/// Whether no default can change what `value` evaluates to: a default sees none of the
/// caller's variables, so reading one (`x`, `&mut x`, `x.field`, `*x`, `x as u8`) is safe, as
/// is anything [`order_free`]. A call or a block could read what a default changes.
pub(super) fn default_cannot_affect(value: &[TokenTree]) -> bool {
    if order_free(value) || is_place(value) {
        return true;
    }
    match value {
        [TokenTree::Group(group)] => {
            parenthesized(group).is_some_and(|inner| default_cannot_affect(&inner))
        }
        // `&x`, `&mut x`, `-x`, `!x`, `*x` (`&&x` is two `&`s, the first joint).
        [TokenTree::Punct(op), rest @ ..] if matches!(op.as_char(), '&' | '-' | '!' | '*') => {
            let rest = match rest {
                [TokenTree::Ident(word), rest @ ..] if word == "mut" && op.as_char() == '&' => rest,
                rest => rest,
            };
            !rest.is_empty() && default_cannot_affect(rest)
        }
        _ => match value
            .iter()
            .position(|tree| matches!(tree, TokenTree::Ident(i) if i == "as"))
        {
            // `x as T`: what is cast decides.
            Some(at) if at > 0 => default_cannot_affect(&value[..at]),
            _ => false,
        },
    }
}

/// `x`, `a::B`, `x.field`, `x.0`: a path of plain segments, then fields.
fn is_place(value: &[TokenTree]) -> bool {
    let mut trees = value.iter().peekable();
    let mut expect_name = true;
    let mut in_fields = false;
    while let Some(tree) = trees.next() {
        match tree {
            TokenTree::Ident(ident) if expect_name && !is_keyword(ident) => expect_name = false,
            TokenTree::Literal(index) if expect_name && in_fields => {
                let text = index.to_string();
                if !text.bytes().all(|b| b.is_ascii_digit() || b == b'.') {
                    return false;
                }
                expect_name = false;
            }
            TokenTree::Punct(dot) if !expect_name && dot.as_char() == '.' => {
                if dot.spacing() == Spacing::Joint {
                    return false; // `..`: a range
                }
                in_fields = true;
                expect_name = true;
            }
            TokenTree::Punct(colon) if !expect_name && !in_fields && colon.as_char() == ':' => {
                match trees.next() {
                    Some(TokenTree::Punct(second))
                        if colon.spacing() == Spacing::Joint && second.as_char() == ':' => {}
                    _ => return false,
                }
                expect_name = true;
            }
            _ => return false,
        }
    }
    !expect_name
}

/// The words that start an expression of their own (`return`, `loop`, ..) or end a field
/// access that is not one (`.await`), rather than name a variable, a field or a path segment.
fn is_keyword(ident: &proc_macro2::Ident) -> bool {
    const WORDS: [&str; 17] = [
        "return", "break", "continue", "yield", "become", "do", "loop", "while", "for", "if",
        "match", "unsafe", "async", "move", "let", "await", "static",
    ];
    WORDS.iter().any(|word| ident == word)
}

/// The tokens inside `( .. )`, if it is parentheses around one expression (not a tuple).
fn parenthesized(group: &proc_macro2::Group) -> Option<Vec<TokenTree>> {
    if group.delimiter() != Delimiter::Parenthesis {
        return None;
    }
    let inner: Vec<TokenTree> = group.stream().into_iter().collect();
    let comma = |tree: &TokenTree| matches!(tree, TokenTree::Punct(p) if p.as_char() == ',');
    (!inner.is_empty() && !inner.iter().any(comma)).then_some(inner)
}

#[cfg(test)]
mod tests {
    use proc_macro2::TokenStream;
    use quote::quote;

    use super::*;

    fn trees(tokens: TokenStream) -> Vec<TokenTree> {
        tokens.into_iter().collect()
    }

    #[test]
    fn literals_and_closures_are_order_free() {
        for free in [
            quote!(1),
            quote!(-1.5),
            quote!("s"),
            quote!(true),
            quote!((2)),
            quote!(|x| x + 1),
            quote!(move || y),
        ] {
            assert!(order_free(&trees(free.clone())), "{free}");
        }
        for bound in [
            quote!(x),
            quote!(f()),
            quote!((1, 2)),
            quote!(1 + 2),
            quote!(-x),
        ] {
            assert!(!order_free(&trees(bound.clone())), "{bound}");
        }
    }

    #[test]
    fn reading_a_variable_cannot_be_affected_by_a_default() {
        for safe in [
            quote!(x),
            quote!(a::B),
            quote!(&x),
            quote!(&mut x.field),
            quote!(*x.0),
            quote!(x.0.1),
            quote!((x)),
            quote!(x as u8),
            quote!(-x),
            quote!(!done),
            quote!(7),
        ] {
            assert!(default_cannot_affect(&trees(safe.clone())), "{safe}");
        }
        for unsafe_ in [
            quote!(f()),
            quote!(x.len()),
            quote!(x[0]),
            quote!({ x }),
            quote!(x + y),
            quote!(x..y),
            quote!(x.await),
            quote!(return),
            quote!(&),
            quote!(f() as u8),
            quote!(Vec::<u8>::new),
        ] {
            assert!(!default_cannot_affect(&trees(unsafe_.clone())), "{unsafe_}");
        }
    }
}

//! `call!`'s common shape, `f(a, b, c = x)`, read token by token: the arguments are only
//! passed on, and syn's expression parser, run on each call twice (in `call!`, then in the
//! binder), was half of what a call site cost to compile. Whatever this does not recognise
//! goes to syn (`parse.rs`), which also words every mistake.

use proc_macro2::{Delimiter, Ident, Spacing, TokenStream, TokenTree};
use syn::ExprPath;

/// A plain call: the function's path, the positional arguments' tokens, then the keywords'.
pub(super) struct Plain {
    pub(super) function: ExprPath,
    pub(super) positional: Vec<TokenStream>,
    pub(super) keywords: Vec<(Ident, TokenStream)>,
}

/// `f(a, b, c = x)`, `module::f(..)`, `Type::f(..)` read token by token: a path of plain
/// segments, then arguments split at the commas outside their brackets, each a keyword
/// (`name = value`) or a positional one. `None` for any other shape, and for anything that may
/// be a mistake (an empty argument, an assignment, a positional argument after a keyword, a
/// keyword repeated), which syn then parses and words; also for arguments with a `<` or a `|`
/// outside brackets, whose commas may not end them (`Vec::<A, B>::new()`, `|a, b| a + b`).
pub(super) fn plain(input: &TokenStream) -> Option<Plain> {
    let trees: Vec<TokenTree> = input.clone().into_iter().collect();
    let (TokenTree::Group(args), path) = trees.split_last()? else {
        return None;
    };
    if args.delimiter() != Delimiter::Parenthesis || !is_plain_path(path) {
        return None;
    }
    let function: ExprPath = syn::parse2(path.iter().cloned().collect()).ok()?;
    let mut positional = Vec::new();
    let mut keywords: Vec<(Ident, TokenStream)> = Vec::new();
    for arg in split_arguments(args.stream())? {
        match arg.as_slice() {
            [TokenTree::Ident(name), TokenTree::Punct(eq), value @ ..]
                if eq.as_char() == '=' && eq.spacing() == Spacing::Alone =>
            {
                if value.is_empty()
                    || has_assignment(value)
                    || keywords.iter().any(|(known, _)| known == name)
                {
                    return None;
                }
                keywords.push((name.clone(), value.iter().cloned().collect()));
            }
            value => {
                if has_assignment(value) || !keywords.is_empty() {
                    return None;
                }
                positional.push(value.iter().cloned().collect());
            }
        }
    }
    Some(Plain {
        function,
        positional,
        keywords,
    })
}

/// `f`, `a::b::f`, `::a::f`: identifiers joined by `::` (no generics, nothing else).
fn is_plain_path(path: &[TokenTree]) -> bool {
    let mut expect_ident = true;
    let mut trees = path.iter().peekable();
    if let Some(TokenTree::Punct(p)) = trees.peek()
        && p.as_char() == ':'
    {
        expect_ident = false;
    }
    let mut seen_ident = false;
    while let Some(tree) = trees.next() {
        match tree {
            TokenTree::Ident(_) if expect_ident => {
                expect_ident = false;
                seen_ident = true;
            }
            TokenTree::Punct(first) if !expect_ident && first.as_char() == ':' => {
                let Some(TokenTree::Punct(second)) = trees.next() else {
                    return false;
                };
                if first.spacing() != Spacing::Joint || second.as_char() != ':' {
                    return false;
                }
                expect_ident = true;
            }
            _ => return false,
        }
    }
    seen_ident && !expect_ident
}

/// The arguments' tokens, split at the commas outside brackets (a trailing comma allowed);
/// `None` if one is empty, or if a `<` or `|` outside brackets may hide a comma of its own.
fn split_arguments(args: TokenStream) -> Option<Vec<Vec<TokenTree>>> {
    let mut split = vec![Vec::new()];
    for tree in args {
        if let TokenTree::Punct(punct) = &tree {
            match punct.as_char() {
                ',' => {
                    if split.last().is_some_and(Vec::is_empty) {
                        return None;
                    }
                    split.push(Vec::new());
                    continue;
                }
                '<' | '|' => return None,
                _ => {}
            }
        }
        split.last_mut()?.push(tree);
    }
    if split.last().is_some_and(Vec::is_empty) {
        split.pop();
    }
    Some(split)
}

/// Whether `tokens` hold an `=` of their own outside brackets (an assignment), not one that
/// ends an operator (`==`, `<=`, `+=`, `..=`, `=>`).
fn has_assignment(tokens: &[TokenTree]) -> bool {
    let mut after_joint = false;
    for tree in tokens {
        if let TokenTree::Punct(punct) = tree {
            if punct.as_char() == '=' && punct.spacing() == Spacing::Alone && !after_joint {
                return true;
            }
            after_joint = punct.spacing() == Spacing::Joint;
        } else {
            after_joint = false;
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use quote::quote;

    use quote::ToTokens;
    use syn::Expr;

    use super::*;

    /// The call as syn reads it.
    fn by_syn(input: TokenStream) -> Plain {
        let expr: Expr = syn::parse2(input).expect("an expression");
        let Expr::Call(call) = expr else {
            panic!("a call")
        };
        let mut positional = Vec::new();
        let mut keywords = Vec::new();
        for arg in call.args {
            match arg {
                Expr::Assign(assign) => keywords.push((
                    syn::parse2(assign.left.into_token_stream()).expect("a name"),
                    assign.right.into_token_stream(),
                )),
                value => positional.push(value.into_token_stream()),
            }
        }
        let Expr::Path(function) = *call.func else {
            panic!("a path")
        };
        Plain {
            function,
            positional,
            keywords,
        }
    }

    fn described(call: &Plain) -> String {
        let path = &call.function;
        let positional = call.positional.iter().map(ToString::to_string);
        let keywords = call
            .keywords
            .iter()
            .map(|(name, value)| format!("{name} = {value}"));
        format!(
            "{} | {} | {}",
            path.to_token_stream(),
            positional.collect::<Vec<_>>().join(" ; "),
            keywords.collect::<Vec<_>>().join(" ; ")
        )
    }

    #[test]
    fn plain_calls_read_as_syn_reads_them() {
        for input in [
            quote!(f()),
            quote!(f(1, 2, c = 3)),
            quote!(a::b::f(x.y(1, 2), [1, 2], (3, 4), { 5 }, e = g(h, i),)),
            quote!(::m::f(a == b, c >= d, e = x..=y, f = -1)),
            quote!(Type::f(r#in = 1, r#type = "s")),
        ] {
            let plain = plain(&input).expect("a plain call");
            assert_eq!(
                described(&plain),
                described(&by_syn(input.clone())),
                "{input}"
            );
        }
    }

    #[test]
    fn other_shapes_and_mistakes_are_left_to_syn() {
        for input in [
            quote!(f::<u8>(1)),
            quote!(f(Vec::<u8, u16>::new())),
            quote!(f(c <= d)),
            quote!(f(|a, b| a + b)),
            quote!(x.m(1)),
            quote!(f(a = 1, 2)),
            quote!(f(a = 1, a = 2)),
            quote!(f(a.b = 1)),
            quote!(f(1,, 2)),
            quote!(f(a = )),
            quote!(match(x)),
            quote!(f(1)(2)),
        ] {
            assert!(plain(&input).is_none(), "{input}");
        }
    }
}

//! `call!(path(args))`: the function's path and the arguments, split into positional ones and
//! keywords, with the mistakes Python's parser catches (each with its `SyntaxError` text).
//!
//! The arguments are only passed on, so they stay tokens. The common shape, a plain path and
//! arguments that split at their commas, is read without syn's expression parser (see
//! [`plain`]): parsing each call twice (in `call!`, then in the binder) was half of what a
//! call site cost to compile. Anything else, and every call with a mistake, goes through syn,
//! which words the errors.

use proc_macro2::{Delimiter, Spacing, TokenStream, TokenTree};
use quote::ToTokens;
use syn::spanned::Spanned;
use syn::{AngleBracketedGenericArguments, Expr, ExprPath, Ident};

use crate::errors::Errors;

/// A call as written.
pub(crate) struct Call {
    pub(crate) callee: Callee,
    /// Each positional argument's tokens.
    pub(crate) positional: Vec<TokenStream>,
    pub(crate) keywords: Vec<Keyword>,
}

/// What is called.
pub(crate) enum Callee {
    /// `f(..)`, `module::f(..)`, `Type::f(..)`.
    Path(ExprPath),
    /// `receiver.m(..)`, `receiver.m::<T>(..)`.
    Method {
        receiver: Box<Expr>,
        method: Ident,
        turbofish: Option<AngleBracketedGenericArguments>,
    },
}

/// `name = value`.
pub(crate) struct Keyword {
    pub(crate) name: Ident,
    pub(crate) value: TokenStream,
}

const USAGE: &str = "`call!` takes a call of a `#[signature]` function: `call!(f(1, 2, c = 3))`";

pub(crate) fn parse(input: TokenStream, errors: &mut Errors) -> Option<Call> {
    if let Some(call) = plain(&input) {
        return Some(call);
    }
    let expr: Expr = match syn::parse2(input) {
        Ok(expr) => expr,
        Err(error) => {
            errors.push(syn::Error::new(
                error.span(),
                format_args!("{error}\n{USAGE}"),
            ));
            return None;
        }
    };
    let (callee, args) = match expr {
        Expr::Call(call) => {
            let Expr::Path(function) = *call.func else {
                errors.at(&call.func, USAGE);
                return None;
            };
            if let Some(qself) = &function.qself {
                errors.at(
                    &qself.ty,
                    "`call!` takes a plain path to the function (`module::f`, `Type::f`), not a \
                     qualified one",
                );
                return None;
            }
            (Callee::Path(function), call.args)
        }
        Expr::MethodCall(call) => {
            let callee = Callee::Method {
                receiver: call.receiver,
                method: call.method,
                turbofish: call.turbofish,
            };
            (callee, call.args)
        }
        other => {
            errors.at(&other, USAGE);
            return None;
        }
    };

    let mut positional = Vec::new();
    let mut keywords: Vec<Keyword> = Vec::new();
    for arg in args {
        match arg {
            Expr::Assign(assign) => match *assign.left {
                Expr::Path(path) if path.qself.is_none() && path.path.get_ident().is_some() => {
                    let name = path.path.segments[0].ident.clone();
                    if keywords.iter().any(|k| k.name == name) {
                        errors.at(&name, format_args!("keyword argument repeated: {name}"));
                    }
                    keywords.push(Keyword {
                        name,
                        value: assign.right.into_token_stream(),
                    });
                }
                left => errors.at(
                    &left,
                    "expression cannot contain assignment, perhaps you meant \"==\"?",
                ),
            },
            value => {
                if let Some(first) = keywords.first() {
                    errors.push(syn::Error::new(
                        value.span(),
                        format_args!(
                            "positional argument follows keyword argument\n\
                             help: pass it before `{} = ...`, or by keyword",
                            first.name
                        ),
                    ));
                }
                positional.push(value.into_token_stream());
            }
        }
    }
    Some(Call {
        callee,
        positional,
        keywords,
    })
}

/// `f(a, b, c = x)`, `module::f(..)`, `Type::f(..)` read token by token: a path of plain
/// segments, then arguments split at the commas outside their brackets, each a keyword
/// (`name = value`) or a positional one. `None` for any other shape, and for anything that may
/// be a mistake (an empty argument, an assignment, a positional argument after a keyword, a
/// keyword repeated), which syn then parses and words; also for arguments with a `<` or a `|`
/// outside brackets, whose commas may not end them (`Vec::<A, B>::new()`, `|a, b| a + b`).
fn plain(input: &TokenStream) -> Option<Call> {
    let trees: Vec<TokenTree> = input.clone().into_iter().collect();
    let (TokenTree::Group(args), path) = trees.split_last()? else {
        return None;
    };
    if args.delimiter() != Delimiter::Parenthesis || !is_plain_path(path) {
        return None;
    }
    let function: ExprPath = syn::parse2(path.iter().cloned().collect()).ok()?;
    let mut positional = Vec::new();
    let mut keywords: Vec<Keyword> = Vec::new();
    for arg in split_arguments(args.stream())? {
        match arg.as_slice() {
            [TokenTree::Ident(name), TokenTree::Punct(eq), value @ ..]
                if eq.as_char() == '=' && eq.spacing() == Spacing::Alone =>
            {
                if value.is_empty()
                    || has_assignment(value)
                    || keywords.iter().any(|k| k.name == *name)
                {
                    return None;
                }
                keywords.push(Keyword {
                    name: name.clone(),
                    value: value.iter().cloned().collect(),
                });
            }
            value => {
                if has_assignment(value) || !keywords.is_empty() {
                    return None;
                }
                positional.push(value.iter().cloned().collect());
            }
        }
    }
    Some(Call {
        callee: Callee::Path(function),
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

    use super::*;

    /// The call as syn reads it, without the token-by-token path.
    fn by_syn(input: TokenStream) -> Call {
        let expr: Expr = syn::parse2(input).expect("an expression");
        let Expr::Call(call) = expr else {
            panic!("a call")
        };
        let mut positional = Vec::new();
        let mut keywords = Vec::new();
        for arg in call.args {
            match arg {
                Expr::Assign(assign) => keywords.push(Keyword {
                    name: syn::parse2(assign.left.into_token_stream()).expect("a name"),
                    value: assign.right.into_token_stream(),
                }),
                value => positional.push(value.into_token_stream()),
            }
        }
        let Expr::Path(function) = *call.func else {
            panic!("a path")
        };
        Call {
            callee: Callee::Path(function),
            positional,
            keywords,
        }
    }

    fn described(call: &Call) -> String {
        let Callee::Path(path) = &call.callee else {
            panic!("a path")
        };
        let positional = call.positional.iter().map(ToString::to_string);
        let keywords = call
            .keywords
            .iter()
            .map(|k| format!("{} = {}", k.name, k.value));
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
        let mut errors = Errors::default();
        assert!(parse(quote!(f(a = 1, 2)), &mut errors).is_some());
        assert!(!errors.is_empty(), "syn's path words the mistake");
    }
}

//! `call!(path(args))`: the function's path and the arguments, split into positional ones and
//! keywords, with the mistakes Python's parser catches (each with its `SyntaxError` text).
//!
//! The arguments are only passed on, so they stay tokens. The common shape, a plain path and
//! arguments that split at their commas, is read without syn's expression parser (see
//! `plain.rs`): parsing each call twice (in `call!`, then in the binder) was half of what a
//! call site cost to compile. Anything else, and every call with a mistake, goes through syn,
//! which words the errors.

use proc_macro2::TokenStream;
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
    if let Some(plain) = super::plain::plain(&input) {
        return Some(Call {
            callee: Callee::Path(plain.function),
            positional: plain.positional,
            keywords: plain
                .keywords
                .into_iter()
                .map(|(name, value)| Keyword { name, value })
                .collect(),
        });
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

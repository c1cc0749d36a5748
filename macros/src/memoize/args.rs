//! `#[memoize(maxsize = 128, typed = false)]`: the options, parsed into [`Args`].

use proc_macro2::TokenStream;
use syn::parse::Parser;
use syn::punctuated::Punctuated;
use syn::{Expr, ExprLit, Lit, MetaNameValue, Token};

use crate::errors::Errors;

/// The options of one `#[memoize(...)]`, with Python's defaults for those not given.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Args {
    /// `None` means unbounded (`maxsize = None`).
    pub(crate) maxsize: Option<usize>,
    pub(crate) typed: bool,
}

impl Default for Args {
    fn default() -> Self {
        Args {
            maxsize: Some(128),
            typed: false,
        }
    }
}

/// Parses the options; every mistake is recorded and the defaults stand in for bad values.
pub(crate) fn parse(tokens: TokenStream, errors: &mut Errors) -> Args {
    let mut args = Args::default();
    let options = match Punctuated::<MetaNameValue, Token![,]>::parse_terminated.parse2(tokens) {
        Ok(options) => options,
        Err(error) => {
            errors.push(syn::Error::new(
                error.span(),
                format!("{error}; expected options such as `maxsize = 128` or `typed = true`"),
            ));
            return args;
        }
    };
    let mut seen: Vec<String> = Vec::new();
    for option in &options {
        let name = option
            .path
            .get_ident()
            .map(ToString::to_string)
            .unwrap_or_default();
        if seen.contains(&name) {
            errors.at(&option.path, format!("duplicate option `{name}`"));
            continue;
        }
        match name.as_str() {
            "maxsize" => {
                if let Some(maxsize) = parse_maxsize(&option.value, errors) {
                    args.maxsize = maxsize;
                }
            }
            "typed" => match &option.value {
                Expr::Lit(ExprLit {
                    lit: Lit::Bool(b), ..
                }) => args.typed = b.value,
                other => errors.at(other, "`typed` takes `true` or `false`"),
            },
            _ => {
                errors.at(
                    &option.path,
                    "unknown option; `#[memoize]` takes `maxsize` and `typed`",
                );
                continue;
            }
        }
        seen.push(name);
    }
    args
}

/// `Some(Some(n))` for a bound, `Some(None)` for `None`, `None` after recording an error.
fn parse_maxsize(value: &Expr, errors: &mut Errors) -> Option<Option<usize>> {
    const HELP: &str = "`maxsize` takes a non-negative integer or `None`";
    match value {
        Expr::Path(path) if path.path.is_ident("None") => Some(None),
        Expr::Lit(ExprLit {
            lit: Lit::Int(int), ..
        }) => match int.base10_parse::<usize>() {
            Ok(n) => Some(Some(n)),
            Err(_) => {
                errors.at(int, format!("{HELP}; `{int}` does not fit in a `usize`"));
                None
            }
        },
        Expr::Unary(unary) if matches!(unary.op, syn::UnOp::Neg(_)) => {
            errors.at(
                value,
                format!("{HELP}; a negative size makes no sense here"),
            );
            None
        }
        _ => {
            errors.at(value, HELP);
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use quote::quote;

    fn parse_ok(tokens: TokenStream) -> Args {
        let mut errors = Errors::default();
        let args = parse(tokens, &mut errors);
        assert!(errors.is_empty(), "{}", errors.to_compile_errors());
        args
    }

    fn error_count(tokens: TokenStream) -> usize {
        let mut errors = Errors::default();
        parse(tokens, &mut errors);
        errors
            .to_compile_errors()
            .to_string()
            .matches("compile_error")
            .count()
    }

    #[test]
    fn defaults_are_pythons() {
        assert_eq!(
            parse_ok(quote!()),
            Args {
                maxsize: Some(128),
                typed: false
            }
        );
    }

    #[test]
    fn reads_every_option() {
        assert_eq!(
            parse_ok(quote!(maxsize = None, typed = true)),
            Args {
                maxsize: None,
                typed: true
            }
        );
        assert_eq!(parse_ok(quote!(maxsize = 0)).maxsize, Some(0));
        assert_eq!(parse_ok(quote!(maxsize = 1_000,)).maxsize, Some(1000));
    }

    #[test]
    fn reports_every_mistake_at_once() {
        assert_eq!(
            error_count(quote!(maxsize = -1, typed = 1, colour = 3, maxsize = 2)),
            4 // -1, `typed = 1`, `colour`, and the second `maxsize`
        );
        assert_eq!(error_count(quote!(maxsize = 2, maxsize = 3)), 1);
        assert_eq!(error_count(quote!(maxsize = 1.5)), 1);
        assert_eq!(error_count(quote!(maxsize)), 1);
    }
}

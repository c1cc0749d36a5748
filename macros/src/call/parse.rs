//! `call!(path(args))`: the function's path and the arguments, split into positional ones and
//! keywords, with the mistakes Python's parser catches (each with its `SyntaxError` text).

use syn::spanned::Spanned;
use syn::{Expr, ExprPath, Ident};

use crate::errors::Errors;

/// A call as written.
pub(crate) struct Call {
    pub(crate) function: ExprPath,
    pub(crate) positional: Vec<Expr>,
    pub(crate) keywords: Vec<Keyword>,
}

/// `name = value`.
pub(crate) struct Keyword {
    pub(crate) name: Ident,
    pub(crate) value: Expr,
}

const USAGE: &str = "`call!` takes a call of a `#[signature]` function: `call!(f(1, 2, c = 3))`";

pub(crate) fn parse(input: proc_macro2::TokenStream, errors: &mut Errors) -> Option<Call> {
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
    let Expr::Call(call) = expr else {
        if let Expr::MethodCall(method) = &expr {
            errors.at(
                &method.method,
                "`call!` does not support method calls yet\n\
                 help: call a free function, or write the method's arguments in order",
            );
        } else {
            errors.at(&expr, USAGE);
        }
        return None;
    };
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

    let mut positional = Vec::new();
    let mut keywords: Vec<Keyword> = Vec::new();
    for arg in call.args {
        match arg {
            Expr::Assign(assign) => match *assign.left {
                Expr::Path(path) if path.qself.is_none() && path.path.get_ident().is_some() => {
                    let name = path.path.segments[0].ident.clone();
                    if keywords.iter().any(|k| k.name == name) {
                        errors.at(&name, format_args!("keyword argument repeated: {name}"));
                    }
                    keywords.push(Keyword {
                        name,
                        value: *assign.right,
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
                positional.push(value);
            }
        }
    }
    Some(Call {
        function,
        positional,
        keywords,
    })
}

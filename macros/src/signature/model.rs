//! The function and its signature side by side: each listed name matched with the parameter
//! it stands for. A mismatch is an error naming both.

use syn::{Expr, FnArg, Ident, Pat, Receiver, Type};

use super::parse::{Name, Signature};
use crate::errors::Errors;

/// A `#[signature]` function's parameters, as callers of `call!` see them.
pub(crate) struct Model<'a> {
    pub(crate) sig: &'a syn::Signature,
    /// `self`, `&self`, `self: Box<Self>`: only for a method in a `#[signature]` impl block.
    pub(crate) receiver: Option<&'a Receiver>,
    pub(crate) params: Vec<Param<'a>>,
    pub(crate) positional_only: usize,
    pub(crate) positional: usize,
}

/// One parameter: the function's name and type, the signature's default.
pub(crate) struct Param<'a> {
    pub(crate) ident: &'a Ident,
    pub(crate) ty: &'a Type,
    pub(crate) default: Option<Expr>,
}

impl<'a> Model<'a> {
    /// `in_impl`: the function is a method of a `#[signature]` impl block, so it may have a
    /// receiver.
    pub(crate) fn new(
        sig: &'a syn::Signature,
        listed: Signature,
        in_impl: bool,
        errors: &mut Errors,
    ) -> Self {
        if let Some(slash) = &listed.leading_slash
            && !(in_impl && sig.receiver().is_some())
        {
            // Python's message; after a receiver the `/` is valid: `def method(self, /)`.
            errors.at(slash, "at least one argument must precede /");
        }
        let params = match_params(sig, listed.names, listed.complete, in_impl, errors);
        Model {
            sig,
            receiver: sig.receiver(),
            params,
            positional_only: listed.positional_only,
            positional: listed.positional,
        }
    }
}

impl Model<'_> {
    /// What a function whose `#[signature(...)]` has a mistake is expanded with, so that its
    /// call sites still bind, and raise no errors of their own (one mistake, one message):
    /// every parameter positional or keyword, with the default the list gave it, if any.
    /// `None` where not every parameter could be named (that was reported already).
    pub(crate) fn stand_in(mut self) -> Option<Self> {
        let typed = (self.sig.inputs.iter())
            .filter(|input| matches!(input, FnArg::Typed(_)))
            .count();
        if self.params.len() != typed {
            return None;
        }
        for param in &mut self.params {
            if let Type::ImplTrait(_) = param.ty {
                param.default = None; // reported: it could not compile
            }
        }
        self.positional_only = 0;
        self.positional = self.params.len();
        Some(self)
    }
}

/// The function's parameters, each with the default the signature gives it. Records every
/// parameter that is not a plain name, and every place where the two lists disagree.
fn match_params<'a>(
    sig: &'a syn::Signature,
    names: Vec<Name>,
    complete: bool,
    in_impl: bool,
    errors: &mut Errors,
) -> Vec<Param<'a>> {
    let function = &sig.ident;
    let params = named_inputs(sig, in_impl, errors);
    if !complete {
        return Vec::new();
    }
    let mut matched = Vec::new();
    let mut names = names.into_iter();
    for param in params {
        let next = names.next();
        let Some((ident, ty)) = param else { continue };
        match next {
            Some(name) if name.ident == *ident || name.reported => {
                if let (Type::ImplTrait(_), Some(default)) = (ty, &name.default) {
                    errors.at(
                        default,
                        format_args!(
                            "parameter '{ident}' of type `impl Trait` cannot have a default: \
                             its type is the caller's to choose\n\
                             help: give '{ident}' a named type, or no default"
                        ),
                    );
                }
                matched.push(Param {
                    ident,
                    ty,
                    default: name.default,
                });
            }
            Some(name) => {
                errors.at(
                    &name.ident,
                    format_args!(
                        "`#[signature]` names '{}' where `{function}` has the parameter '{ident}'\n\
                         help: list every parameter of `{function}`, in order, with the name it has",
                        name.ident
                    ),
                );
                matched.push(Param {
                    ident,
                    ty,
                    default: name.default,
                });
            }
            None => errors.at(
                ident,
                format_args!(
                    "parameter '{ident}' of `{function}` is missing from `#[signature(...)]`\n\
                     help: list every parameter, in order"
                ),
            ),
        }
    }
    for extra in names.filter(|name| !name.reported) {
        errors.at(
            &extra.ident,
            format_args!(
                "`#[signature]` names '{}', but `{function}` has no more parameters",
                extra.ident
            ),
        );
    }
    matched
}

/// Each parameter's name and type, receiver aside; `None` for one bound by a pattern, which is
/// recorded as an error, as is a receiver outside an `impl` block.
fn named_inputs<'a>(
    sig: &'a syn::Signature,
    in_impl: bool,
    errors: &mut Errors,
) -> Vec<Option<(&'a Ident, &'a Type)>> {
    let mut params = Vec::new();
    for input in &sig.inputs {
        match input {
            FnArg::Receiver(_) if in_impl => {}
            FnArg::Receiver(receiver) => errors.at(
                receiver,
                "`#[signature]` on a method needs `#[signature]` on its `impl` block as well, \
                 so that `call!` can find the method's signature",
            ),
            FnArg::Typed(typed) => match &*typed.pat {
                Pat::Ident(binding) if binding.subpat.is_none() => {
                    params.push(Some((&binding.ident, &*typed.ty)));
                }
                pattern => {
                    // Still a parameter: the signature names it, under some name.
                    params.push(None);
                    errors.at(
                        pattern,
                        "`#[signature]` needs a name for each parameter, not a pattern: callers \
                     pass arguments by name\n\
                     help: take the value under a name and destructure it in the body",
                    );
                }
            },
        }
    }
    if let Some(variadic) = &sig.variadic {
        errors.at(
            variadic,
            "`#[signature]` does not support C variadic functions",
        );
    }

    params
}

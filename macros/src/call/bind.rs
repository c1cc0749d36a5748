//! The binder: a free function's macro hands it the function's signature and the call as
//! written, and it binds the arguments to the parameters as Python would, while it expands.
//! `call!(f(10, 20, c = 30, e = 50))` becomes
//! `f::__py38_call(10, 20, 30, None, 50, None)`: a direct call, with `None` for each default.
//!
//! A call Python would refuse becomes the constants that check it against the function's
//! signature (see `checks`): they fail with Python's message, each on its argument, so
//! the words come from the one place that also words the errors of method calls.

use proc_macro2::{Span, TokenStream, TokenTree};
use quote::{format_ident, quote, quote_spanned};
use syn::ext::IdentExt;
use syn::spanned::Spanned;
use syn::{ExprPath, Ident, PathArguments};

use super::args::{Argument, arguments};
use super::checks::checks;
use super::order::{default_cannot_affect, order_free};
use super::parse::{self, Call, Callee};
use crate::errors::Errors;
use crate::paths;
use crate::signature::Listed;

/// How the function takes the arguments a call leaves out.
#[derive(Clone, Copy, PartialEq)]
enum Mode {
    /// `f(.., f::__py38_default_d(&()), ..)`.
    Direct,
    /// `f::__py38_call(.., None, ..)`, with `Some(value)` for an argument given.
    Forward,
}

/// Entry point: `direct f (a, b, /, c = _) f(1, 2, c = 3)`, how the function takes defaults,
/// its name and signature as its macro holds them, then the call.
pub(crate) fn bind(input: TokenStream) -> TokenStream {
    let mut errors = Errors::default();
    let mut trees = input.into_iter();
    let (Some(TokenTree::Ident(mode)), Some(TokenTree::Ident(_)), Some(TokenTree::Group(listed))) =
        (trees.next(), trees.next(), trees.next())
    else {
        return quote!(::core::compile_error!(
            "`bind!` is `call!`'s: call the function with `call!(f(..))`"
        ));
    };
    let listed = crate::signature::parse_listed(listed.stream(), &mut errors);
    let call = parse::parse(trees.collect(), &mut errors);
    let mode = if mode == "direct" {
        Mode::Direct
    } else {
        Mode::Forward
    };
    match &call {
        Some(call) if errors.is_empty() => match &call.callee {
            Callee::Path(function) => expand(&listed, call, function, mode),
            Callee::Method { method, .. } => syn::Error::new(
                method.span(),
                "a function's macro binds calls of that function, not of a method",
            )
            .to_compile_error(),
        },
        _ => errors.to_compile_errors(),
    }
}

fn expand(listed: &Listed, call: &Call, function: &ExprPath, mode: Mode) -> TokenStream {
    let mut path = function.path.clone();
    let generics = match path.segments.last_mut() {
        Some(last) => std::mem::replace(&mut last.arguments, PathArguments::None),
        None => PathArguments::None,
    };
    let arguments = arguments(call);
    let Some(slots) = slots(listed, &arguments) else {
        let described = quote!(#path::__py38_described);
        let private = paths::signature();
        let refused = quote!(#private::refused());
        let (checks, gated) = checks(call, &described, function.span(), &refused);
        return quote! {
            {
                #checks
                #gated
            }
        };
    };

    // Python evaluates arguments in the order written, and defaults before any of them (when
    // it defines the function). When the arguments go to the parameters in the order written,
    // they are passed as written; when not, each whose evaluation could be seen by another is
    // evaluated first, in the order written, in a `match` (which keeps temporaries alive to the
    // end of the call, as in a direct call). A default evaluated in its parameter's place goes
    // before the arguments after it: those it could affect are evaluated first too.
    let in_order = slots.windows(2).all(|pair| pair[0] < pair[1]);
    let first_default = (0..listed.names.len()).find(|slot| !slots.contains(slot));
    let mut evaluated = Vec::new();
    let mut bindings = Vec::new();
    let values: Vec<TokenStream> = arguments
        .iter()
        .zip(&slots)
        .enumerate()
        .map(|(i, (argument, &slot))| {
            let value = argument.value;
            let trees: Vec<TokenTree> = value.clone().into_iter().collect();
            let after_default = mode == Mode::Direct
                && first_default.is_some_and(|default| default < slot)
                && !default_cannot_affect(&trees);
            if (in_order || order_free(&trees)) && !after_default {
                quote!(#value)
            } else {
                let binding = Ident::new(&format!("__py38_argument_{i}"), Span::mixed_site());
                evaluated.push(quote!(#value));
                bindings.push(binding.clone());
                quote!(#binding)
            }
        })
        .collect();

    let passed = listed.names.iter().enumerate().map(|(slot, param)| {
        let given = slots.iter().position(|&s| s == slot);
        match (given, &param.default, mode) {
            (Some(i), None, _) | (Some(i), Some(_), Mode::Direct) => values[i].clone(),
            (Some(i), Some(_), Mode::Forward) => {
                let value = &values[i];
                // On the keyword (or the argument): where rustc says what takes the argument.
                quote_spanned!(arguments[i].span=> ::core::option::Option::Some(#value))
            }
            (None, _, Mode::Direct) => {
                let default = format_ident!(
                    "__py38_default_{}",
                    param.ident.unraw(),
                    span = function.span()
                );
                quote!(#path::#default(&()))
            }
            (None, _, Mode::Forward) => quote!(::core::option::Option::None),
        }
    });
    let call = match mode {
        Mode::Direct => quote!(#function(#(#passed),*)),
        Mode::Forward => {
            let forward = format_ident!("__py38_call", span = function.span());
            quote!(#path::#forward #generics(#(#passed),*))
        }
    };
    if bindings.is_empty() {
        call
    } else {
        quote! {
            match (#(#evaluated,)*) {
                (#(#bindings,)*) => #call,
            }
        }
    }
}

/// The parameter each argument goes to, in the order of `arguments`; `None` when Python would
/// refuse the call.
fn slots(listed: &Listed, arguments: &[Argument<'_>]) -> Option<Vec<usize>> {
    let names = &listed.names;
    let mut slots = Vec::with_capacity(arguments.len());
    for argument in arguments {
        let slot = match argument.keyword {
            None if argument.index < listed.positional => argument.index,
            None => return None,
            Some(keyword) => {
                let keyword = keyword.unraw();
                let slot = names
                    .iter()
                    .position(|name| name.ident.unraw() == keyword)?;
                if slot < listed.positional_only {
                    return None;
                }
                slot
            }
        };
        if slots.contains(&slot) {
            return None;
        }
        slots.push(slot);
    }
    let complete = names
        .iter()
        .enumerate()
        .all(|(slot, name)| name.default.is_some() || slots.contains(&slot));
    complete.then_some(slots)
}

#[cfg(test)]
mod tests {
    use quote::quote;

    use super::slots;
    use crate::call::args::arguments;
    use crate::call::parse;
    use crate::errors::Errors;

    /// The slots of `call` against `(a, b, /, c, d = _, *, e, f = _)`.
    fn bound(call: proc_macro2::TokenStream) -> Option<Vec<usize>> {
        let mut errors = Errors::default();
        let listed =
            crate::signature::parse_listed(quote!(a, b, /, c, d = _, *, e, f = _), &mut errors);
        let call = parse::parse(call, &mut errors).expect("the call parses");
        assert!(errors.is_empty());
        slots(&listed, &arguments(&call))
    }

    #[test]
    fn binds_as_python_does() {
        assert_eq!(bound(quote!(f(1, 2, 3, e = 5))), Some(vec![0, 1, 2, 4]));
        assert_eq!(
            bound(quote!(f(1, 2, f = 6, c = 3, e = 5, d = 4))),
            Some(vec![0, 1, 5, 2, 4, 3])
        );
        assert_eq!(
            bound(quote!(f(1, 2, 3, 4, e = 5))),
            Some(vec![0, 1, 2, 3, 4])
        );
    }

    #[test]
    fn refuses_what_python_refuses() {
        // Too many positional arguments, a keyword-only one by position.
        assert_eq!(bound(quote!(f(1, 2, 3, 4, 5))), None);
        // A positional-only parameter by keyword.
        assert_eq!(bound(quote!(f(1, b = 2, c = 3, e = 5))), None);
        // Twice: by position and by keyword.
        assert_eq!(bound(quote!(f(1, 2, 3, c = 3, e = 5))), None);
        // An unknown keyword.
        assert_eq!(bound(quote!(f(1, 2, 3, e = 5, g = 1))), None);
        // Missing: a positional parameter, a keyword-only one.
        assert_eq!(bound(quote!(f(1, 2, e = 5))), None);
        assert_eq!(bound(quote!(f(1, 2, 3))), None);
    }

    #[test]
    fn raw_identifiers_match_their_names() {
        let mut errors = Errors::default();
        let listed = crate::signature::parse_listed(quote!(r#type, *, r#in = _), &mut errors);
        let call = parse::parse(quote!(f(1, r#in = 2)), &mut errors).expect("parses");
        assert_eq!(slots(&listed, &arguments(&call)), Some(vec![0, 1]));
        let call = parse::parse(quote!(f(r#type = 1)), &mut errors).expect("parses");
        assert_eq!(slots(&listed, &arguments(&call)), Some(vec![0]));
    }
}

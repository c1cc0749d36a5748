//! `#[signature(a, b, /, c, d = 4, *, e, f = 6)]`: the list as written, checked against
//! Python's grammar (each mistake with the message CPython's parser gives).

use syn::parse::{Parse, ParseStream};
use syn::punctuated::Punctuated;
use syn::{Expr, Ident, Token};

use crate::errors::Errors;

/// One entry of the list.
enum Entry {
    /// `name` or `name = default`.
    Name(Name),
    /// `/`: the names before it are positional-only.
    Slash(Token![/]),
    /// `*`: the names after it are keyword-only.
    Star(Token![*]),
    /// `*args` or `**kwargs`: Python's variadic parameters, which Rust functions cannot have.
    Variadic {
        stars: proc_macro2::TokenStream,
        name: Ident,
    },
}

/// A parameter as the signature names it.
pub(crate) struct Name {
    pub(crate) ident: Ident,
    pub(crate) default: Option<Expr>,
    /// Already reported (a duplicate, or `*args`): it still stands for a parameter, so that
    /// the names after it are matched with the right ones, but raises no further error.
    pub(crate) reported: bool,
}

/// The signature: names in order, and where `/` and `*` fall.
pub(crate) struct Signature {
    pub(crate) names: Vec<Name>,
    /// False when the list did not parse: the names are then too few to check the function by.
    pub(crate) complete: bool,
    /// How many names come before `/` (0 without one).
    pub(crate) positional_only: usize,
    /// A `/` before every name: valid only after a method's receiver, which counts among the
    /// positional parameters, as in Python's `def method(self, /)` (see `Model::new`).
    pub(crate) leading_slash: Option<Token![/]>,
    /// How many names come before `*` (all of them without one).
    pub(crate) positional: usize,
}

impl Parse for Entry {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        if input.peek(Token![/]) {
            return Ok(Entry::Slash(input.parse()?));
        }
        if input.peek(Token![*]) && (input.peek2(Token![*]) || input.peek2(Ident)) {
            let mut stars = proc_macro2::TokenStream::new();
            while input.peek(Token![*]) {
                quote::ToTokens::to_tokens(&input.parse::<Token![*]>()?, &mut stars);
            }
            return Ok(Entry::Variadic {
                stars,
                name: input.parse()?,
            });
        }
        if input.peek(Token![*]) {
            return Ok(Entry::Star(input.parse()?));
        }
        let ident: Ident = input.parse()?;
        let default = if input.peek(Token![=]) {
            input.parse::<Token![=]>()?;
            Some(input.parse()?)
        } else {
            None
        };
        Ok(Entry::Name(Name {
            ident,
            default,
            reported: false,
        }))
    }
}

/// Parses and checks the list; every grammar mistake is recorded, and the names still come back
/// so that the function can be checked against them too.
pub(crate) fn parse(args: proc_macro2::TokenStream, errors: &mut Errors) -> Signature {
    let mut complete = true;
    let entries =
        match syn::parse::Parser::parse2(Punctuated::<Entry, Token![,]>::parse_terminated, args) {
            Ok(entries) => entries,
            Err(error) => {
                errors.push(error);
                complete = false;
                Punctuated::new()
            }
        };

    let mut names: Vec<Name> = Vec::new();
    let mut slash: Option<Token![/]> = None;
    let mut leading_slash = None;
    let mut star: Option<(Token![*], usize)> = None;
    let mut positional_only = 0;
    for entry in entries {
        match entry {
            Entry::Slash(token) => {
                if slash.is_some() {
                    errors.at(token, "/ may appear only once");
                } else if star.is_some() {
                    errors.at(token, "/ must be ahead of *");
                } else if names.is_empty() {
                    leading_slash = Some(token);
                } else {
                    positional_only = names.len();
                }
                slash.get_or_insert(token);
            }
            Entry::Star(token) => {
                if star.is_some() {
                    errors.at(token, "* argument may appear only once");
                } else {
                    star = Some((token, names.len()));
                }
            }
            Entry::Variadic { stars, name } => {
                let written = "*".repeat(stars.clone().into_iter().count());
                errors.at(
                    quote::quote!(#stars #name),
                    format_args!(
                        "`{written}{name}` has no Rust counterpart: a Rust function takes a \
                         fixed number of arguments\n\
                         help: take a slice or a `Vec` for extra positional values, or a map \
                         for extra keywords, as an ordinary parameter"
                    ),
                );
                names.push(Name {
                    ident: name,
                    default: None,
                    reported: true,
                });
            }
            Entry::Name(mut name) => {
                if names.iter().any(|seen| seen.ident == name.ident) {
                    errors.at(
                        &name.ident,
                        format_args!("duplicate argument '{}' in function definition", name.ident),
                    );
                    name.reported = true;
                }
                names.push(name);
            }
        }
    }
    let positional = match star {
        Some((token, at)) => {
            if at == names.len() {
                errors.at(token, "named arguments must follow bare *");
            }
            at
        }
        None => names.len(),
    };
    // Before `*`, a parameter without a default may not follow one with a default: it could
    // never be passed by position.
    let mut seen_default = false;
    for name in names[..positional].iter().filter(|name| !name.reported) {
        match name.default {
            Some(_) => seen_default = true,
            None if seen_default => {
                errors.at(&name.ident, "non-default argument follows default argument");
            }
            None => {}
        }
    }
    Signature {
        names,
        complete,
        positional_only,
        leading_slash,
        positional,
    }
}

#[cfg(test)]
mod tests {
    use quote::quote;

    use super::parse;
    use crate::errors::Errors;

    fn messages(args: proc_macro2::TokenStream) -> Vec<String> {
        let mut errors = Errors::default();
        parse(args, &mut errors);
        errors.messages()
    }

    #[test]
    fn the_full_grammar() {
        let mut errors = Errors::default();
        let sig = parse(quote!(a, b, /, c, d = 4, *, e, f = 6), &mut errors);
        assert!(errors.is_empty());
        assert_eq!(sig.names.len(), 6);
        assert_eq!((sig.positional_only, sig.positional), (2, 4));
        let sig = parse(quote!(), &mut errors);
        assert_eq!(
            (sig.names.len(), sig.positional_only, sig.positional),
            (0, 0, 0)
        );
        let sig = parse(quote!(*, k = 1,), &mut errors);
        assert_eq!((sig.positional_only, sig.positional), (0, 0));
        assert!(errors.is_empty());
    }

    #[test]
    fn pythons_syntax_errors() {
        assert_eq!(messages(quote!(a, /, /)), ["/ may appear only once"]);
        // Valid after a receiver only: the function decides (see `model`).
        let mut errors = Errors::default();
        assert!(parse(quote!(/, a), &mut errors).leading_slash.is_some());
        assert!(errors.is_empty());
        assert_eq!(messages(quote!(*)), ["named arguments must follow bare *"]);
        assert_eq!(messages(quote!(*, a, /)), ["/ must be ahead of *"]);
        assert_eq!(
            messages(quote!(a = 1, b)),
            ["non-default argument follows default argument"]
        );
        assert_eq!(
            messages(quote!(a, a)),
            ["duplicate argument 'a' in function definition"]
        );
        assert_eq!(
            messages(quote!(a, *, b, *, c)),
            ["* argument may appear only once"]
        );
        // Keyword-only parameters may go without a default after one with a default.
        assert!(messages(quote!(*, a = 1, b)).is_empty());
    }

    #[test]
    fn every_mistake_at_once() {
        let found = messages(quote!(x, /, /, a = 1, b, b, *));
        assert_eq!(
            found,
            [
                "/ may appear only once",
                "duplicate argument 'b' in function definition",
                "named arguments must follow bare *",
                // Once: the duplicate `b` is reported as such only.
                "non-default argument follows default argument",
            ]
        );
    }
}

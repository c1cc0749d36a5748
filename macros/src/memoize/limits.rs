//! The values of `maxsize` and `ttl`. A literal (`maxsize = 128`, `ttl = 0.5`) is checked here
//! and expands to its value; any other expression (`maxsize = MAX_ENTRIES`,
//! `ttl = Duration::from_secs(5 * 60)`) is a constant, which the runtime's const fns
//! (`::py38::__private::limits`) convert and check in the cache's `static` initializer, so a
//! constant that makes no sense is a compile error at the expression.

use proc_macro2::{Delimiter, Group, Span, TokenStream};
use quote::{ToTokens, quote, quote_spanned};
use syn::{Expr, ExprLit, Lit, Path};

use crate::errors::Errors;
use crate::paths;

/// `maxsize = ...`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Maxsize {
    /// `maxsize = 128`, or `maxsize = None` (`None`: unbounded).
    Literal(Option<usize>),
    /// `maxsize = MAX_ENTRIES`: an integer or an `Option<usize>`.
    Const(Box<Constant>),
}

/// `ttl = ...`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Ttl {
    /// `ttl = 300` or `ttl = 0.5`, in nanoseconds.
    Nanos(u64),
    /// `ttl = CACHE_TTL_SECS`: seconds (an integer or a float), or a `Duration`.
    Const(Box<Constant>),
}

/// An option given as a constant expression: `maxsize = MAX_ENTRIES`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Constant {
    /// The option's name as written (`maxsize`), where the compiler reports the call that
    /// converts the value.
    pub(crate) option: Path,
    pub(crate) value: Expr,
}

impl Constant {
    /// `::py38::__private::limits::maxsize(MAX_ENTRIES)`, spanned from the option's name to
    /// the value's last token: the compiler reports a value that makes no sense (the const
    /// fn panics) at `maxsize = MAX_ENTRIES`, and a type the option does not take at the value,
    /// "required by a bound introduced by this call" at the name.
    fn convert(&self) -> TokenStream {
        let Constant { option, value } = self;
        let name = option
            .segments
            .first()
            .map_or_else(Span::call_site, |s| s.ident.span());
        let last = value
            .to_token_stream()
            .into_iter()
            .last()
            .map_or(name, |token| token.span());
        let limits = paths::limits_at(name);
        let mut call = Group::new(Delimiter::Parenthesis, quote!(#value));
        call.set_span(last);
        quote_spanned!(name=> #limits::#option #call)
    }

    /// The value as written, for docs: `Duration::from_secs(5 * 60)` (tokens print as
    /// `Duration :: from_secs (5 * 60)` outside the compiler).
    fn text(&self) -> String {
        let spaced = self.value.to_token_stream().to_string();
        let tidy = spaced
            .replace(" :: ", "::")
            .replace(" . ", ".")
            .replace("( ", "(")
            .replace(" )", ")")
            .replace(" ,", ",");
        // A call's parenthesis follows a name: `from_secs(`, but `- (`.
        let mut text = String::new();
        for (i, piece) in tidy.split(" (").enumerate() {
            if i > 0 {
                let call = text.ends_with(|c: char| c.is_alphanumeric() || c == '_' || c == '>');
                text.push_str(if call { "(" } else { " (" });
            }
            text.push_str(piece);
        }
        text
    }
}

impl Maxsize {
    /// Its value, when written as a literal.
    pub(crate) fn literal(&self) -> Option<Option<usize>> {
        match self {
            Maxsize::Literal(maxsize) => Some(*maxsize),
            Maxsize::Const(_) => None,
        }
    }

    /// As the runtime takes it: an `Option<usize>`.
    pub(crate) fn expr(&self) -> TokenStream {
        match self {
            Maxsize::Literal(Some(n)) => quote!(::core::option::Option::Some(#n)),
            Maxsize::Literal(None) => quote!(::core::option::Option::None),
            Maxsize::Const(constant) => constant.convert(),
        }
    }

    /// [`Maxsize::expr`] as code text, for a literal (which holds no span of the user's).
    pub(crate) fn literal_text(&self) -> Option<String> {
        match self {
            Maxsize::Literal(Some(n)) => Some(format!("::core::option::Option::Some({n}usize)")),
            Maxsize::Literal(None) => Some("::core::option::Option::None".to_owned()),
            Maxsize::Const(_) => None,
        }
    }

    /// For the memoized function's doc: `the 128 most recently used results`.
    pub(crate) fn doc(&self) -> String {
        match self {
            Maxsize::Literal(Some(n)) => format!("the {n} most recently used results"),
            Maxsize::Literal(None) => "every result".to_owned(),
            Maxsize::Const(constant) => {
                format!("the `{}` most recently used results", constant.text())
            }
        }
    }
}

impl Ttl {
    /// As the runtime takes it: an `Option<Duration>`.
    pub(crate) fn expr(&self) -> TokenStream {
        match self {
            Ttl::Nanos(nanos) => {
                quote!(::core::option::Option::Some(::core::time::Duration::from_nanos(#nanos)))
            }
            Ttl::Const(constant) => constant.convert(),
        }
    }

    /// [`Ttl::expr`] as code text, for a literal (which holds no span of the user's).
    pub(crate) fn literal_text(&self) -> Option<String> {
        match self {
            Ttl::Nanos(nanos) => Some(format!(
                "::core::option::Option::Some(::core::time::Duration::from_nanos({nanos}u64))"
            )),
            Ttl::Const(_) => None,
        }
    }

    /// For the memoized function's doc: `each for 0.5 s`.
    pub(crate) fn doc(&self) -> String {
        match self {
            Ttl::Nanos(nanos) => {
                #[allow(clippy::cast_precision_loss)] // shown to the reader, not computed with
                let seconds = *nanos as f64 / 1e9;
                format!("each for {seconds} s")
            }
            Ttl::Const(constant) => format!("each for `ttl = {}`", constant.text()),
        }
    }
}

/// `Some(Maxsize)`, or `None` after recording an error.
pub(crate) fn parse_maxsize(option: &Path, value: &Expr, errors: &mut Errors) -> Option<Maxsize> {
    const HELP: &str = "`maxsize` takes a non-negative integer or `None`";
    match value {
        Expr::Path(path) if path.path.is_ident("None") => Some(Maxsize::Literal(None)),
        _ if is_negative(value) => {
            errors.at(
                value,
                format!("{HELP}; a negative size makes no sense here"),
            );
            None
        }
        Expr::Lit(ExprLit {
            lit: Lit::Int(int), ..
        }) => match int.base10_parse::<usize>() {
            Ok(n) => Some(Maxsize::Literal(Some(n))),
            Err(_) => {
                errors.at(int, format!("{HELP}; `{int}` does not fit in a `usize`"));
                None
            }
        },
        Expr::Lit(_) => {
            errors.at(value, HELP);
            None
        }
        _ => constant(option, value, errors).map(Maxsize::Const),
    }
}

/// `Some(Ttl)`, or `None` after recording an error.
pub(crate) fn parse_ttl(option: &Path, value: &Expr, errors: &mut Errors) -> Option<Ttl> {
    const HELP: &str = "`ttl` takes a number of seconds, such as `ttl = 300` or `ttl = 0.5`";
    let seconds = match value {
        _ if is_negative(value) => {
            errors.at(
                value,
                format!("{HELP}; a negative time to live makes no sense"),
            );
            return None;
        }
        Expr::Lit(ExprLit {
            lit: Lit::Int(int), ..
        }) => int.base10_parse::<f64>().ok(),
        Expr::Lit(ExprLit {
            lit: Lit::Float(float),
            ..
        }) => float.base10_parse::<f64>().ok(),
        Expr::Lit(_) => None,
        Expr::Path(path) if path.path.is_ident("None") => None,
        _ => return constant(option, value, errors).map(Ttl::Const),
    };
    match seconds {
        Some(s) if s > 0.0 && s.is_finite() && s * 1e9 < u64::MAX as f64 => {
            // Rounded to whole nanoseconds, the finest a `Duration` holds.
            #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
            Some(Ttl::Nanos((s * 1e9).round() as u64))
        }
        Some(_) => {
            errors.at(value, format!("{HELP}; it must be more than zero"));
            None
        }
        None => {
            errors.at(value, HELP);
            None
        }
    }
}

/// A constant expression, unless it names `Self`: the cache is a `static`, which cannot.
fn constant(option: &Path, value: &Expr, errors: &mut Errors) -> Option<Box<Constant>> {
    match crate::syntax::find_self(value.to_token_stream()) {
        Some(self_token) => {
            errors.at(
                self_token,
                format!(
                    "`{}` cannot name `Self`: the cache is a `static`, which cannot; \
                     name the type instead (`Grid::MAX` for `Self::MAX`)",
                    option.to_token_stream()
                ),
            );
            None
        }
        None => Some(Box::new(Constant {
            option: option.clone(),
            value: value.clone(),
        })),
    }
}

/// `-1` as written: a minus and a literal, or (as rustc hands over an option that ends the
/// attribute) one negative literal; both get the same message. (`-MAX` is a constant.)
fn is_negative(value: &Expr) -> bool {
    match value {
        Expr::Unary(unary) => {
            matches!(unary.op, syn::UnOp::Neg(_)) && matches!(*unary.expr, Expr::Lit(_))
        }
        Expr::Lit(ExprLit {
            lit: Lit::Int(int), ..
        }) => int.base10_digits().starts_with('-'),
        Expr::Lit(ExprLit {
            lit: Lit::Float(float),
            ..
        }) => float.base10_digits().starts_with('-'),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn maxsize(value: TokenStream) -> Result<Maxsize, Vec<String>> {
        let mut errors = Errors::default();
        let parsed = parse_maxsize(&name("maxsize"), &syn::parse2(value).unwrap(), &mut errors);
        parsed.ok_or_else(|| errors.messages())
    }

    fn name(option: &str) -> Path {
        syn::Ident::new(option, Span::call_site()).into()
    }

    fn constant(option: &str, value: TokenStream) -> Box<Constant> {
        Box::new(Constant {
            option: name(option),
            value: syn::parse2(value).unwrap(),
        })
    }

    fn ttl(value: TokenStream) -> Result<Ttl, Vec<String>> {
        let mut errors = Errors::default();
        let parsed = parse_ttl(&name("ttl"), &syn::parse2(value).unwrap(), &mut errors);
        parsed.ok_or_else(|| errors.messages())
    }

    #[test]
    fn literals_are_values_and_other_expressions_constants() {
        assert_eq!(maxsize(quote!(128)), Ok(Maxsize::Literal(Some(128))));
        assert_eq!(maxsize(quote!(None)), Ok(Maxsize::Literal(None)));
        assert_eq!(ttl(quote!(1.5)), Ok(Ttl::Nanos(1_500_000_000)));
        for value in [
            quote!(MAX_ENTRIES),
            quote!(config::MAX),
            quote!(4 * 1024),
            quote!(MAX / 2),
            quote!(-MAX),
            quote!(LIMIT as usize),
            quote!({ MAX + 1 }),
        ] {
            assert_eq!(
                maxsize(value.clone()),
                Ok(Maxsize::Const(constant("maxsize", value.clone())))
            );
            assert_eq!(ttl(value.clone()), Ok(Ttl::Const(constant("ttl", value))));
        }
        assert!(matches!(
            ttl(quote!(Duration::from_secs(5 * 60))),
            Ok(Ttl::Const(_))
        ));
    }

    #[test]
    fn a_constant_goes_through_the_runtime_at_its_own_span() {
        let Ok(constant) = maxsize(quote!(MAX_ENTRIES / 2)) else {
            panic!()
        };
        assert_eq!(
            constant.expr().to_string(),
            quote!(::py38::__private::limits::maxsize(MAX_ENTRIES / 2)).to_string()
        );
        let Ok(constant) = ttl(quote!(CACHE_TTL)) else {
            panic!()
        };
        assert_eq!(
            constant.expr().to_string(),
            quote!(::py38::__private::limits::ttl(CACHE_TTL)).to_string()
        );
        assert_eq!(constant.doc(), "each for `ttl = CACHE_TTL`");
        let Ok(constant) = ttl(quote!(core::time::Duration::from_secs((5 * 60) - 1))) else {
            panic!()
        };
        assert_eq!(
            constant.doc(),
            "each for `ttl = core::time::Duration::from_secs((5 * 60) - 1)`"
        );
        let Ok(constant) = maxsize(quote!(-(MAX as i64) + limit(2))) else {
            panic!()
        };
        assert_eq!(
            constant.doc(),
            "the `- (MAX as i64) + limit(2)` most recently used results"
        );
    }

    #[test]
    fn literal_mistakes_are_reported_as_before() {
        let negative = "`maxsize` takes a non-negative integer or `None`; a negative size \
                        makes no sense here";
        assert_eq!(maxsize(quote!(-1)), Err(vec![negative.to_owned()]));
        let help = "`maxsize` takes a non-negative integer or `None`";
        assert_eq!(maxsize(quote!("big")), Err(vec![help.to_owned()]));
        assert_eq!(maxsize(quote!(1.5)), Err(vec![help.to_owned()]));
        let help = "`ttl` takes a number of seconds, such as `ttl = 300` or `ttl = 0.5`";
        assert_eq!(ttl(quote!(None)), Err(vec![help.to_owned()]));
        assert_eq!(ttl(quote!("x")), Err(vec![help.to_owned()]));
        assert!(ttl(quote!(-0.5)).unwrap_err()[0].contains("negative"));
        assert!(ttl(quote!(0)).unwrap_err()[0].contains("more than zero"));
    }

    #[test]
    fn a_constant_cannot_name_self() {
        let message = maxsize(quote!(Self::MAX * 2)).unwrap_err();
        assert_eq!(
            message,
            [
                "`maxsize` cannot name `Self`: the cache is a `static`, which cannot; name the \
              type instead (`Grid::MAX` for `Self::MAX`)"
            ]
        );
        assert!(ttl(quote!(Duration::from_secs(<Self>::TTL))).is_err());
    }
}

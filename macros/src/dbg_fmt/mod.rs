//! `dbg_fmt!` and its family: `{expr=}`, `!r`/`!s`/`!a` and Python's specs, over std's
//! formatting macros. Read the input (`input`, `literal`), scan the literal (`scan`), split
//! each field (`field`), make its expression tokens (`expr`) and translate its spec (`spec`),
//! then hand std's macro a plain format string and arguments (here).
//!
//! This runs at every call site on every build, unoptimised in a debug build: the common
//! inputs take paths that stay off syn's parser (`plain`, `expr::lex`), whose cost was most of
//! the macro's; the output is made token by token rather than through `quote!`.

#[cfg(any(feature = "nightly", test))]
mod columns;
mod expr;
mod field;
mod input;
mod literal;
mod plain;
mod scan;
#[cfg(test)]
mod snapshots;
mod spec;

use proc_macro2::{Delimiter, Group, Ident, Literal, Punct, Spacing, Span, TokenStream, TokenTree};
use quote::{quote, quote_spanned};

use crate::errors::Errors;
use crate::paths;
use input::{FormatString, Input, Shape};
use spec::{Count, Spec};

/// Which std macro a `dbg_*!` macro extends.
#[derive(Clone, Copy)]
pub(crate) enum Kind {
    Format,
    FormatArgs,
    Print,
    Println,
    Eprint,
    Eprintln,
    Write,
    Writeln,
    Panic,
}

impl Kind {
    /// The std macro's path: `::std::print`, ... For `format!`, the `format_args!` that
    /// `call` hands to `::std::fmt::format`.
    fn std_macro(self) -> [&'static str; 2] {
        match self {
            Kind::Format | Kind::FormatArgs => ["core", "format_args"],
            Kind::Print => ["std", "print"],
            Kind::Println => ["std", "println"],
            Kind::Eprint => ["std", "eprint"],
            Kind::Eprintln => ["std", "eprintln"],
            Kind::Write => ["core", "write"],
            Kind::Writeln => ["core", "writeln"],
            Kind::Panic => ["core", "panic"],
        }
    }

    /// `::std::println!(args)`, ..., made token by token (as `quote!` would, with fewer
    /// steps). `format!` becomes what std's `format!` expands to, less its `must_use` wrapper
    /// (`fmt::format` is `#[must_use]` itself): `{ ::std::fmt::format(::core::format_args!(args)) }`.
    /// Going through std's `macro_rules!` `format!` cost the compiler more than the rest of
    /// the expansion (500 calls: 243 against 219 million instructions, incremental). The block
    /// drops the arguments' temporaries where std's does (its spans, call-site, have this
    /// crate's edition, 2024, as std's `format!` has).
    fn call(self, args: Vec<TokenTree>) -> TokenStream {
        let mut call: Vec<TokenTree> = Vec::with_capacity(9);
        path(&mut call, &self.std_macro());
        call.push(Punct::new('!', Spacing::Alone).into());
        call.push(Group::new(Delimiter::Parenthesis, args.into_iter().collect()).into());
        if let Kind::Format = self {
            let format_args = call;
            call = Vec::with_capacity(10);
            path(&mut call, &["std", "fmt", "format"]);
            call.push(Group::new(Delimiter::Parenthesis, format_args.into_iter().collect()).into());
            let block = Group::new(Delimiter::Brace, call.into_iter().collect());
            return TokenTree::Group(block).into();
        }
        call.into_iter().collect()
    }

    fn shape(self) -> Shape {
        Shape {
            destination: matches!(self, Kind::Write | Kind::Writeln),
        }
    }

    /// What stands in for the call when its input has errors, so no follow-up errors come.
    fn stand_in(self) -> TokenStream {
        match self {
            Kind::Format => quote!(::std::string::String::new()),
            Kind::FormatArgs => quote!(::core::format_args!("")),
            Kind::Print | Kind::Println | Kind::Eprint | Kind::Eprintln => quote!(()),
            Kind::Write | Kind::Writeln => quote!(::core::fmt::Result::Ok(())),
            Kind::Panic => quote!(::core::panic!()),
        }
    }
}

/// Entry point of every `dbg_*!` macro.
pub(crate) fn dbg_fmt(kind: Kind, tokens: TokenStream) -> TokenStream {
    let input = match input::parse(tokens, kind.shape()) {
        Ok(input) => input,
        Err(error) => return stand_in(kind, error.to_compile_error()),
    };
    let mut errors = Errors::default();
    let Some(literal) = &input.format else {
        return kind.call(input.destination.unwrap_or_default());
    };
    let format = Format::build(literal, &input, &mut errors);
    if !errors.is_empty() {
        return stand_in(kind, errors.to_compile_errors());
    }
    let mut string = Literal::string(&format.string);
    string.set_span(literal.token.span());
    // `dst, "...", positional..., added..., named = ...`, the user's tokens moved, not cloned
    // (a clone of a group is a call to the compiler).
    let mut args = Vec::new();
    if let Some(destination) = input.destination {
        args.extend(destination);
        args.push(comma());
    }
    args.push(string.into());
    for positional in input.positional {
        args.push(comma());
        args.extend(positional);
    }
    args.extend(format.args);
    for (name, value) in input.named {
        args.push(comma());
        args.push(name.into());
        args.push(Punct::new('=', Spacing::Alone).into());
        args.extend(value);
    }
    kind.call(args)
}

/// `::a::b...`, pushed onto `call`, at the call site.
fn path(call: &mut Vec<TokenTree>, segments: &[&str]) {
    let span = Span::call_site();
    for segment in segments {
        call.push(Punct::new(':', Spacing::Joint).into());
        call.push(Punct::new(':', Spacing::Alone).into());
        call.push(Ident::new(segment, span).into());
    }
}

/// A runtime helper's call around a field's value, as the trees `add` takes.
fn wrap(call: TokenStream) -> Vec<TokenTree> {
    call.into_iter().collect()
}

fn comma() -> TokenTree {
    Punct::new(',', Spacing::Alone).into()
}

fn stand_in(kind: Kind, errors: TokenStream) -> TokenStream {
    let stand_in = kind.stand_in();
    quote!({ #errors #stand_in })
}

/// The format string for std's macro, and the arguments it adds after the user's own.
struct Format {
    string: String,
    /// The added arguments, each after a comma.
    args: Vec<TokenTree>,
    /// How many arguments were added.
    added: usize,
    /// The literal's span, given to the expressions found in it.
    span: Span,
}

impl Format {
    fn build(literal: &FormatString, input: &Input, errors: &mut Errors) -> Format {
        let mut format = Format {
            string: String::new(),
            args: Vec::new(),
            added: 0,
            span: literal.token.span(),
        };
        let pieces = match scan::scan(&literal.value) {
            Ok(pieces) => pieces,
            Err((message, column)) => {
                errors.at(
                    &literal.token,
                    format!("{message} (column {column} of the format string)"),
                );
                return format;
            }
        };
        let first = input.positional.len();
        let named: Vec<String> = input.named.iter().map(|(n, _)| n.to_string()).collect();
        for piece in pieces {
            match piece {
                scan::Piece::Text(text) => format.push_text(&text),
                scan::Piece::Field { body, column } => {
                    let report = |message: String| {
                        format!("in `{{{body}}}` (column {column} of the format string): {message}")
                    };
                    let end = column + body.chars().count() + 2;
                    let span = field_span(&literal.token, column, end);
                    format.span = span;
                    if let Err(message) = format.push_field(&body, first, &named) {
                        errors.push(syn::Error::new(span, report(message)));
                    }
                }
            }
        }
        format
    }

    fn push_text(&mut self, text: &str) {
        // (Bytes: `str::contains` with a pattern costs thousands of instructions unoptimised.)
        if text.as_bytes().contains(&b'{') || text.as_bytes().contains(&b'}') {
            self.string
                .push_str(&text.replace('{', "{{").replace('}', "}}"));
        } else {
            self.string.push_str(text);
        }
    }

    /// A new argument after the user's `first` positional ones; its index.
    fn add(&mut self, first: usize, arg: impl IntoIterator<Item = TokenTree>) -> usize {
        self.args.push(comma());
        self.args.extend(arg);
        self.added += 1;
        first + self.added - 1
    }

    fn push_field(&mut self, body: &str, first: usize, named: &[String]) -> Result<(), String> {
        let field = field::parse(body)?;
        let spec = field.spec.as_deref().map(spec::parse).transpose()?;
        let wrapped = field.conversion == Some('a')
            || (field.conversion.is_some() && spec.is_some())
            || spec.as_ref().is_some_and(|s| s.python.is_needed());
        let argument = if field.is_std()
            && (field.expr.is_empty()
                || field.expr.starts_with(|c: char| c.is_ascii_digit())
                || named.contains(&field.expr))
        {
            // Std's own field: its argument stays as written.
            field.expr.clone()
        } else if !wrapped && named.iter().any(|name| name == field.expr.trim()) {
            // `{x=}` beside `x = ...`: the named argument, as `{x}` would be.
            if let Some(debug) = &field.debug {
                self.push_text(debug);
            }
            field.expr.trim().to_owned()
        } else {
            let expr = expr::tokens(&field.expr, self.span)?;
            if let Some(debug) = &field.debug {
                self.push_text(debug);
            }
            let private = || paths::private_at(self.span);
            let value = match (field.conversion, &spec) {
                (Some(conversion), Some(spec)) if !spec.is_textual() => {
                    return Err(format!(
                        "a `!{conversion}` conversion makes text, which takes only fill, align, \
                         width and precision; drop the conversion to format the value itself"
                    ));
                }
                (None, Some(spec)) if spec.python.is_needed() => {
                    let spec::PythonNumber {
                        grouping,
                        percent,
                        space_sign,
                        sign_aware_fill,
                    } = &spec.python;
                    let option = |c: &Option<char>| match c {
                        Some(c) => quote!(::core::option::Option::Some(#c)),
                        None => quote!(::core::option::Option::None),
                    };
                    let (grouping, fill) = (option(grouping), option(sign_aware_fill));
                    let (span, private) = (self.span, private());
                    wrap(
                        quote_spanned!(span=> #private::number(&(#(#expr)*), #grouping, #percent, #space_sign, #fill)),
                    )
                }
                (Some('a'), _) => {
                    let private = private();
                    wrap(quote_spanned!(self.span=> #private::ascii(&(#(#expr)*))))
                }
                (Some('r'), Some(_)) => {
                    let private = private();
                    wrap(quote_spanned!(self.span=> #private::repr(&(#(#expr)*))))
                }
                (Some(_), Some(_)) => {
                    let private = private();
                    wrap(quote_spanned!(self.span=> #private::text(&(#(#expr)*))))
                }
                _ => expr,
            };
            self.add(first, value).to_string()
        };
        let rust_spec = match (&spec, field.conversion, &field.debug) {
            (Some(spec), _, _) => self.render(spec, first)?,
            (None, Some('r'), _) | (None, None, Some(_)) => "?".to_owned(),
            (None, _, _) => String::new(),
        };
        self.string.push('{');
        self.string.push_str(&argument);
        if !rust_spec.is_empty() {
            self.string.push(':');
            self.string.push_str(&rust_spec);
        }
        self.string.push('}');
        Ok(())
    }

    /// Rust's spelling of a spec; nested `{expr}` counts become arguments.
    fn render(&mut self, spec: &Spec, first: usize) -> Result<String, String> {
        let mut out = spec.flags.clone();
        if let Some(width) = &spec.width {
            out.push_str(&self.count(width, first)?);
        }
        if let Some(precision) = &spec.precision {
            out.push('.');
            out.push_str(&self.count(precision, first)?);
        }
        out.push_str(&spec.ty);
        Ok(out)
    }

    fn count(&mut self, count: &Count, first: usize) -> Result<String, String> {
        Ok(match count {
            Count::Verbatim(text) => text.clone(),
            Count::Nested(text) => {
                let expr = expr::tokens(text, self.span)?;
                format!("{}$", self.add(first, expr))
            }
        })
    }
}

/// The span of the characters `start..end` of the literal's value: exact with the `nightly`
/// feature on a compiler that can say it, else the whole literal.
fn field_span(literal: &Literal, start: usize, end: usize) -> Span {
    #[cfg(feature = "nightly")]
    {
        let offsets = columns::source_offsets(&literal.to_string());
        if let (Some(&from), Some(&to)) = (offsets.get(start), offsets.get(end))
            && let Some(span) = literal.subspan(from..to)
        {
            return span;
        }
    }
    let _ = (start, end);
    literal.span()
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn odd_format_strings_expand_or_err_without_a_panic() {
        for source in [
            "{",
            "}",
            "{:",
            "{!}",
            "{x!}",
            "{x=!}",
            "{x=!r:",
            "{:}",
            "{=}",
            "{ }",
            "{'}",
            "{\"}",
            "{x:{}",
            "{x:{w}",
            "{x=:.}",
            "{x:.{p}}",
            "{é=}",
            "{x=:é^5}",
            "{r#\"",
            "{'a'=}",
            "{x:0$}",
            "{x:.*}",
            "{{{x=}}}",
            "{x=:*=}",
            "{x=: ,.2%}",
        ] {
            let literal = syn::LitStr::new(source, Span::call_site());
            let out = dbg_fmt(Kind::Format, quote!(#literal));
            assert!(syn::parse2::<syn::Expr>(out).is_ok(), "{source}");
        }
    }

    proptest! {
        /// Any format string gives either a call of std's macro or compile errors; the macro
        /// never panics.
        #[test]
        fn any_format_string_expands_or_errs_without_a_panic(
            source in r#"[ -~\t\n{}=!:"'\\]{0,40}"#,
        ) {
            let literal = syn::LitStr::new(&source, Span::call_site());
            let out = dbg_fmt(Kind::Format, quote!(#literal, 1, n = 2));
            prop_assert!(syn::parse2::<syn::Expr>(out).is_ok());
        }
    }
}

//! The input of a `dbg_*!` macro: an optional destination (`dbg_write!`), the format string,
//! then std's positional and named arguments, kept as written.
//!
//! The input is split at its commas and each part checked by `plain`; only an input with a
//! part that `plain` does not recognise (a closure, a turbofish, a mistake) is parsed by syn,
//! whose parser the user's build runs unoptimised. Both read the same input the same way.

use proc_macro2::{Delimiter, Literal, TokenStream, TokenTree};
use quote::ToTokens;
use syn::parse::{Parse, ParseStream};
use syn::{Expr, Ident, LitStr, Token};

use super::{literal, plain};

/// `dst,` (write macros only), `"..."`, `args...`; all optional where std's are.
pub(crate) struct Input {
    pub(crate) destination: Option<Vec<TokenTree>>,
    pub(crate) format: Option<FormatString>,
    pub(crate) positional: Vec<Vec<TokenTree>>,
    pub(crate) named: Vec<(Ident, Vec<TokenTree>)>,
}

/// The format string: its token, and its value.
pub(crate) struct FormatString {
    pub(crate) token: Literal,
    pub(crate) value: String,
}

/// Whether the macro takes a destination first, like `write!`.
#[derive(Clone, Copy)]
pub(crate) struct Shape {
    pub(crate) destination: bool,
}

pub(crate) fn parse(tokens: TokenStream, shape: Shape) -> syn::Result<Input> {
    let trees: Vec<TokenTree> = tokens.into_iter().collect();
    if let Some(input) = parse_plain(&trees, shape) {
        return Ok(input);
    }
    let tokens: TokenStream = trees.into_iter().collect();
    syn::parse::Parser::parse2(|input: ParseStream<'_>| parse_input(input, shape), tokens)
}

/// The input, if every part of it is plain; `None` sends it to syn.
fn parse_plain(trees: &[TokenTree], shape: Shape) -> Option<Input> {
    let mut parts = trees
        .split(|tree| matches!(tree, TokenTree::Punct(p) if p.as_char() == ','))
        .peekable();
    let mut input = Input {
        destination: None,
        format: None,
        positional: Vec::new(),
        named: Vec::new(),
    };
    if shape.destination {
        let destination = parts.next()?;
        plain::is_expression(destination).then_some(())?;
        input.destination = Some(destination.to_vec());
    }
    // Nothing more, or only a trailing comma: no format string.
    match parts.next() {
        None => return Some(input),
        Some([]) if parts.peek().is_none() => return Some(input),
        Some(format) => input.format = Some(format_string(format)?),
    }
    while let Some(part) = parts.next() {
        if part.is_empty() && parts.peek().is_none() {
            break;
        }
        match part {
            [TokenTree::Ident(name), TokenTree::Punct(eq), value @ ..]
                if eq.as_char() == '=' && !starts_with_eq(value) =>
            {
                (plain::is_name(&name.to_string()) && plain::is_expression(value)).then_some(())?;
                input.named.push((name.clone(), value.to_vec()));
            }
            _ => {
                (input.named.is_empty() && plain::is_expression(part)).then_some(())?;
                input.positional.push(part.to_vec());
            }
        }
    }
    Some(input)
}

/// A string literal alone, or inside the invisible group a `macro_rules!` fragment makes.
fn format_string(part: &[TokenTree]) -> Option<FormatString> {
    match part {
        [TokenTree::Literal(token)] => Some(FormatString {
            value: literal::string_value(&token.to_string())?,
            token: token.clone(),
        }),
        [TokenTree::Group(group)] if group.delimiter() == Delimiter::None => {
            format_string(&group.stream().into_iter().collect::<Vec<_>>())
        }
        _ => None,
    }
}

/// `==` after a name is a comparison, not a named argument (syn's rule).
fn starts_with_eq(value: &[TokenTree]) -> bool {
    matches!(value.first(), Some(TokenTree::Punct(p)) if p.as_char() == '=')
}

fn parse_input(input: ParseStream<'_>, shape: Shape) -> syn::Result<Input> {
    let destination = if shape.destination {
        let dst: Expr = input.parse()?;
        if !input.is_empty() {
            input.parse::<Token![,]>()?;
        }
        Some(trees(dst))
    } else {
        None
    };
    let mut parsed = Input {
        destination,
        format: None,
        positional: Vec::new(),
        named: Vec::new(),
    };
    if input.is_empty() {
        return Ok(parsed);
    }
    let format: LitStr = input
        .parse()
        .map_err(|e| syn::Error::new(e.span(), "format argument must be a string literal"))?;
    parsed.format = Some(FormatString {
        value: format.value(),
        token: format.token(),
    });
    while !input.is_empty() {
        input.parse::<Token![,]>()?;
        if input.is_empty() {
            break;
        }
        let arg: Arg = input.parse()?;
        match arg {
            Arg::Named(name, value) => parsed.named.push((name, trees(value))),
            Arg::Positional(value) if parsed.named.is_empty() => {
                parsed.positional.push(trees(value));
            }
            Arg::Positional(value) => {
                return Err(syn::Error::new_spanned(
                    value.to_token_stream(),
                    "positional arguments cannot follow named arguments",
                ));
            }
        }
    }
    Ok(parsed)
}

fn trees(expr: Expr) -> Vec<TokenTree> {
    expr.into_token_stream().into_iter().collect()
}

enum Arg {
    Positional(Expr),
    Named(Ident, Expr),
}

impl Parse for Arg {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        if input.peek(Ident) && input.peek2(Token![=]) && !input.peek2(Token![==]) {
            let name: Ident = input.parse()?;
            input.parse::<Token![=]>()?;
            return Ok(Arg::Named(name, input.parse()?));
        }
        Ok(Arg::Positional(input.parse()?))
    }
}

#[cfg(test)]
mod tests {
    use quote::quote;

    use super::*;

    fn text(trees: &[TokenTree]) -> String {
        trees.iter().cloned().collect::<TokenStream>().to_string()
    }

    /// The input as both ways read it: (plain, syn), each as text.
    fn both(tokens: TokenStream, shape: Shape) -> (Option<String>, String) {
        let show = |input: &Input| {
            format!(
                "{:?} {:?} {:?} {:?}",
                input.destination.as_deref().map(text),
                input
                    .format
                    .as_ref()
                    .map(|f| (f.token.to_string(), &f.value)),
                input.positional.iter().map(|p| text(p)).collect::<Vec<_>>(),
                input
                    .named
                    .iter()
                    .map(|(n, v)| format!("{n} = {}", text(v)))
                    .collect::<Vec<_>>(),
            )
        };
        let trees: Vec<TokenTree> = tokens.clone().into_iter().collect();
        let plain = parse_plain(&trees, shape).map(|input| show(&input));
        let syn = syn::parse::Parser::parse2(|i: ParseStream<'_>| parse_input(i, shape), tokens)
            .map_or_else(|e| format!("error: {e}"), |input| show(&input));
        (plain, syn)
    }

    #[test]
    fn plain_inputs_read_as_syn_reads_them() {
        let format = Shape { destination: false };
        let write = Shape { destination: true };
        for (tokens, shape) in [
            (quote!(), format),
            (quote!("{x=}"), format),
            (quote!("{x=}",), format),
            (quote!("{} {n}", a + 1, b.len(), n = 2,), format),
            (quote!("{} {n}", x == y, n = -v[0]), format),
            (quote!(out, "{x=}"), write),
            (quote!(self.out,), write),
            (quote!(out), write),
            (quote!(r#"{x=} "q""#), format),
        ] {
            let (plain, syn) = both(tokens.clone(), shape);
            assert_eq!(plain.as_ref(), Some(&syn), "{tokens}");
        }
    }

    #[test]
    fn other_inputs_go_to_syn() {
        let format = Shape { destination: false };
        for tokens in [
            quote!(template),
            quote!("a" "b"),
            quote!(,),
            quote!("{}", , a),
            quote!("{}", |a, b| a + b),
            quote!("{}", f::<u8, u16>()),
            quote!("{n}", n = 1, 2),
            quote!("{}", self = 1),
            quote!("{}", x => 1),
            quote!(b"{}"),
        ] {
            let (plain, _) = both(tokens.clone(), format);
            assert_eq!(plain, None, "{tokens}");
        }
    }
}

//! The input of a `dbg_*!` macro: an optional destination (`dbg_write!`), the format string,
//! then std's positional and named arguments, kept as written.

use proc_macro2::TokenStream;
use quote::ToTokens;
use syn::parse::{Parse, ParseStream};
use syn::{Expr, Ident, LitStr, Token};

/// `dst,` (write macros only), `"..."`, `args...`; all optional where std's are.
pub(crate) struct Input {
    pub(crate) destination: Option<Expr>,
    pub(crate) format: Option<LitStr>,
    pub(crate) positional: Vec<Expr>,
    pub(crate) named: Vec<(Ident, Expr)>,
}

/// Whether the macro takes a destination first, like `write!`.
#[derive(Clone, Copy)]
pub(crate) struct Shape {
    pub(crate) destination: bool,
}

pub(crate) fn parse(tokens: TokenStream, shape: Shape) -> syn::Result<Input> {
    syn::parse::Parser::parse2(|input: ParseStream<'_>| parse_input(input, shape), tokens)
}

fn parse_input(input: ParseStream<'_>, shape: Shape) -> syn::Result<Input> {
    let destination = if shape.destination {
        let dst: Expr = input.parse()?;
        if !input.is_empty() {
            input.parse::<Token![,]>()?;
        }
        Some(dst)
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
    parsed.format = Some(
        input
            .parse()
            .map_err(|e| syn::Error::new(e.span(), "format argument must be a string literal"))?,
    );
    while !input.is_empty() {
        input.parse::<Token![,]>()?;
        if input.is_empty() {
            break;
        }
        let arg: Arg = input.parse()?;
        match arg {
            Arg::Named(name, value) => parsed.named.push((name, value)),
            Arg::Positional(value) if parsed.named.is_empty() => parsed.positional.push(value),
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

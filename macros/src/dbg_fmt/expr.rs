//! A field's expression as tokens, each given the literal's span: names in it then resolve
//! where the literal was written (inside a `macro_rules!` too), and errors point at it.
//!
//! The cheapest way that can read the text is taken; each reads it as the next would. `lex`
//! makes tokens of the texts most fields are (identifiers, decimal numbers, punctuation,
//! `(...)` and `[...]`) without the compiler's lexer, which proc_macro2 wraps in a second
//! lexer of its own, unoptimised in the user's build; other texts (strings, chars, comments,
//! exponents, suffixes, non-ASCII) go to the compiler's. `plain` checks that the tokens are an
//! expression; any it does not recognise are parsed by syn, which words the error.

use proc_macro2::{Delimiter, Group, Ident, Literal, Punct, Spacing, Span, TokenStream, TokenTree};
use quote::ToTokens;
use syn::Expr;

use super::plain;

/// The tokens of the expression `text`, or the error that says why it is not one.
pub(crate) fn tokens(text: &str, span: Span) -> Result<Vec<TokenTree>, String> {
    // A name alone (`{x=}`, the most common field): one identifier, no lexing or checking.
    // (A loop over bytes: `trim_matches` with a closure costs several times more unoptimised.)
    let bytes = text.as_bytes();
    let (mut start, mut end) = (0, bytes.len());
    while start < end && matches!(bytes[start], b' ' | b'\t' | b'\n') {
        start += 1;
    }
    while end > start && matches!(bytes[end - 1], b' ' | b'\t' | b'\n') {
        end -= 1;
    }
    let name = &text[start..end];
    if is_ascii_name(name) {
        return Ok(vec![Ident::new(name, span).into()]);
    }
    let lexed = lex(text, span).or_else(|| Some(respan(text.parse().ok()?, span)));
    if let Some(tokens) = lexed
        && plain::is_expression(&tokens)
    {
        return Ok(tokens);
    }
    let expr = syn::parse_str::<Expr>(text)
        .map_err(|error| format!("`{}` is not a Rust expression: {error}", text.trim()))?;
    Ok(respan(expr.into_token_stream(), span))
}

/// An ASCII identifier that is not a keyword (one `plain` takes for an expression).
fn is_ascii_name(text: &str) -> bool {
    let bytes = text.as_bytes();
    let mut at = 0;
    while at < bytes.len() {
        let byte = bytes[at];
        if !(byte.is_ascii_alphabetic() || byte == b'_' || (at > 0 && byte.is_ascii_digit())) {
            return false;
        }
        at += 1;
    }
    at > 0 && plain::is_name(text)
}

fn respan(tokens: TokenStream, span: Span) -> Vec<TokenTree> {
    tokens
        .into_iter()
        .map(|mut tree| {
            if let TokenTree::Group(group) = &tree {
                let inner = respan(group.stream(), span).into_iter().collect();
                let mut inner = Group::new(group.delimiter(), inner);
                inner.set_span(span);
                tree = TokenTree::Group(inner);
            } else {
                tree.set_span(span);
            }
            tree
        })
        .collect()
}

/// The tokens of `text`, each with `span`, if it holds only what this reads.
fn lex(text: &str, span: Span) -> Option<Vec<TokenTree>> {
    let mut at = 0;
    let tokens = until(text, &mut at, None, span)?;
    (at == text.len()).then_some(tokens)
}

/// Tokens from `at` to the `close` bracket (consumed), or to the end.
fn until(text: &str, at: &mut usize, close: Option<u8>, span: Span) -> Option<Vec<TokenTree>> {
    let bytes = text.as_bytes();
    let mut tokens = Vec::new();
    while let Some(&byte) = bytes.get(*at) {
        match byte {
            b' ' | b'\t' | b'\n' => *at += 1,
            b'(' | b'[' => {
                *at += 1;
                let (delimiter, closing) = if byte == b'(' {
                    (Delimiter::Parenthesis, b')')
                } else {
                    (Delimiter::Bracket, b']')
                };
                let inner = until(text, at, Some(closing), span)?;
                let mut group = Group::new(delimiter, inner.into_iter().collect());
                group.set_span(span);
                tokens.push(group.into());
            }
            b')' | b']' => {
                *at += 1;
                return (close == Some(byte)).then_some(tokens);
            }
            b'a'..=b'z' | b'A'..=b'Z' | b'_' => {
                let word = take_while(text, at, |b| b.is_ascii_alphanumeric() || b == b'_');
                // A prefixed literal (`b"`, `r"`, `c'`) or a raw identifier (`r#x`).
                if matches!(bytes.get(*at), Some(b'"' | b'\'' | b'#')) {
                    return None;
                }
                tokens.push(Ident::new(word, span).into());
            }
            b'0'..=b'9' => tokens.push(number(text, at, span)?),
            b'/' if matches!(bytes.get(*at + 1), Some(b'/' | b'*')) => return None,
            _ if is_punct(byte) => {
                *at += 1;
                let spacing = if bytes.get(*at).copied().is_some_and(is_punct) {
                    Spacing::Joint
                } else {
                    Spacing::Alone
                };
                let mut punct = Punct::new(char::from(byte), spacing);
                punct.set_span(span);
                tokens.push(punct.into());
            }
            _ => return None,
        }
    }
    close.is_none().then_some(tokens)
}

fn is_punct(byte: u8) -> bool {
    b"+-*/%^!&|=<>.,:?".contains(&byte)
}

fn take_while<'a>(text: &'a str, at: &mut usize, keep: impl Fn(u8) -> bool) -> &'a str {
    let start = *at;
    while text.as_bytes().get(*at).copied().is_some_and(&keep) {
        *at += 1;
    }
    &text[start..*at]
}

/// `123` or `1.5`, spelled as the compiler spells the same literal; `None` for any other
/// number (`1.`, `1e3`, `0x1f`, `1_000`, `1u8`, `007`).
fn number(text: &str, at: &mut usize, span: Span) -> Option<TokenTree> {
    let bytes = text.as_bytes();
    let start = *at;
    take_while(text, at, |b| b.is_ascii_digit());
    let fraction =
        bytes.get(*at) == Some(&b'.') && bytes.get(*at + 1).is_some_and(u8::is_ascii_digit);
    if fraction {
        *at += 1;
        take_while(text, at, |b| b.is_ascii_digit());
    }
    match bytes.get(*at) {
        // `1.` is a float; `1..2` and `1.max(2)` are not.
        Some(b'.')
            if fraction
                || !matches!(
                    bytes.get(*at + 1),
                    Some(b'.' | b'a'..=b'z' | b'A'..=b'Z' | b'_')
                ) =>
        {
            return None;
        }
        Some(b) if b.is_ascii_alphanumeric() || *b == b'_' => return None,
        _ => {}
    }
    let source = &text[start..*at];
    let mut literal = if fraction {
        let value: f64 = source.parse().ok().filter(|v: &f64| v.is_finite())?;
        let mut spelled = value.to_string();
        if !spelled.contains('.') {
            spelled.push_str(".0");
        }
        (spelled == source).then(|| Literal::f64_unsuffixed(value))?
    } else {
        let value: u64 = source.parse().ok()?;
        (value.to_string() == source).then(|| Literal::u64_unsuffixed(value))?
    };
    literal.set_span(span);
    Some(literal.into())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The tokens as text, with each punct's spacing (`=` joint, `=_` alone).
    fn spelled(tokens: impl IntoIterator<Item = TokenTree>) -> String {
        tokens
            .into_iter()
            .map(|tree| match tree {
                TokenTree::Group(g) => format!("{:?}[{}]", g.delimiter(), spelled(g.stream())),
                TokenTree::Punct(p) if p.spacing() == Spacing::Alone => format!("{}_", p.as_char()),
                other => other.to_string(),
            })
            .collect::<Vec<_>>()
            .join(" ")
    }

    #[test]
    fn lexes_as_the_lexer_does() {
        for text in [
            "a + b + 1",
            " name.len() ",
            "pi * 2.42",
            "1.0 + 100.25",
            "x==-y && !z",
            "v[0].1 .2",
            "1.max(2)",
            "1..2",
            "::std::f64::consts::PI",
            "a<<=b",
            "x.0.1",
            "f(a, (b, [c]))?",
            "_x9",
        ] {
            let lexed = lex(text, Span::call_site()).unwrap_or_else(|| panic!("{text}"));
            let compiler: TokenStream = text.parse().unwrap();
            assert_eq!(spelled(lexed), spelled(compiler), "{text}");
        }
    }

    proptest::proptest! {
        /// What this lexes, it lexes as the lexer does.
        #[test]
        fn lexes_any_text_as_the_lexer_does(text in r##"[a-c_0-9 .,:;=<>!&|+*/%^?()\[\]{}'"#é-]{0,16}"##) {
            if let Some(lexed) = lex(&text, Span::call_site()) {
                let compiler: TokenStream = text.parse().unwrap();
                proptest::prop_assert_eq!(spelled(lexed), spelled(compiler));
            }
        }
    }

    #[test]
    fn leaves_the_rest_to_the_compiler() {
        for text in [
            "\"a\"",
            "'c'",
            "b'c'",
            "r#x",
            "r\"x\"",
            "1.",
            "1e3",
            "0x1f",
            "1_000",
            "1u8",
            "007",
            "1.50",
            "a // c",
            "a /* c */",
            "é",
            "{ a }",
            "(a",
            "a)",
            "(a]",
            "#x",
            "'a: loop {}",
        ] {
            assert!(lex(text, Span::call_site()).is_none(), "{text}");
        }
    }
}

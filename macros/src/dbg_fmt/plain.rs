//! The common expressions, recognised without syn: paths, literals, field accesses, calls and
//! method calls, indexing, `?`, macro calls, prefix and binary operators, and brackets of
//! these. Most fields and arguments are no more than that, and syn's parser, which the user's
//! build runs unoptimised, costs more than the rest of the macro together. Whatever this does
//! not recognise goes to syn, which parses it in full and words the error if there is one:
//! what this accepts, syn accepts too, so the tokens are passed on as they are.

use proc_macro2::{Delimiter, Spacing, TokenTree};

/// Whether `tokens` are one expression of the forms above.
pub(crate) fn is_expression(tokens: &[TokenTree]) -> bool {
    let mut at = 0;
    // Comparisons since the last `&&` or `||`: syn refuses two (`a < b < c`).
    let mut comparisons = 0;
    loop {
        at = skip_prefix_operators(tokens, at);
        let Some(next) = operand(tokens, at) else {
            return false;
        };
        if next == tokens.len() {
            return true;
        }
        let Some((next, operator)) = binary_operator(tokens, next) else {
            return false;
        };
        match operator {
            "&&" | "||" => comparisons = 0,
            "==" | "!=" | "<" | ">" | "<=" | ">=" => comparisons += 1,
            _ => {}
        }
        if comparisons > 1 {
            return false;
        }
        at = next;
    }
}

/// Whether `tokens` are expressions separated by commas, a trailing comma allowed (call
/// arguments, a tuple, an array).
fn is_expression_list(tokens: &[TokenTree]) -> bool {
    let mut items = tokens.split(|tree| is_punct(Some(tree), ','));
    let last = items.next_back();
    items.all(is_expression) && last.is_none_or(|last| last.is_empty() || is_expression(last))
}

fn skip_prefix_operators(tokens: &[TokenTree], mut at: usize) -> usize {
    while let Some(TokenTree::Punct(punct)) = tokens.get(at) {
        match punct.as_char() {
            '-' | '!' | '*' => at += 1,
            '&' => {
                at += 1;
                if matches!(tokens.get(at), Some(TokenTree::Ident(ident)) if ident == "mut") {
                    at += 1;
                }
            }
            _ => break,
        }
    }
    at
}

/// An atom and its postfixes from `at`; where it ends.
fn operand(tokens: &[TokenTree], at: usize) -> Option<usize> {
    let mut at = atom(tokens, at)?;
    loop {
        match tokens.get(at) {
            Some(TokenTree::Punct(dot))
                if dot.as_char() == '.' && !is_punct(tokens.get(at + 1), '.') =>
            {
                match tokens.get(at + 1)? {
                    TokenTree::Ident(name) if is_name(&name.to_string()) => {
                        at += 2;
                        if let Some(TokenTree::Group(args)) = tokens.get(at)
                            && args.delimiter() == Delimiter::Parenthesis
                        {
                            is_stream_list(args).then_some(())?;
                            at += 1;
                        }
                    }
                    TokenTree::Literal(index)
                        if index.to_string().bytes().all(|b| b.is_ascii_digit()) =>
                    {
                        at += 2;
                    }
                    _ => return None,
                }
            }
            Some(TokenTree::Punct(question)) if question.as_char() == '?' => at += 1,
            Some(TokenTree::Group(group)) => {
                let fine = match group.delimiter() {
                    Delimiter::Parenthesis => is_stream_list(group),
                    Delimiter::Bracket => is_expression(&trees(group)),
                    _ => false,
                };
                fine.then_some(())?;
                at += 1;
            }
            _ => return Some(at),
        }
    }
}

/// A literal, a path (or a macro call through one), or a bracketed expression, from `at`.
fn atom(tokens: &[TokenTree], at: usize) -> Option<usize> {
    match tokens.get(at)? {
        TokenTree::Literal(_) => Some(at + 1),
        TokenTree::Ident(ident) => {
            let text = ident.to_string();
            if text == "true" || text == "false" {
                Some(at + 1)
            } else {
                is_path_segment(&text).then_some(())?;
                path(tokens, at + 1)
            }
        }
        TokenTree::Punct(colon) if colon.as_char() == ':' => {
            is_path_separator(tokens, at).then_some(())?;
            path(tokens, at)
        }
        TokenTree::Group(group) => {
            let fine = match group.delimiter() {
                Delimiter::Parenthesis | Delimiter::Bracket => is_stream_list(group),
                Delimiter::None => is_expression(&trees(group)),
                Delimiter::Brace => false,
            };
            fine.then_some(at + 1)
        }
        TokenTree::Punct(_) => None,
    }
}

/// The rest of a path from `at`, just after its first segment or at its leading `::`
/// (`a::b::c`, `::a`), then `!(...)` if it is a macro call.
fn path(tokens: &[TokenTree], mut at: usize) -> Option<usize> {
    while is_path_separator(tokens, at) {
        match tokens.get(at + 2)? {
            TokenTree::Ident(ident) if is_path_segment(&ident.to_string()) => at += 3,
            _ => return None,
        }
    }
    if is_punct(tokens.get(at), '!') && matches!(tokens.get(at + 1), Some(TokenTree::Group(_))) {
        at += 2;
    }
    Some(at)
}

fn is_path_separator(tokens: &[TokenTree], at: usize) -> bool {
    matches!(tokens.get(at), Some(TokenTree::Punct(p)) if p.as_char() == ':' && p.spacing() == Spacing::Joint)
        && is_punct(tokens.get(at + 1), ':')
}

/// A binary operator at `at`, where an operand ended: where the next operand starts.
fn binary_operator(tokens: &[TokenTree], at: usize) -> Option<(usize, &'static str)> {
    let TokenTree::Punct(first) = tokens.get(at)? else {
        return None;
    };
    let second = match (first.spacing(), tokens.get(at + 1)) {
        (Spacing::Joint, Some(TokenTree::Punct(second))) => Some(second),
        _ => None,
    };
    let pair = second.map(|second| (first.as_char(), second.as_char()));
    let (length, operator) = match pair {
        Some(('&', '&')) => (2, "&&"),
        Some(('|', '|')) => (2, "||"),
        Some(('=', '=')) => (2, "=="),
        Some(('!', '=')) => (2, "!="),
        Some(('<', '=')) => (2, "<="),
        Some(('>', '=')) => (2, ">="),
        Some(('<', '<')) => (2, "<<"),
        Some(('>', '>')) => (2, ">>"),
        _ => match first.as_char() {
            '+' => (1, "+"),
            '-' => (1, "-"),
            '*' => (1, "*"),
            '/' => (1, "/"),
            '%' => (1, "%"),
            '^' => (1, "^"),
            '&' => (1, "&"),
            '|' => (1, "|"),
            '<' => (1, "<"),
            '>' => (1, ">"),
            _ => return None,
        },
    };
    let last = match tokens.get(at + length - 1)? {
        TokenTree::Punct(last) => last,
        _ => return None,
    };
    // A punct joined to the operator could make another token with it (`<<=`, `<-`): only a
    // prefix operator may follow it, and `<` `-` is not taken.
    if last.spacing() == Spacing::Joint {
        let TokenTree::Punct(next) = tokens.get(at + length)? else {
            return None;
        };
        let glues = next.as_char() == '=' || (operator == "<" && next.as_char() == '-');
        if glues || !matches!(next.as_char(), '-' | '!' | '*' | '&') {
            return None;
        }
    }
    Some((at + length, operator))
}

fn is_stream_list(group: &proc_macro2::Group) -> bool {
    is_expression_list(&trees(group))
}

fn trees(group: &proc_macro2::Group) -> Vec<TokenTree> {
    group.stream().into_iter().collect()
}

fn is_punct(tree: Option<&TokenTree>, c: char) -> bool {
    matches!(tree, Some(TokenTree::Punct(p)) if p.as_char() == c)
}

/// A name syn takes for an identifier: not a keyword, not `_` (syn's list, by length: a chain
/// of fifty string comparisons costs much in the user's unoptimised build).
pub(crate) fn is_name(text: &str) -> bool {
    !match text.len() {
        1 => text == "_",
        2 => matches!(text, "as" | "do" | "fn" | "if" | "in"),
        3 => matches!(
            text,
            "box" | "dyn" | "for" | "let" | "mod" | "mut" | "pub" | "ref" | "try" | "use"
        ),
        4 => matches!(
            text,
            "else" | "enum" | "impl" | "loop" | "move" | "priv" | "Self" | "self" | "true" | "type"
        ),
        5 => matches!(
            text,
            "async"
                | "await"
                | "break"
                | "const"
                | "crate"
                | "false"
                | "final"
                | "macro"
                | "match"
                | "super"
                | "trait"
                | "where"
                | "while"
                | "yield"
        ),
        6 => matches!(
            text,
            "become" | "extern" | "return" | "static" | "struct" | "typeof" | "unsafe"
        ),
        7 => matches!(text, "unsized" | "virtual"),
        8 => matches!(text, "abstract" | "continue" | "override"),
        _ => false,
    }
}

fn is_path_segment(text: &str) -> bool {
    is_name(text) || matches!(text, "self" | "Self" | "super" | "crate")
}

#[cfg(test)]
mod tests {
    use proc_macro2::TokenStream;

    use super::*;

    fn recognised(text: &str) -> bool {
        let tokens: TokenStream = text.parse().unwrap();
        is_expression(&tokens.into_iter().collect::<Vec<_>>())
    }

    #[test]
    fn common_fields_are_recognised() {
        for text in [
            "x",
            "a + b + 1",
            "name.len()",
            "pi * 2.0",
            "self.items[0].name",
            "v.0 .1",
            "-x * !y",
            "&mut v",
            "&&x",
            "a*-b",
            "a < -1",
            "f(a, b,)",
            "(a, b)",
            "[1, 2, 3].len()",
            "vec![1, 2].len()",
            "std::f64::consts::PI",
            "::std::u8::MAX",
            "Self::X",
            "x? + 1",
            "\"a=b\" == s",
            "a == b && c != d",
            "true",
        ] {
            assert_eq!(
                recognised(text),
                syn::parse_str::<syn::Expr>(text).is_ok(),
                "{text}"
            );
        }
        for text in [
            "x",
            "a + b + 1",
            "name.len()",
            "vec![1, 2].len()",
            "a == b && c != d",
        ] {
            assert!(recognised(text), "{text}");
        }
    }

    #[test]
    fn names_are_what_syn_takes_for_identifiers() {
        let keywords = "_ abstract as async await become box break const continue crate do dyn else \
            enum extern false final fn for if impl in let loop macro match mod move mut override \
            priv pub ref return Self self static struct super trait true try type typeof unsafe \
            unsized use virtual where while yield";
        for word in keywords
            .split_whitespace()
            .chain(["x", "name", "union", "gen", "raw", "r#type"])
        {
            assert_eq!(
                is_name(word),
                syn::parse_str::<syn::Ident>(word).is_ok(),
                "{word}"
            );
        }
    }

    proptest::proptest! {
        /// What this recognises, syn parses.
        #[test]
        fn what_is_recognised_syn_parses(
            text in r##"(a|b1|self|Self|crate|true|as|mut|r#x|1|2\.5|"s"|'c'|\.|::|:|,|;|\+|-|\*|/|%|\^|!|&|\||=|<|>|\?|\(|\)|\[|\]|\{|\}|'a| ){0,14}"##,
        ) {
            if let Ok(tokens) = text.parse::<TokenStream>()
                && is_expression(&tokens.into_iter().collect::<Vec<_>>())
            {
                proptest::prop_assert!(syn::parse_str::<syn::Expr>(&text).is_ok(), "{}", text);
            }
        }
    }

    #[test]
    fn anything_else_goes_to_syn() {
        for text in [
            "",
            "1 +",
            "a b",
            "x as u8",
            "a < b < c",
            "a == b + c != d",
            "|x| x",
            "f::<u8>()",
            "v.iter().map::<u8, _>(f)",
            "S { a: 1 }",
            "if a { b } else { c }",
            "a..b",
            "[x; 3]",
            "a = b",
            "a <<= b",
            "a<-1",
            "x.await",
            "v.0.1",
            "'a: loop {}",
            "_",
            "match x {}",
        ] {
            assert!(!recognised(text), "{text}");
        }
    }
}

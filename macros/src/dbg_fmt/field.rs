//! One `{...}` field: Python's `expr`, `=`, `!conversion` and `:spec`, found the way CPython
//! finds them, with Rust's operators (`==`, `!=`, `<=`, `>=`, `=>`, `..=`, `::`, `!` of unary
//! not and of macro calls) never taken for markers.

/// A field, split into its parts.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Field {
    /// The expression as written (for `{x = }`, `x `), or the argument of a std field.
    pub(crate) expr: String,
    /// For a debug field, the text printed before the value: the expression, `=` and the
    /// whitespace around it, exactly as written.
    pub(crate) debug: Option<String>,
    pub(crate) conversion: Option<char>,
    pub(crate) spec: Option<String>,
}

impl Field {
    /// A field std's `format!` takes as it is: `{}`, `{0}`, `{name}`, with any spec.
    pub(crate) fn is_std(&self) -> bool {
        self.debug.is_none()
            && self.conversion.is_none()
            && (self.expr.is_empty()
                || self.expr.chars().all(|c| c.is_ascii_digit())
                || is_identifier(&self.expr))
    }
}

fn is_identifier(text: &str) -> bool {
    let mut chars = text.chars();
    chars.next().is_some_and(|c| c.is_alphabetic() || c == '_')
        && chars.all(|c| c.is_alphanumeric() || c == '_')
        && text != "_"
}

/// Splits a field body; errors are Python's messages.
pub(crate) fn parse(body: &str) -> Result<Field, String> {
    let chars: Vec<char> = body.chars().collect();
    let end = expression_end(&chars);
    let expr: String = chars[..end].iter().collect();
    let mut at = end;
    let mut debug = None;
    if chars.get(at) == Some(&'=') {
        if expr.trim().is_empty() {
            return Err("f-string: expression required before '='".into());
        }
        at += 1;
        while chars.get(at).is_some_and(|c| c.is_whitespace()) {
            at += 1;
        }
        debug = Some(chars[..at].iter().collect());
        if !matches!(chars.get(at), None | Some('!' | ':')) {
            return Err(
                "f-string: expecting '}' (after `=` only `!conversion`, `:spec` or `}` may follow)"
                    .into(),
            );
        }
    }
    let mut conversion = None;
    if chars.get(at) == Some(&'!') {
        let letters: String = chars[at + 1..].iter().take_while(|c| **c != ':').collect();
        match letters.as_str() {
            "s" | "r" | "a" => conversion = letters.chars().next(),
            _ if letters.trim_end() != letters && !letters.trim().is_empty() => {
                return Err(
                    "f-string: expecting '}' (no whitespace may follow the conversion)".into(),
                );
            }
            _ => {
                return Err(format!(
                    "f-string: invalid conversion character {letters:?}: expected 's', 'r', or 'a'"
                ));
            }
        }
        at += 1 + letters.chars().count();
    }
    let spec = (chars.get(at) == Some(&':')).then(|| chars[at + 1..].iter().collect());
    if debug.is_none() && conversion.is_none() && expr.trim().is_empty() && !expr.is_empty() {
        return Err("f-string: empty expression not allowed".into());
    }
    Ok(Field {
        expr,
        debug,
        conversion,
        spec,
    })
}

/// Where the expression ends: at a debug `=`, a conversion `!` or a spec `:` that stands
/// outside brackets, strings and chars, or at the end.
fn expression_end(chars: &[char]) -> usize {
    let mut depth = 0usize;
    let mut i = 0;
    while i < chars.len() {
        let prev = i.checked_sub(1).map(|k| chars[k]);
        let next = chars.get(i + 1).copied();
        match chars[i] {
            '(' | '[' | '{' => depth += 1,
            ')' | ']' | '}' => depth = depth.saturating_sub(1),
            '"' => i = skip_to(chars, i, '"'),
            '\'' if chars.get(i + 2) == Some(&'\'') => i += 2,
            '=' if depth == 0 && is_debug_marker(prev, next) => return i,
            '!' if depth == 0 && is_conversion_marker(chars, i) => return i,
            ':' if depth == 0 && prev != Some(':') && next != Some(':') => return i,
            _ => {}
        }
        i += 1;
    }
    chars.len()
}

fn is_debug_marker(prev: Option<char>, next: Option<char>) -> bool {
    let operator_before = prev.is_some_and(|c| "=!<>+-*/%^&|.".contains(c));
    let operator_after = matches!(next, Some('=' | '>'));
    !operator_before && !operator_after
}

/// `!` after a complete expression, followed by letters and then `:` or the end: not `!=`,
/// not unary not (`!flag`, `a && !b`), not a macro call (`vec![..]`).
fn is_conversion_marker(chars: &[char], at: usize) -> bool {
    let before = chars[..at].iter().rev().find(|c| !c.is_whitespace());
    let ends_expression = before.is_some_and(|&c| {
        c.is_alphanumeric() || matches!(c, '_' | ')' | ']' | '}' | '"' | '\'' | '?')
    });
    let after: String = chars[at + 1..].iter().take_while(|c| **c != ':').collect();
    ends_expression
        && !after.is_empty()
        && after.trim_end().chars().all(|c| c.is_alphanumeric())
        && !after.starts_with(char::is_whitespace)
}

fn skip_to(chars: &[char], open: usize, close: char) -> usize {
    let mut i = open + 1;
    while i < chars.len() {
        match chars[i] {
            '\\' => i += 2,
            c if c == close => return i,
            _ => i += 1,
        }
    }
    chars.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field(body: &str) -> Field {
        parse(body).unwrap()
    }

    #[test]
    fn finds_the_debug_marker_and_keeps_its_whitespace() {
        let f = field(" a + b = ");
        assert_eq!(f.debug.as_deref(), Some(" a + b = "));
        assert_eq!(f.expr, " a + b ");
        assert_eq!(field("x = :>4").debug.as_deref(), Some("x = "));
    }

    #[test]
    fn operators_are_not_markers() {
        for body in [
            "x==y=",
            "a!=b=",
            "a<=b=",
            "a>=b=",
            "(1..=3).len()=",
            "std::f64::consts::PI=",
        ] {
            let f = field(body);
            assert_eq!(f.debug.as_deref(), Some(body), "{body}");
            assert_eq!((f.conversion, f.spec), (None, None), "{body}");
        }
        assert_eq!(field("!flag=").expr, "!flag");
        assert_eq!(field("a && !b").expr, "a && !b");
        assert_eq!(field("vec![1, 2].len()=").expr, "vec![1, 2].len()");
        assert_eq!(field(r#"s == "a=b:c""#).expr, r#"s == "a=b:c""#);
    }

    #[test]
    fn reads_conversions_and_specs() {
        let f = field("name=!r:^12");
        assert_eq!((f.conversion, f.spec.as_deref()), (Some('r'), Some("^12")));
        assert_eq!(field("x!s").conversion, Some('s'));
        assert_eq!(field("x=:").spec.as_deref(), Some(""));
        assert!(field("x:?").is_std());
        assert!(field("0").is_std());
        assert!(!field("a + b").is_std());
    }

    #[test]
    fn mistakes_get_pythons_messages() {
        assert!(
            parse("=")
                .unwrap_err()
                .contains("expression required before '='")
        );
        assert!(
            parse("x=!z")
                .unwrap_err()
                .contains("invalid conversion character")
        );
        assert!(parse("x=y").unwrap_err().contains("expecting '}'"));
        assert!(parse("x=!r ").unwrap_err().contains("expecting '}'"));
    }
}

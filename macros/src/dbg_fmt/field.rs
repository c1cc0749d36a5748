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

/// Splits a field body; errors are Python's messages. (Indices are of bytes: every marker is
/// ASCII, and a walk over `char`s costs several times more in the user's unoptimised build.)
pub(crate) fn parse(body: &str) -> Result<Field, String> {
    let bytes = body.as_bytes();
    let end = expression_end(body);
    let expr = &body[..end];
    let mut at = end;
    let mut debug = None;
    if bytes.get(at) == Some(&b'=') {
        if is_blank(expr) {
            return Err("f-string: expression required before '='".into());
        }
        let after = &body[at + 1..];
        at += 1;
        if starts_with_space(after) {
            at = body.len() - after.trim_start().len();
        }
        debug = Some(body[..at].to_owned());
        if !matches!(bytes.get(at), None | Some(b'!' | b':')) {
            return Err(
                "f-string: expecting '}' (after `=` only `!conversion`, `:spec` or `}` may follow)"
                    .into(),
            );
        }
    }
    let mut conversion = None;
    if bytes.get(at) == Some(&b'!') {
        let letters = until_colon(&body[at + 1..]);
        match letters {
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
        at += 1 + letters.len();
    }
    let spec = (bytes.get(at) == Some(&b':')).then(|| body[at + 1..].to_owned());
    if debug.is_none() && conversion.is_none() && is_blank(expr) && !expr.is_empty() {
        return Err("f-string: empty expression not allowed".into());
    }
    Ok(Field {
        expr: expr.to_owned(),
        debug,
        conversion,
        spec,
    })
}

/// Whether `text` is whitespace only (or empty), as `trim().is_empty()` says, without
/// `trim`'s walk (unoptimised in the user's build) when it starts with other ASCII.
fn is_blank(text: &str) -> bool {
    match text.as_bytes().first() {
        None => true,
        Some(&first) if first.is_ascii() && !is_ascii_space(first) => false,
        Some(_) => text.trim().is_empty(),
    }
}

/// Whether `text` starts with whitespace, as `trim_start` takes it (non-ASCII: maybe).
fn starts_with_space(text: &str) -> bool {
    text.as_bytes()
        .first()
        .is_some_and(|&first| !first.is_ascii() || is_ascii_space(first))
}

/// The ASCII characters `char::is_whitespace` takes.
fn is_ascii_space(byte: u8) -> bool {
    matches!(byte, b'\t'..=b'\r' | b' ')
}

/// The text up to the first `:`.
fn until_colon(text: &str) -> &str {
    text.split(':').next().unwrap_or(text)
}

/// Where the expression ends: at a debug `=`, a conversion `!` or a spec `:` that stands
/// outside brackets, strings and chars, or at the end.
fn expression_end(body: &str) -> usize {
    let bytes = body.as_bytes();
    let mut depth = 0usize;
    let mut i = 0;
    while i < bytes.len() {
        let prev = i.checked_sub(1).map(|k| bytes[k]);
        let next = bytes.get(i + 1).copied();
        match bytes[i] {
            b'(' | b'[' | b'{' => depth += 1,
            b')' | b']' | b'}' => depth = depth.saturating_sub(1),
            b'"' => i = skip_string(bytes, i),
            b'\'' => i = char_end(body, i),
            b'=' if depth == 0 && is_debug_marker(prev, next) => return i,
            b'!' if depth == 0 && is_conversion_marker(body, i) => return i,
            b':' if depth == 0 && prev != Some(b':') && next != Some(b':') => return i,
            _ => {}
        }
        i += 1;
    }
    bytes.len()
}

fn is_debug_marker(prev: Option<u8>, next: Option<u8>) -> bool {
    let operator_before = prev.is_some_and(|c| b"=!<>+-*/%^&|.".contains(&c));
    let operator_after = matches!(next, Some(b'=' | b'>'));
    !operator_before && !operator_after
}

/// `!` after a complete expression, followed by letters and then `:` or the end: not `!=`,
/// not unary not (`!flag`, `a && !b`), not a macro call (`vec![..]`).
fn is_conversion_marker(body: &str, at: usize) -> bool {
    let before = body[..at].trim_end().chars().next_back();
    let ends_expression = before.is_some_and(|c| {
        c.is_alphanumeric() || matches!(c, '_' | ')' | ']' | '}' | '"' | '\'' | '?')
    });
    let after = until_colon(&body[at + 1..]);
    ends_expression
        && !after.is_empty()
        && after.trim_end().chars().all(char::is_alphanumeric)
        && !after.starts_with(char::is_whitespace)
}

/// From an opening `"`, the index of the closing one (or the end).
fn skip_string(bytes: &[u8], open: usize) -> usize {
    let mut i = open + 1;
    while i < bytes.len() {
        match bytes[i] {
            b'\\' => i += 2,
            b'"' => return i,
            _ => i += 1,
        }
    }
    bytes.len()
}

/// From a `'`, the closing `'` of a one-character char literal (`'='`), or the `'` itself.
fn char_end(body: &str, open: usize) -> usize {
    match body[open + 1..].chars().next() {
        Some(c) if body.as_bytes().get(open + 1 + c.len_utf8()) == Some(&b'\'') => {
            open + 1 + c.len_utf8()
        }
        _ => open,
    }
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

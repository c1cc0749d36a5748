//! Splits a format string into text and fields, as CPython's f-string scanner does: a field
//! runs from `{` to the `}` that closes it, skipping brackets, strings and chars inside the
//! expression, so `{s == "}"=}` and `{vec![1, 2].len()=}` are one field each.

/// A piece of the format string.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Piece {
    /// Text, with `{{` and `}}` already cooked to `{` and `}`.
    Text(String),
    /// The inside of a `{...}`, and the column (in chars) of its `{`.
    Field { body: String, column: usize },
}

/// Scans `source`; an error says what is wrong and at which column. (It walks the bytes: every
/// character it looks for is ASCII, and the user's build runs this unoptimised, where a walk
/// over `char`s costs several times more.)
pub(crate) fn scan(source: &str) -> Result<Vec<Piece>, (String, usize)> {
    let bytes = source.as_bytes();
    let column = |at: usize| source[..at].chars().count();
    let mut pieces = Vec::new();
    let mut text = String::new();
    // The text from `start` to `i` is still to be pushed.
    let mut start = 0;
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'{' | b'}' if bytes.get(i + 1) == Some(&bytes[i]) => {
                text.push_str(&source[start..=i]);
                i += 2;
                start = i;
            }
            b'}' => {
                return Err((
                    "single `}` in a format string; write `}}` for a literal brace".into(),
                    column(i),
                ));
            }
            b'{' => {
                let end = field_end(source, i + 1).ok_or_else(|| {
                    (
                        "this `{` is not closed; write `{{` for a literal brace".to_owned(),
                        column(i),
                    )
                })?;
                text.push_str(&source[start..i]);
                if !text.is_empty() {
                    pieces.push(Piece::Text(std::mem::take(&mut text)));
                }
                pieces.push(Piece::Field {
                    body: source[i + 1..end].to_owned(),
                    column: column(i),
                });
                i = end + 1;
                start = i;
            }
            _ => i += 1,
        }
    }
    text.push_str(&source[start..]);
    if !text.is_empty() {
        pieces.push(Piece::Text(text));
    }
    Ok(pieces)
}

/// The index of the `}` that closes a field whose body starts at `start`.
fn field_end(source: &str, start: usize) -> Option<usize> {
    let bytes = source.as_bytes();
    let mut depth = 0usize;
    let mut i = start;
    while i < bytes.len() {
        match bytes[i] {
            b'(' | b'[' | b'{' => depth += 1,
            b')' | b']' => depth = depth.saturating_sub(1),
            b'}' if depth == 0 => return Some(i),
            b'}' => depth -= 1,
            b'"' => i = skip_string(bytes, i)?,
            b'r' if is_raw_string_start(source, i) => i = skip_raw_string(bytes, i)?,
            b'\'' => i = skip_char(source, i),
            _ => {}
        }
        i += 1;
    }
    None
}

/// From an opening `"`, the index of the closing one.
fn skip_string(bytes: &[u8], open: usize) -> Option<usize> {
    let mut i = open + 1;
    while i < bytes.len() {
        match bytes[i] {
            b'\\' => i += 2,
            b'"' => return Some(i),
            _ => i += 1,
        }
    }
    None
}

fn is_raw_string_start(source: &str, at: usize) -> bool {
    let before_ok = !source[..at]
        .chars()
        .next_back()
        .is_some_and(|c| c.is_alphanumeric() || c == '_');
    let bytes = source.as_bytes();
    let mut i = at + 1;
    while bytes.get(i) == Some(&b'#') {
        i += 1;
    }
    before_ok && bytes.get(i) == Some(&b'"')
}

/// From the `r` of `r#"..."#`, the index of its last `#` (or `"`).
fn skip_raw_string(bytes: &[u8], at: usize) -> Option<usize> {
    let mut i = at + 1;
    let mut hashes = 0;
    while bytes.get(i) == Some(&b'#') {
        hashes += 1;
        i += 1;
    }
    i += 1; // the opening quote
    while i < bytes.len() {
        if bytes[i] == b'"' && (1..=hashes).all(|k| bytes.get(i + k) == Some(&b'#')) {
            return Some(i + hashes);
        }
        i += 1;
    }
    None
}

/// From a `'`, the index of the closing `'` of a char literal, or the `'` itself for a
/// lifetime or label.
fn skip_char(source: &str, open: usize) -> usize {
    let bytes = source.as_bytes();
    let mut after = source[open + 1..].chars();
    match (after.next(), after.next()) {
        (Some('\\'), _) => (open + 2..bytes.len())
            .find(|&k| bytes[k] == b'\'')
            .unwrap_or(open),
        (Some(c), Some('\'')) => open + c.len_utf8() + 1,
        _ => open,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(source: &str) -> Vec<String> {
        scan(source)
            .unwrap()
            .into_iter()
            .filter_map(|p| match p {
                Piece::Field { body, .. } => Some(body),
                Piece::Text(_) => None,
            })
            .collect()
    }

    #[test]
    fn splits_text_and_fields() {
        assert_eq!(
            scan("a {x=} b").unwrap(),
            [
                Piece::Text("a ".into()),
                Piece::Field {
                    body: "x=".into(),
                    column: 2
                },
                Piece::Text(" b".into()),
            ]
        );
    }

    #[test]
    fn braces_strings_and_chars_inside_expressions_do_not_end_a_field() {
        assert_eq!(fields(r#"{s == "}"=}"#), [r#"s == "}""#.to_owned() + "="]);
        assert_eq!(fields("{vec![1, 2].len()=}"), ["vec![1, 2].len()="]);
        assert_eq!(
            fields("{(|v: i32| { v * 2 })(3)=}"),
            ["(|v: i32| { v * 2 })(3)="]
        );
        assert_eq!(fields("{c == '}'=}"), ["c == '}'="]);
        assert_eq!(fields(r##"{r#"}"#=}"##), [r##"r#"}"#="##]);
        assert_eq!(fields("{x:>{width}}"), ["x:>{width}"]);
    }

    #[test]
    fn doubled_braces_are_text() {
        assert_eq!(scan("{{x=}} {x=}").unwrap()[0], Piece::Text("{x=} ".into()));
    }

    #[test]
    fn unbalanced_braces_are_errors_with_a_column() {
        assert_eq!(scan("ab {x").unwrap_err().1, 3);
        assert_eq!(scan("ab } c").unwrap_err().1, 3);
    }
}

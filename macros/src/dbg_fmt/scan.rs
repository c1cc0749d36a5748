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

/// Scans `source`; an error says what is wrong and at which column.
pub(crate) fn scan(source: &str) -> Result<Vec<Piece>, (String, usize)> {
    let chars: Vec<char> = source.chars().collect();
    let mut pieces = Vec::new();
    let mut text = String::new();
    let mut i = 0;
    while i < chars.len() {
        match chars[i] {
            '{' if chars.get(i + 1) == Some(&'{') => {
                text.push('{');
                i += 2;
            }
            '}' if chars.get(i + 1) == Some(&'}') => {
                text.push('}');
                i += 2;
            }
            '}' => {
                return Err((
                    "single `}` in a format string; write `}}` for a literal brace".into(),
                    i,
                ));
            }
            '{' => {
                let end = field_end(&chars, i + 1).ok_or_else(|| {
                    (
                        "this `{` is not closed; write `{{` for a literal brace".to_owned(),
                        i,
                    )
                })?;
                if !text.is_empty() {
                    pieces.push(Piece::Text(std::mem::take(&mut text)));
                }
                pieces.push(Piece::Field {
                    body: chars[i + 1..end].iter().collect(),
                    column: i,
                });
                i = end + 1;
            }
            c => {
                text.push(c);
                i += 1;
            }
        }
    }
    if !text.is_empty() {
        pieces.push(Piece::Text(text));
    }
    Ok(pieces)
}

/// The index of the `}` that closes a field whose body starts at `start`.
fn field_end(chars: &[char], start: usize) -> Option<usize> {
    let mut depth = 0usize;
    let mut i = start;
    while i < chars.len() {
        match chars[i] {
            '(' | '[' | '{' => depth += 1,
            ')' | ']' => depth = depth.saturating_sub(1),
            '}' if depth == 0 => return Some(i),
            '}' => depth -= 1,
            '"' => i = skip_string(chars, i)?,
            'r' if is_raw_string_start(chars, i) => i = skip_raw_string(chars, i)?,
            '\'' => i = skip_char(chars, i),
            _ => {}
        }
        i += 1;
    }
    None
}

/// From an opening `"`, the index of the closing one.
fn skip_string(chars: &[char], open: usize) -> Option<usize> {
    let mut i = open + 1;
    while i < chars.len() {
        match chars[i] {
            '\\' => i += 2,
            '"' => return Some(i),
            _ => i += 1,
        }
    }
    None
}

fn is_raw_string_start(chars: &[char], at: usize) -> bool {
    let before_ok = at == 0 || !(chars[at - 1].is_alphanumeric() || chars[at - 1] == '_');
    let mut i = at + 1;
    while chars.get(i) == Some(&'#') {
        i += 1;
    }
    before_ok && chars.get(i) == Some(&'"')
}

/// From the `r` of `r#"..."#`, the index of its last `#` (or `"`).
fn skip_raw_string(chars: &[char], at: usize) -> Option<usize> {
    let mut i = at + 1;
    let mut hashes = 0;
    while chars.get(i) == Some(&'#') {
        hashes += 1;
        i += 1;
    }
    i += 1; // the opening quote
    while i < chars.len() {
        if chars[i] == '"' && (1..=hashes).all(|k| chars.get(i + k) == Some(&'#')) {
            return Some(i + hashes);
        }
        i += 1;
    }
    None
}

/// From a `'`, the index of the closing `'` of a char literal, or the `'` itself for a
/// lifetime or label.
fn skip_char(chars: &[char], open: usize) -> usize {
    match (chars.get(open + 1), chars.get(open + 2)) {
        (Some('\\'), _) => (open + 2..chars.len())
            .find(|&k| chars[k] == '\'')
            .unwrap_or(open),
        (Some(_), Some('\'')) => open + 2,
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

//! Where each character of a string literal's value sits in its source, so that an error
//! about one field can point at that field (with the `nightly` feature, on a compiler whose
//! `Literal::subspan` works; elsewhere errors point at the whole literal).

/// For each character of the literal's value, the byte offset in the literal's source text
/// (quotes and prefix included) where it starts; one more entry marks the end of the value.
pub(crate) fn source_offsets(source: &str) -> Vec<usize> {
    let bytes = source.as_bytes();
    let mut offsets = Vec::new();
    if let Some(raw) = source.strip_prefix('r') {
        let hashes = raw.bytes().take_while(|&b| b == b'#').count();
        let start = 1 + hashes + 1;
        let end = source.len().saturating_sub(1 + hashes);
        for (i, _) in source.get(start..end).unwrap_or("").char_indices() {
            offsets.push(start + i);
        }
        offsets.push(end);
        return offsets;
    }
    let end = source.len().saturating_sub(1);
    let mut i = 1; // after the opening quote
    while i < end {
        if bytes[i] == b'\\' {
            match bytes.get(i + 1) {
                Some(b'\n') | Some(b'\r') => {
                    // A line continuation: the newline and the next line's indent vanish.
                    i += 2;
                    while i < end && bytes[i].is_ascii_whitespace() {
                        i += 1;
                    }
                }
                Some(b'x') => {
                    offsets.push(i);
                    i += 4;
                }
                Some(b'u') => {
                    offsets.push(i);
                    i += source[i..].find('}').map_or(2, |close| close + 1);
                }
                _ => {
                    offsets.push(i);
                    i += 2;
                }
            }
        } else {
            offsets.push(i);
            i += source[i..].chars().next().map_or(1, char::len_utf8);
        }
    }
    offsets.push(end);
    offsets
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The source text of each value character, by the offsets.
    fn pieces(source: &str) -> Vec<&str> {
        let offsets = source_offsets(source);
        offsets.windows(2).map(|w| &source[w[0]..w[1]]).collect()
    }

    #[test]
    fn plain_escaped_and_raw_literals() {
        assert_eq!(pieces(r#""a{x}""#), ["a", "{", "x", "}"]);
        assert_eq!(
            pieces(r#""\n\x41\u{fc}ü""#),
            ["\\n", "\\x41", "\\u{fc}", "ü"]
        );
        assert_eq!(pieces(r##"r#"{"}"#"##), ["{", "\"", "}"]);
        assert_eq!(pieces("\"a\\\n    b\""), ["a\\\n    ", "b"]);
    }
}

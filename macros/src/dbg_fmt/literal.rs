//! The format string's value, read from its token: a plain or raw string literal, unescaped as
//! the compiler does. Any other literal (a suffix, a byte string, a carriage return in the
//! source) is left to syn, which reads it or words the error.

/// The value of the string literal whose source text is `source`, if it is a plain one.
pub(crate) fn string_value(source: &str) -> Option<String> {
    // (Bytes: `str::contains` with a pattern costs thousands of instructions unoptimised.)
    if source.as_bytes().contains(&b'\r') {
        return None;
    }
    if let Some(raw) = source.strip_prefix('r') {
        let hashes = raw.bytes().take_while(|&b| b == b'#').count();
        let body = raw[hashes..].strip_prefix('"')?;
        return body
            .strip_suffix(&raw[..hashes])?
            .strip_suffix('"')
            .map(str::to_owned);
    }
    let body = source.strip_prefix('"')?.strip_suffix('"')?;
    if !body.as_bytes().contains(&b'\\') {
        return Some(body.to_owned());
    }
    let mut value = String::with_capacity(body.len());
    let mut chars = body.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            value.push(c);
            continue;
        }
        match chars.next()? {
            'n' => value.push('\n'),
            'r' => value.push('\r'),
            't' => value.push('\t'),
            '0' => value.push('\0'),
            c @ ('\\' | '\'' | '"') => value.push(c),
            'x' => {
                let digits: String = chars.by_ref().take(2).collect();
                value.push(char::from(u8::from_str_radix(&digits, 16).ok()?));
            }
            'u' => {
                chars.next().filter(|&c| c == '{')?;
                let digits: String = chars
                    .by_ref()
                    .take_while(|&c| c != '}')
                    .filter(|&c| c != '_')
                    .collect();
                value.push(char::from_u32(u32::from_str_radix(&digits, 16).ok()?)?);
            }
            '\n' => {
                // A line continuation: the newline and the whitespace after it vanish.
                let rest = chars.as_str().trim_start_matches([' ', '\t', '\n']);
                chars = rest.chars();
            }
            _ => return None,
        }
    }
    Some(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The value syn reads from the same source.
    fn syn_value(source: &str) -> String {
        syn::parse_str::<syn::LitStr>(source).unwrap().value()
    }

    #[test]
    fn reads_what_syn_reads() {
        for source in [
            r#""a {x=} b""#,
            r#""\n\t\r\0\\\'\"""#,
            r#""\x41\x7f\u{fc}\u{1_F600}ü""#,
            "\"a\\\n    \t b\\\n\"",
            r##"r#"{"}\n"#"##,
            r#"r"{x}""#,
            r#""""#,
        ] {
            assert_eq!(
                string_value(source).as_deref(),
                Some(&*syn_value(source)),
                "{source}"
            );
        }
    }

    #[test]
    fn leaves_other_literals_to_syn() {
        for source in [
            r#""a"suffix"#,
            r#"b"a""#,
            "'a'",
            "1",
            "\"a\r\nb\"",
            r#"c"a""#,
        ] {
            assert_eq!(string_value(source), None, "{source}");
        }
    }
}

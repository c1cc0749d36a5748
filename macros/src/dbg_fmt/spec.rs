//! Format specs: Python's mini-language and Rust's, translated to Rust's at compile time.
//!
//! `[[fill]align][sign][#][0][width][grouping][.precision][type]`, where width and precision
//! may be a number, Rust's `N$`/`name$`, or Python's nested `{expr}`. Python's `f`, `F`, `d`
//! and `s` types have no Rust spelling and are dropped (Display already prints that way);
//! `e`, `E`, `x`, `X`, `o`, `b`, `?`, `x?`, `X?` and `p` are Rust's own. A type-less `.N`
//! keeps Rust's meaning.

/// A width or precision.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Count {
    /// Written in the spec, or Rust's `N$`/`name$`/`*`: kept as written.
    Verbatim(String),
    /// Python's nested `{expr}`: becomes an argument.
    Nested(String),
}

/// A spec, translated: Rust's spelling, with nested fields still to be made arguments.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Spec {
    /// Everything before the width: fill, align, sign, `#`, `0`.
    pub(crate) flags: String,
    pub(crate) width: Option<Count>,
    pub(crate) precision: Option<Count>,
    /// Rust's type: `""`, `"?"`, `"x"`, ...
    pub(crate) ty: String,
    /// What only Python has, done by a runtime helper around the value.
    pub(crate) python: PythonNumber,
}

/// Python's number options that Rust lacks: digit grouping, `%`, the space sign and `=`
/// alignment (padding between the sign and the digits, with this fill).
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct PythonNumber {
    pub(crate) grouping: Option<char>,
    pub(crate) percent: bool,
    pub(crate) space_sign: bool,
    pub(crate) sign_aware_fill: Option<char>,
}

impl PythonNumber {
    pub(crate) fn is_needed(&self) -> bool {
        *self != PythonNumber::default()
    }
}

impl Spec {
    /// Whether the spec only pads or truncates (what a converted, textual value can take).
    pub(crate) fn is_textual(&self) -> bool {
        self.ty.is_empty() && !self.flags.contains(['+', '-', '#', '0']) && !self.python.is_needed()
    }
}

/// Translates a spec; an error says what to write instead.
pub(crate) fn parse(spec: &str) -> Result<Spec, String> {
    let chars: Vec<char> = spec.chars().collect();
    let mut at = 0;
    let mut flags = String::new();
    let mut python = PythonNumber::default();
    // [[fill]align]
    let is_align = |c: Option<&char>| matches!(c, Some('<' | '>' | '^' | '='));
    if is_align(chars.get(1)) {
        flags.push(chars[0]);
        flags.push(chars[1]);
        at = 2;
    } else if is_align(chars.first()) {
        flags.push(chars[0]);
        at = 1;
    }
    if flags.ends_with('=') {
        python.sign_aware_fill = Some(if flags.chars().count() > 1 {
            chars[0]
        } else {
            ' '
        });
        flags.clear();
    }
    // [sign][#][0]
    match chars.get(at) {
        Some('+' | '-') => {
            flags.push(chars[at]);
            at += 1;
        }
        Some(' ') => {
            python.space_sign = true;
            at += 1;
        }
        _ => {}
    }
    if chars.get(at) == Some(&'z') {
        return Err(
            "the `z` option (negative zero as zero) has no Rust equivalent; drop it".into(),
        );
    }
    if chars.get(at) == Some(&'#') {
        flags.push('#');
        at += 1;
    }
    if chars.get(at) == Some(&'0') && chars.get(at + 1).is_some_and(|c| *c != '$') {
        flags.push('0');
        at += 1;
    }
    let width = count(&chars, &mut at)?;
    if let Some(&separator @ (',' | '_')) = chars.get(at) {
        python.grouping = Some(separator);
        at += 1;
    }
    let precision = if chars.get(at) == Some(&'.') {
        at += 1;
        match count(&chars, &mut at)? {
            Some(count) => Some(count),
            None if chars.get(at) == Some(&'*') => {
                at += 1;
                Some(Count::Verbatim("*".into()))
            }
            None => return Err("a precision needs a number after `.`".into()),
        }
    } else {
        None
    };
    let rest: String = chars[at..].iter().collect();
    let ty = match rest.as_str() {
        "" | "f" | "F" | "d" | "s" => "",
        "?" | "x?" | "X?" | "x" | "X" | "o" | "b" | "e" | "E" | "p" => rest.as_str(),
        "%" => {
            python.percent = true;
            ""
        }
        "g" | "G" => return Err("the `g` type has no Rust equivalent; write `.N` for a fixed precision or `e` for an exponent".into()),
        "n" => return Err("the `n` type (locale-aware) has no Rust equivalent; write no type, or `.N` for floats".into()),
        "c" => return Err("the `c` type has no Rust equivalent; convert the number with `char::from_u32` first".into()),
        other => return Err(format!("unknown format type `{other}`")),
    };
    if python.is_needed() && !ty.is_empty() {
        return Err(format!(
            "digit grouping, `%`, the space sign and `=` alignment apply to decimal numbers; \
             they do not combine with the `{ty}` type"
        ));
    }
    Ok(Spec {
        flags,
        width,
        precision,
        ty: ty.to_owned(),
        python,
    })
}

/// A count at `at`: digits, `N$`, `name$`, or a nested `{expr}`; `None` if there is none.
fn count(chars: &[char], at: &mut usize) -> Result<Option<Count>, String> {
    if chars.get(*at) == Some(&'{') {
        let mut depth = 0;
        for i in *at..chars.len() {
            match chars[i] {
                '{' => depth += 1,
                '}' => {
                    depth -= 1;
                    if depth == 0 {
                        let inner: String = chars[*at + 1..i].iter().collect();
                        *at = i + 1;
                        if inner.trim().is_empty() {
                            return Err("a nested `{}` needs an expression, e.g. `{width}`".into());
                        }
                        return Ok(Some(Count::Nested(inner)));
                    }
                }
                _ => {}
            }
        }
        return Err("a nested `{` in the spec is not closed".into());
    }
    let start = *at;
    let mut i = start;
    while chars
        .get(i)
        .is_some_and(|c| c.is_alphanumeric() || *c == '_')
    {
        i += 1;
    }
    let word: String = chars[start..i].iter().collect();
    if chars.get(i) == Some(&'$') && !word.is_empty() {
        *at = i + 1;
        return Ok(Some(Count::Verbatim(format!("{word}$"))));
    }
    let digits: String = chars[start..]
        .iter()
        .take_while(|c| c.is_ascii_digit())
        .collect();
    if digits.is_empty() {
        return Ok(None);
    }
    *at = start + digits.len();
    Ok(Some(Count::Verbatim(digits)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rust(spec: &str) -> String {
        let s = parse(spec).unwrap();
        let count = |c: &Option<Count>| match c {
            Some(Count::Verbatim(v)) => v.clone(),
            Some(Count::Nested(e)) => format!("<{e}>"),
            None => String::new(),
        };
        let precision = s
            .precision
            .as_ref()
            .map(|_| format!(".{}", count(&s.precision)));
        format!(
            "{}{}{}{}",
            s.flags,
            count(&s.width),
            precision.unwrap_or_default(),
            s.ty
        )
    }

    #[test]
    fn rust_specs_stay_as_they_are() {
        for spec in [
            "", ">8", "*^9", "#X", "x", "#?", ".2e", "+08.3", "<5", "width$", ".prec$", "1$",
            "08b", "x?",
        ] {
            assert_eq!(rust(spec), spec, "{spec}");
        }
    }

    #[test]
    fn python_spellings_are_translated() {
        assert_eq!(rust(".2f"), ".2");
        assert_eq!(rust(">10d"), ">10");
        assert_eq!(rust("s"), "");
        assert_eq!(rust("{width}"), "<width>");
        assert_eq!(rust(">{w}.{p}f"), "><w>.<p>");
    }

    #[test]
    fn untranslatable_spellings_say_what_to_write() {
        assert!(parse("g").unwrap_err().contains("`g` type"));
        assert!(parse("n").unwrap_err().contains("`n` type"));
        assert!(parse("z.2f").unwrap_err().contains("`z`"));
        assert!(parse("_x").unwrap_err().contains("do not combine"));
        assert!(parse("q").unwrap_err().contains("unknown format type"));
    }

    #[test]
    fn python_number_options_are_recorded() {
        assert_eq!(parse(",").unwrap().python.grouping, Some(','));
        assert!(parse(".1%").unwrap().python.percent);
        assert!(parse(" ").unwrap().python.space_sign);
        assert_eq!(parse("*=8").unwrap().python.sign_aware_fill, Some('*'));
        assert_eq!(parse("=+8").unwrap().python.sign_aware_fill, Some(' '));
        assert_eq!(rust("*=8"), "8");
    }
}

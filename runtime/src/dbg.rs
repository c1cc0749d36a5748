//! Runtime helpers of `dbg_fmt!`: the `!a` conversion, and conversions that meet a spec.
//!
//! A conversion turns the value into text; a spec after it pads or truncates that text as a
//! string (Python's rule), which `Formatter::pad` does. Used only where a field asks for it.
//! Their bounds sit on the `Display` impls alone, so a value that cannot be shown gets one
//! error, from `format_args!`.

use core::fmt::{self, Debug, Display, Write as _};

/// `!r` with a spec: the `Debug` text, padded.
pub struct Repr<'a, T: ?Sized>(&'a T);
/// `!s` with a spec: the `Display` text, padded.
pub struct Text<'a, T: ?Sized>(&'a T);
/// `!a`: the `Debug` text with every non-ASCII character escaped, padded.
pub struct Ascii<'a, T: ?Sized>(&'a T);

/// `{x!r:spec}`.
pub fn repr<T: ?Sized>(value: &T) -> Repr<'_, T> {
    Repr(value)
}
/// `{x!s:spec}`.
pub fn text<T: ?Sized>(value: &T) -> Text<'_, T> {
    Text(value)
}
/// `{x!a}`.
pub fn ascii<T: ?Sized>(value: &T) -> Ascii<'_, T> {
    Ascii(value)
}

impl<T: Debug + ?Sized> Display for Repr<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(&format!("{:?}", self.0))
    }
}

impl<T: Display + ?Sized> Display for Text<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(&self.0.to_string())
    }
}

impl<T: Debug + ?Sized> Display for Ascii<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut escaped = String::new();
        for c in format!("{:?}", self.0).chars() {
            if c.is_ascii() {
                escaped.push(c);
            } else {
                write!(escaped, "{}", c.escape_unicode())?;
            }
        }
        f.pad(&escaped)
    }
}

#[cfg(test)]
mod tests;

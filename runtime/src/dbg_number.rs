//! `dbg_fmt!`'s Python number options that Rust's specs lack: digit grouping (`,` `_`),
//! the `%` type, the space sign, and `=` alignment. Rust's spec still carries width,
//! precision, `+` and `0`; this helper reads them from the `Formatter` and does the rest.

use core::fmt::{self, Display, Write as _};

/// A number `dbg_fmt!` can format Python's way.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a number",
    label = "digit grouping, `%`, the space sign and `=` alignment apply to numbers only"
)]
pub trait PyNumber {
    /// Whether the value is negative, and its magnitude's digits with `precision` (for floats).
    fn digits(&self, precision: Option<usize>, percent: bool) -> (bool, String);
}

macro_rules! integers {
    ($($t:ty)*) => {$(
        impl PyNumber for $t {
            #[allow(clippy::cast_precision_loss)] // `%` of a huge integer, as Python's float
            fn digits(&self, precision: Option<usize>, percent: bool) -> (bool, String) {
                #[allow(unused_comparisons)]
                let negative = *self < 0;
                if percent {
                    return (*self as f64).digits(precision, true);
                }
                let text = self.to_string();
                (negative, text.trim_start_matches('-').to_owned())
            }
        }
    )*};
}
integers!(i8 i16 i32 i64 i128 isize u8 u16 u32 u64 u128 usize);

macro_rules! floats {
    ($($t:ty)*) => {$(
        impl PyNumber for $t {
            fn digits(&self, precision: Option<usize>, percent: bool) -> (bool, String) {
                let value = if percent { *self * 100.0 } else { *self };
                // Python's `%` defaults to six digits after the point.
                let precision = precision.or(percent.then_some(6));
                let magnitude = value.abs();
                let mut text = match precision {
                    Some(p) => format!("{magnitude:.p$}"),
                    None => format!("{magnitude}"),
                };
                if percent {
                    text.push('%');
                }
                (value.is_sign_negative() && !value.is_nan(), text)
            }
        }
    )*};
}
floats!(f32 f64);

impl<T: PyNumber + ?Sized> PyNumber for &T {
    fn digits(&self, precision: Option<usize>, percent: bool) -> (bool, String) {
        (**self).digits(precision, percent)
    }
}

/// A number with Python's options; see the module docs.
pub struct Number<'a, T: ?Sized> {
    value: &'a T,
    grouping: Option<char>,
    percent: bool,
    space_sign: bool,
    sign_aware_fill: Option<char>,
}

/// `{x:,}`, `{x:.1%}`, `{x: }`, `{x:*=8}` and their combinations.
/// (The bound is on the `Display` impl alone, so a value that is not a number gets one error.)
pub fn number<T: ?Sized>(
    value: &T,
    grouping: Option<char>,
    percent: bool,
    space_sign: bool,
    sign_aware_fill: Option<char>,
) -> Number<'_, T> {
    Number {
        value,
        grouping,
        percent,
        space_sign,
        sign_aware_fill,
    }
}

/// `digits` with `separator` between groups of three in its integer part.
fn group(digits: &str, separator: char) -> String {
    let end = digits
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(digits.len());
    let (integer, rest) = digits.split_at(end);
    let mut out = String::with_capacity(digits.len() + integer.len() / 3);
    for (i, c) in integer.chars().enumerate() {
        if i > 0 && (integer.len() - i) % 3 == 0 {
            out.push(separator);
        }
        out.push(c);
    }
    out.push_str(rest);
    out
}

impl<T: PyNumber + ?Sized> Display for Number<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (negative, mut digits) = self.value.digits(f.precision(), self.percent);
        if let Some(separator) = self.grouping {
            digits = group(&digits, separator);
        }
        let sign = match (negative, f.sign_plus(), self.space_sign) {
            (true, _, _) => "-",
            (false, true, _) => "+",
            (false, false, true) => " ",
            (false, false, false) => "",
        };
        let len = sign.chars().count() + digits.chars().count();
        let padding = f.width().unwrap_or(0).saturating_sub(len);
        let sign_aware = self
            .sign_aware_fill
            .or(f.sign_aware_zero_pad().then_some('0'));
        if let Some(fill) = sign_aware {
            f.write_str(sign)?;
            (0..padding).try_for_each(|_| f.write_char(fill))?;
            return f.write_str(&digits);
        }
        let (before, after) = match f.align() {
            Some(fmt::Alignment::Left) => (0, padding),
            Some(fmt::Alignment::Center) => (padding / 2, padding - padding / 2),
            Some(fmt::Alignment::Right) | None => (padding, 0),
        };
        let fill = f.fill();
        (0..before).try_for_each(|_| f.write_char(fill))?;
        f.write_str(sign)?;
        f.write_str(&digits)?;
        (0..after).try_for_each(|_| f.write_char(fill))
    }
}

#[cfg(test)]
mod tests;

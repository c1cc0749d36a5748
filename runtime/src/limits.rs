//! `maxsize` and `ttl` given as constants (`maxsize = MAX_ENTRIES`, `ttl = CACHE_TTL_SECS`,
//! `ttl = Duration::from_secs(5 * 60)`): converted and checked while the program compiles.
//!
//! A memoized function's cache is a `static`, so its options are computed in a const context,
//! where no trait method can be called (const traits are unstable) and the macro does not know
//! the constant's type. So the traits here only tell which type a value has (a sealed
//! [`sealed::Typed::KIND`]), and [`maxsize`] and [`ttl`], which are `const fn`s, read the value
//! as that type. A value that makes no sense (a negative size, a ttl that is negative, zero or
//! NaN) panics in them; they are `#[track_caller]`, so the compiler reports the panic as an
//! error at the option's expression: "evaluation panicked: `maxsize` must not be negative".
//! A type they do not take is an error at the expression too, by the traits' messages.

use core::time::Duration;

/// What `maxsize` takes: any integer type, or an `Option<usize>` (`None`: unbounded).
#[diagnostic::on_unimplemented(
    message = "`maxsize` takes an integer or `None`, not `{Self}`",
    label = "a constant of an integer type (`usize`, `u32`, `i64`, ...) or an `Option<usize>`"
)]
pub trait Maxsize: sealed::Typed {}

/// What `ttl` takes: seconds, as any integer or float type, or a `Duration`.
#[diagnostic::on_unimplemented(
    message = "`ttl` takes seconds or a `Duration`, not `{Self}`",
    label = "a constant of an integer or float type (seconds) or a `core::time::Duration`"
)]
pub trait Ttl: sealed::Typed {}

mod sealed {
    /// Which type a value has, so that a `const fn` can read it as that type. Sealed (public
    /// in a private module): only the impls in this file say what a type is, and `read` relies
    /// on it.
    #[allow(unreachable_pub)]
    pub trait Typed: Copy {
        const KIND: Kind;
    }

    /// What the `Typed` types are; with the type's size, enough to name it.
    #[allow(unreachable_pub)]
    #[derive(Clone, Copy)]
    pub enum Kind {
        /// `u8`, `u16`, `u32`, `u64`, `u128` or `usize`.
        Unsigned,
        /// `i8`, `i16`, `i32`, `i64`, `i128` or `isize`.
        Signed,
        /// `f32` or `f64`.
        Float,
        /// `core::time::Duration`.
        Duration,
        /// `Option<usize>`.
        OptionUsize,
    }
}

use sealed::{Kind, Typed};

macro_rules! typed {
    ($kind:ident: $($ty:ty),*) => {$(
        impl Typed for $ty {
            const KIND: Kind = Kind::$kind;
        }
    )*};
}

// Not recommended: an error then says what the option takes in a sentence (the traits'
// `label`), not in a list of sixteen types.
macro_rules! takes {
    ($option:ident: $($ty:ty),*) => {$(
        #[diagnostic::do_not_recommend]
        impl $option for $ty {}
    )*};
}

typed!(Unsigned: u8, u16, u32, u64, u128, usize);
typed!(Signed: i8, i16, i32, i64, i128, isize);
typed!(Float: f32, f64);
typed!(Duration: Duration);
typed!(OptionUsize: Option<usize>);

takes!(Maxsize: u8, u16, u32, u64, u128, usize, i8, i16, i32, i64, i128, isize, Option<usize>);
takes!(Ttl: u8, u16, u32, u64, u128, usize, i8, i16, i32, i64, i128, isize, f32, f64, Duration);

/// `maxsize = <constant>` as the cache takes it; panics (at compile time, reported at the
/// constant) if it is negative or does not fit in a `usize`.
#[track_caller]
#[must_use]
pub const fn maxsize<T: Maxsize>(value: T) -> Option<usize> {
    if let Kind::OptionUsize = T::KIND {
        return read::<T, Option<usize>>(&value);
    }
    match integer(&value) {
        Integer::Negative => panic!("`maxsize` must not be negative"),
        Integer::NonNegative(n) if n > usize::MAX as u128 => {
            panic!("`maxsize` is too large: it does not fit in a `usize`")
        }
        #[allow(clippy::cast_possible_truncation)] // checked above
        Integer::NonNegative(n) => Some(n as usize),
    }
}

/// `ttl = <constant>` as the cache takes it: whole seconds, seconds as a float (rounded to
/// the nanosecond, as a literal is) or a `Duration`. Panics (at compile time, reported at the
/// constant) if it is negative, zero, NaN or longer than `u64::MAX` seconds.
#[track_caller]
#[must_use]
pub const fn ttl<T: Ttl>(value: T) -> Option<Duration> {
    let ttl = match T::KIND {
        Kind::Duration => read::<T, Duration>(&value),
        Kind::Float => {
            let seconds = if size_of::<T>() == 4 {
                read::<T, f32>(&value) as f64
            } else {
                read::<T, f64>(&value)
            };
            match float_seconds(seconds) {
                Ok(ttl) => ttl,
                Err(message) => panic!("{}", message),
            }
        }
        _ => match integer(&value) {
            Integer::Negative => panic!("`ttl` must not be negative"),
            Integer::NonNegative(n) if n > u64::MAX as u128 => {
                panic!("`ttl` is too long: it must be less than 2^64 seconds")
            }
            #[allow(clippy::cast_possible_truncation)] // checked above
            Integer::NonNegative(n) => Duration::from_secs(n as u64),
        },
    };
    if ttl.is_zero() {
        panic!("`ttl` must be more than zero");
    }
    Some(ttl)
}

/// Seconds as a float, in a `Duration`: rounded to the nanosecond as `ttl = 0.5` is, and to
/// the second beyond what nanoseconds in a `u64` hold (584 years).
const fn float_seconds(seconds: f64) -> Result<Duration, &'static str> {
    /// 2^64, the first float a `u64` does not hold.
    const WIDE: f64 = 18_446_744_073_709_551_616.0;
    if seconds.is_nan() {
        return Err("`ttl` is NaN; it must be a number of seconds");
    }
    if seconds < 0.0 {
        return Err("`ttl` must not be negative");
    }
    if seconds == 0.0 {
        return Err("`ttl` must be more than zero");
    }
    let nanos = seconds * 1e9;
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)] // in range, checked
    let ttl = if nanos < WIDE {
        Duration::from_nanos(nanos.round() as u64)
    } else if seconds < WIDE {
        Duration::from_secs(seconds.round() as u64)
    } else {
        return Err("`ttl` is too long: it must be less than 2^64 seconds");
    };
    if ttl.is_zero() {
        return Err("`ttl` must be at least a nanosecond");
    }
    Ok(ttl)
}

/// An integer's sign and magnitude.
enum Integer {
    Negative,
    NonNegative(u128),
}

/// The value of a `Kind::Unsigned` or `Kind::Signed` type.
#[allow(clippy::cast_sign_loss)] // each cast follows a check of the sign
const fn integer<T: Typed>(value: &T) -> Integer {
    let signed: i128 = match (T::KIND, size_of::<T>()) {
        (Kind::Unsigned, 1) => return Integer::NonNegative(read::<T, u8>(value) as u128),
        (Kind::Unsigned, 2) => return Integer::NonNegative(read::<T, u16>(value) as u128),
        (Kind::Unsigned, 4) => return Integer::NonNegative(read::<T, u32>(value) as u128),
        (Kind::Unsigned, 8) => return Integer::NonNegative(read::<T, u64>(value) as u128),
        (Kind::Unsigned, _) => return Integer::NonNegative(read::<T, u128>(value)),
        (Kind::Signed, 1) => read::<T, i8>(value) as i128,
        (Kind::Signed, 2) => read::<T, i16>(value) as i128,
        (Kind::Signed, 4) => read::<T, i32>(value) as i128,
        (Kind::Signed, 8) => read::<T, i64>(value) as i128,
        (Kind::Signed, _) => read::<T, i128>(value),
        _ => panic!("not an integer type"),
    };
    if signed < 0 {
        Integer::Negative
    } else {
        Integer::NonNegative(signed as u128)
    }
}

/// `value` as the type `U` it is: the caller has matched `T::KIND` and `T`'s size to `U`.
const fn read<T: Typed, U: Copy>(value: &T) -> U {
    assert!(size_of::<T>() == size_of::<U>() && align_of::<T>() == align_of::<U>());
    // SAFETY: `Typed` is sealed, and its impls above give each type the `Kind` of what it is.
    // The callers read a value of `Kind::Duration` as a `Duration`, of `Kind::OptionUsize` as
    // an `Option<usize>`, and of the integer and float kinds as the primitive of that kind
    // and size: `U` is `T` itself, or (`usize` and `isize`) the primitive of the same size,
    // whose every bit pattern is valid. The pointer comes from a reference: aligned, and
    // valid for `size_of::<U>()` bytes, which is `T`'s size.
    #[allow(unsafe_code)]
    unsafe {
        core::ptr::from_ref(value).cast::<U>().read()
    }
}

#[cfg(test)]
mod tests;

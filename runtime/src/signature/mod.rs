//! What `#[signature]` and `call!` generate code against.
//!
//! A `#[signature]` function gets a *call handle*: a zero-sized value whose type has one slot
//! per parameter, each [`Unset`] at first. `call!` puts each argument into its slot
//! ([`Put`]), then finishes the handle, which calls the function with every argument in order
//! and the defaults of the slots still unset. Which slot an argument goes to, and whether the
//! call is valid at all, is decided by `const fn`s over the function's [`Signature`]
//! (see [`check`]): a mistake stops compilation with Python's message, on the argument at fault.

mod check;
mod message;

pub use check::{keyword, positional, required};
use message::Message;

/// A function's parameters as `#[signature]` lists them.
pub struct Signature {
    /// The function's name, as Python prints it in messages (`f` gives `f()`).
    pub name: &'static str,
    /// Every parameter, in order.
    pub params: &'static [Param],
    /// How many leading parameters are positional-only (those before `/`).
    pub positional_only: usize,
    /// How many leading parameters may be passed by position (those before `*`).
    pub positional: usize,
}

/// One parameter of a [`Signature`].
pub struct Param {
    /// Its name.
    pub name: &'static str,
    /// Whether it has a default.
    pub default: bool,
}

/// The shape of one call as written: how many positional arguments, and the keywords in order.
pub struct Call {
    /// How many arguments are passed by position.
    pub positional: usize,
    /// The keyword arguments' names, in the order written.
    pub keywords: &'static [&'static str],
}

/// A slot no argument went to: finishing the call uses the parameter's default.
pub struct Unset;

/// A slot holding the argument passed for it.
pub struct Given<T>(pub T);

/// A slot of a parameter with a default: its argument, or the default if none was passed.
pub trait Slot<T> {
    /// The argument, or `default()` when the slot is [`Unset`].
    fn or_default(self, default: impl FnOnce() -> T) -> T;
}

impl<T> Slot<T> for Unset {
    #[inline(always)]
    fn or_default(self, default: impl FnOnce() -> T) -> T {
        default()
    }
}

impl<T> Slot<T> for Given<T> {
    #[inline(always)]
    fn or_default(self, _: impl FnOnce() -> T) -> T {
        self.0
    }
}

/// Puts an argument into slot `I` of a call handle. Each `#[signature]` function implements it
/// for its own handle, once per parameter, with the parameter's type as `V`, so an argument
/// is coerced to that type as in a direct call.
pub trait Put<const I: usize, V> {
    /// The handle with slot `I` holding the argument.
    type Out;
    /// Stores `value` in slot `I`.
    fn put(self, value: V) -> Self::Out;
}

/// A slot of a parameter without a default: finishing a call needs its argument. `call!`
/// reports a missing argument in Python's words before this bound is ever checked.
#[diagnostic::on_unimplemented(
    message = "a required argument is missing",
    label = "this call leaves a parameter without a default unset"
)]
pub trait Required<T> {
    /// The argument.
    fn value(self) -> T;
}

impl<T> Required<T> for Given<T> {
    #[inline(always)]
    fn value(self) -> T {
        self.0
    }
}

/// Carries `call!`'s check that no argument is missing: `OK` is a constant that fails to
/// compile, with Python's message, when one is. A failed constant makes `Out` an error type,
/// which keeps the compiler from adding errors of its own about the same call.
pub trait Checked<const OK: usize> {
    /// The call handle, unchanged.
    type Out;
    /// Returns the handle.
    fn checked(self) -> Self::Out;
}

impl<T, const OK: usize> Checked<OK> for T {
    type Out = T;
    #[inline(always)]
    fn checked(self) -> T {
        self
    }
}

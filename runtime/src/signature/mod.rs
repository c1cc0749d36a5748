//! What `#[signature]` and `call!` generate code against.
//!
//! A call of a free function is bound while `call!` expands (the function's macro hands it the
//! signature): a call Python accepts becomes a direct call. A call Python would refuse becomes
//! constants computed by `const fn`s over the function's [`Signature`] (see [`check`]), which
//! stop compilation with Python's message, on the argument at fault.
//!
//! A method or associated function gets a *call handle* instead (a method's receiver type is
//! known only to type inference, so no macro can see its signature): a zero-sized value whose
//! type has one slot per parameter, each [`Unset`] at first. `call!` puts each argument into
//! its slot through a setter named after its position or keyword, then finishes the handle,
//! which calls the method with every argument in order and the defaults of the slots still
//! unset. The same `const fn`s decide whether the call is valid at all.

mod check;
mod message;

use core::marker::PhantomData;

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
    /// Whether the function is a method: Python counts the receiver among the positional
    /// arguments a method takes and is given (`Point.moved() takes 3 positional arguments but 4
    /// were given` for two parameters and three arguments).
    pub receiver: bool,
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

/// For methods and associated functions, whose calls are checked by constants the compiler
/// evaluates only when it generates code ([`Approved`]): a missing argument must not be a type
/// error first, or the compiler would stop before it shows Python's message. Never runs: code
/// that calls it is code whose [`Approved::required`] constant failed to compile.
impl<T> Required<T> for Unset {
    fn value(self) -> T {
        unreachable!("`call!` rejects a call that leaves a required argument unset")
    }
}

/// The call handle of a method or associated function: its signature, as an associated
/// constant, so that a check can reach it from the handle's type alone.
pub trait Described {
    /// The method's parameters.
    const SIGNATURE: &'static Signature;
    /// The parameters when the method is called through its type (`Point::moved(&p, 1)`): a
    /// method's receiver is then the first, `self`, positional-only. An associated function's
    /// are the same either way.
    const THROUGH_TYPE: &'static Signature = Self::SIGNATURE;
}

/// The checks of a call of a method or associated function. `call!` cannot name the type of a
/// method's receiver, so it cannot check such a call in a constant item, as it does for a free
/// function; it checks it in inline constants (`const { .. }`) whose type the compiler infers
/// from the call handle. Each is [`Approved`] for the handle, or a compile error with Python's
/// message, on the argument at fault.
pub struct Approved<H>(PhantomData<H>);

impl<H: Described> Approved<H> {
    /// The `index`th positional argument has a slot.
    #[track_caller]
    pub const fn positional(call: &Call, index: usize) -> Self {
        check::positional(H::SIGNATURE, call, index);
        Approved(PhantomData)
    }

    /// The `index`th keyword argument has a slot.
    #[track_caller]
    pub const fn keyword(call: &Call, index: usize) -> Self {
        check::keyword(H::SIGNATURE, call, index);
        Approved(PhantomData)
    }

    /// No argument is missing.
    #[track_caller]
    pub const fn required(call: &Call) -> Self {
        check::required(H::SIGNATURE, call);
        Approved(PhantomData)
    }

    /// [`Approved::positional`] for a call through the type (`Point::moved(&p, 1)`).
    #[track_caller]
    pub const fn positional_through_type(call: &Call, index: usize) -> Self {
        check::positional(H::THROUGH_TYPE, call, index);
        Approved(PhantomData)
    }

    /// [`Approved::keyword`] for a call through the type.
    #[track_caller]
    pub const fn keyword_through_type(call: &Call, index: usize) -> Self {
        check::keyword(H::THROUGH_TYPE, call, index);
        Approved(PhantomData)
    }

    /// [`Approved::required`] for a call through the type.
    #[track_caller]
    pub const fn required_through_type(call: &Call) -> Self {
        check::required(H::THROUGH_TYPE, call);
        Approved(PhantomData)
    }
}

/// What `call!` gets in place of a call handle when the method or associated function it
/// calls has no `#[signature]`: the compiler has reported that (with the message `call!`
/// gave), and this type lets the rest of the expansion type-check without adding errors.
pub struct NoSignature;

impl Described for NoSignature {
    const SIGNATURE: &'static Signature = &Signature {
        name: "",
        params: &[],
        positional_only: 0,
        positional: 0,
        receiver: false,
    };
}

impl NoSignature {
    /// Stands in for a handle's `__py38_check`.
    #[doc(hidden)]
    #[must_use]
    pub fn __py38_check(self, approved: Approved<Self>) -> Self {
        let _ = approved;
        self
    }

    /// Stands in for a handle's `__py38_finish`. Never runs: code that calls it did not
    /// compile.
    #[doc(hidden)]
    pub fn __py38_finish(self, _: PhantomData<()>) -> ! {
        unreachable!("`call!` on a function without `#[signature]` does not compile")
    }
}

/// What a call of a free function that Python would refuse evaluates to, after the constants
/// that report the mistakes (with Python's message, on the argument at fault): a value of any
/// type, so that the compiler adds no error of its own about the call, and not `!`, so that it
/// does not warn that the code after the call is unreachable. Never runs: code that calls it
/// did not compile.
#[track_caller]
pub fn refused<T>() -> T {
    unreachable!("`call!` refused this call, so it cannot have compiled")
}

/// Carries `call!`'s checks of a call of a function: `OK` is a constant that uses every one of
/// them, so it fails to compile when one does (with Python's message, on the argument at fault).
/// A failed constant makes `Out` an error type, which keeps the compiler from adding errors of
/// its own about the same call (a setter for a keyword the function does not have, say).
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

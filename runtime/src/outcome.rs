//! Which results a memoized function keeps, decided by its return type through the trait
//! system, never by how the type is spelled: a `Result` under any name (`io::Result<T>`, a
//! `type ApiResult<T> = Result<T, MyError>` alias, a re-export) keeps only its `Ok` values.
//!
//! Generated code asks `Probe::<R>::new().outcome()`. For `R = Result<T, E>`, method lookup
//! finds the inherent `outcome` of `Probe<Result<T, E>>`, which gives [`OkOnly`]. For any other
//! `R`, it finds none there and goes on through `Deref` to [`Plain`], whose `outcome` gives
//! [`Whole`]. Where `R` is a type parameter of the function (`fn f<T>() -> T`), the choice is
//! made where `T` is still unknown: the whole value is kept, `Err` included.

use core::marker::PhantomData;
use core::ops::Deref;

/// How a return type `Result` splits into what the cache stores and what a hit gives back.
pub trait Outcome: Copy {
    /// The function's return type.
    type Result;
    /// What the cache stores: the whole result, or the `T` of `Result<T, E>`.
    type Stored;
    /// The part of `result` to store, if any: `None` for an `Err`.
    fn stored(self, result: &Self::Result) -> Option<&Self::Stored>;
    /// The result a hit gives back.
    fn hit(self, stored: Self::Stored) -> Self::Result;
}

/// The whole result is stored.
pub struct Whole<R>(PhantomData<fn() -> R>);

/// `Result<T, E>`: an `Ok` value is stored, an `Err` never.
pub struct OkOnly<T, E>(PhantomData<fn() -> (T, E)>);

impl<R> Clone for Whole<R> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<R> Copy for Whole<R> {}
impl<R> Default for Whole<R> {
    fn default() -> Self {
        Whole(PhantomData)
    }
}
impl<T, E> Clone for OkOnly<T, E> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<T, E> Copy for OkOnly<T, E> {}

impl<R> Outcome for Whole<R> {
    type Result = R;
    type Stored = R;
    #[cfg_attr(not(debug_assertions), inline(always))]
    fn stored(self, result: &R) -> Option<&R> {
        Some(result)
    }
    #[cfg_attr(not(debug_assertions), inline(always))]
    fn hit(self, stored: R) -> R {
        stored
    }
}

impl<T, E> Outcome for OkOnly<T, E> {
    type Result = Result<T, E>;
    type Stored = T;
    #[cfg_attr(not(debug_assertions), inline(always))]
    fn stored(self, result: &Result<T, E>) -> Option<&T> {
        result.as_ref().ok()
    }
    #[cfg_attr(not(debug_assertions), inline(always))]
    fn hit(self, stored: T) -> Result<T, E> {
        Ok(stored)
    }
}

/// Asks the return type `R` for its [`Outcome`] (see the module's docs).
pub struct Probe<R>(Plain<R>);

/// What [`Probe`] dereferences to: the outcome of a type that is not a `Result`.
pub struct Plain<R>(PhantomData<fn() -> R>);

impl<R> Probe<R> {
    /// The probe of `R`.
    #[cfg_attr(not(debug_assertions), inline(always))]
    #[must_use]
    pub const fn new() -> Self {
        Probe(Plain(PhantomData))
    }
}

impl<R> Default for Probe<R> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T, E> Probe<Result<T, E>> {
    /// A `Result` keeps its `Ok` values only.
    #[cfg_attr(not(debug_assertions), inline(always))]
    #[must_use]
    pub const fn outcome(&self) -> OkOnly<T, E> {
        OkOnly(PhantomData)
    }
}

impl<R> Deref for Probe<R> {
    type Target = Plain<R>;
    #[cfg_attr(not(debug_assertions), inline(always))]
    fn deref(&self) -> &Plain<R> {
        &self.0
    }
}

impl<R> Plain<R> {
    /// Any other type is kept whole.
    #[cfg_attr(not(debug_assertions), inline(always))]
    #[must_use]
    pub const fn outcome(&self) -> Whole<R> {
        Whole(PhantomData)
    }
}

/// The `keep` of a function without the option: every result the outcome stores is kept.
#[cfg_attr(not(debug_assertions), inline(always))]
#[must_use]
pub fn keep_all<V: ?Sized>(_: &V) -> bool {
    true
}

#[cfg(test)]
mod tests;

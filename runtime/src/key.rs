//! Cache keys looked up by the arguments as the caller passed them.
//!
//! A memoized `fn f(name: &str, n: u64)` stores keys of type `(String, u64)` but looks them
//! up with `(Borrowed(name), Owned(&n))`, which hashes to the same value, so a hit allocates
//! nothing and an owned argument is cloned only when a miss stores it.

use core::borrow::Borrow;
use core::hash::{Hash, Hasher};

/// What an argument passed by value must be to take part in a key.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be part of a `#[memoize]` cache key",
    label = "this type must be `Hash + Eq + Clone + Send + Sync + 'static` to be part of the key",
    note = "`#[memoize]` keys the cache by every argument: leave this one out of the key with \
            `#[memoize(ignore = <its name>)]`, or choose the key with `#[memoize(key = ...)]`"
)]
pub trait KeyPart: Hash + Eq + Clone + Send + Sync + 'static {}
impl<T: Hash + Eq + Clone + Send + Sync + 'static> KeyPart for T {}

/// What a borrowed argument `&T` must be: its owned form (`String` for `str`, `Vec<T>` for
/// `[T]`, `T` for a `Clone` type) is stored, the borrowed form is looked up.
#[diagnostic::on_unimplemented(
    message = "`&{Self}` cannot be part of a `#[memoize]` cache key",
    label = "this argument's type must be `Hash + Eq + ToOwned`, with an owned form that is `Clone + Send + Sync + 'static`",
    note = "`#[memoize]` keys the cache by every argument: leave this one out of the key with \
            `#[memoize(ignore = <its name>)]`, or choose the key with `#[memoize(key = ...)]`"
)]
pub trait BorrowedKeyPart:
    Hash + Eq + ToOwned<Owned: Hash + Eq + Clone + Send + Sync + 'static>
{
}
impl<T> BorrowedKeyPart for T
where
    T: Hash + Eq + ToOwned + ?Sized,
    T::Owned: Hash + Eq + Clone + Send + Sync + 'static,
{
}

/// A key (or one part of it) in the form the caller holds it.
pub trait KeyRef: Hash {
    /// The form stored in the cache.
    type Owned: Hash + Eq + Clone + Send + Sync + 'static;
    /// Makes the stored form; called only on a miss.
    fn to_owned_key(&self) -> Self::Owned;
    /// Whether a stored key equals this one.
    fn matches(&self, owned: &Self::Owned) -> bool;
}

/// An argument passed by value: stored as a clone of itself.
pub(crate) struct Owned<'a, T>(pub(crate) &'a T);

/// An argument passed by reference: stored in its owned form.
pub(crate) struct Borrowed<'a, T: ?Sized>(pub(crate) &'a T);

/// An argument on its way into the key, `arg(&n).owned()` or `arg(name).borrowed()`.
///
/// If the argument's type can be a key part, the method of `Arg` makes the part. If not, method
/// lookup goes on through `Deref` to `Unfit`, whose method of the same name has the bound as a
/// `where` clause: the error is reported there, at the span of the call (the argument's type),
/// and only there, since the `Invalid` it returns is a key part whatever the argument. (A
/// generic `owned<T: KeyPart>(&T) -> impl KeyRef` reported the bound a second time, at the
/// lookup's `::<_, ..>` with the macro's span: an opaque type is well-formed only where the
/// bounds of its function hold.)
#[cfg_attr(not(debug_assertions), inline)]
pub fn arg<T: ?Sized>(value: &T) -> Arg<'_, T> {
    Arg(Unfit(value))
}

/// See [`arg`].
pub struct Arg<'a, T: ?Sized>(Unfit<'a, T>);

/// What [`Arg`] dereferences to: the methods that report an argument that cannot be a key.
pub struct Unfit<'a, T: ?Sized>(&'a T);

impl<'a, T: ?Sized> core::ops::Deref for Arg<'a, T> {
    type Target = Unfit<'a, T>;
    fn deref(&self) -> &Unfit<'a, T> {
        &self.0
    }
}

impl<'a, T: KeyPart> Arg<'a, T> {
    /// The key part of an argument passed by value.
    #[cfg_attr(not(debug_assertions), inline)]
    pub fn owned(&self) -> impl KeyRef<Owned = T> + use<'a, T> {
        Owned(self.0.0)
    }
}

impl<'a, T: BorrowedKeyPart + ?Sized> Arg<'a, T> {
    /// The key part of an argument passed by reference.
    #[cfg_attr(not(debug_assertions), inline)]
    pub fn borrowed(&self) -> impl KeyRef<Owned = T::Owned> + use<'a, T> {
        Borrowed(self.0.0)
    }
}

impl<T: ?Sized> Unfit<'_, T> {
    /// Reached only when `T` is not a [`KeyPart`]: reports it. `Clone` is asked apart, first:
    /// for a type that lacks only `Clone`, rustc then names it and suggests deriving it (asked
    /// only for `KeyPart`, it suggests passing `&T`, which is `Clone`).
    pub fn owned(&self) -> Invalid
    where
        T: Clone + KeyPart,
    {
        Invalid
    }

    /// Reached only when `T` is not a [`BorrowedKeyPart`]: reports it.
    pub fn borrowed(&self) -> Invalid
    where
        T: BorrowedKeyPart,
    {
        Invalid
    }
}

/// `arg(value).owned()`, for the crate's tests.
#[cfg(test)]
pub(crate) fn owned<T: KeyPart>(value: &T) -> Owned<'_, T> {
    Owned(value)
}

/// `arg(value).borrowed()`, for the crate's tests.
#[cfg(test)]
pub(crate) fn borrowed<T: BorrowedKeyPart + ?Sized>(value: &T) -> Borrowed<'_, T> {
    Borrowed(value)
}

/// The key part standing in for an argument that cannot be one, so that the lookup it goes
/// to raises no error of its own. Never made in a program that compiles.
pub struct Invalid;

impl Hash for Invalid {
    fn hash<H: Hasher>(&self, _: &mut H) {}
}

impl KeyRef for Invalid {
    type Owned = ();
    fn to_owned_key(&self) {}
    fn matches(&self, (): &()) -> bool {
        false
    }
}

impl<T: Hash> Hash for Owned<'_, T> {
    #[cfg_attr(not(debug_assertions), inline)]
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.0.hash(state);
    }
}

impl<T: Hash + Eq + Clone + Send + Sync + 'static> KeyRef for Owned<'_, T> {
    type Owned = T;
    fn to_owned_key(&self) -> T {
        self.0.clone()
    }
    #[cfg_attr(not(debug_assertions), inline)]
    fn matches(&self, owned: &T) -> bool {
        self.0 == owned
    }
}

// `Borrow`'s contract makes `T` and `T::Owned` hash alike, which is what lets a stored
// `String` be found by a `&str`.
impl<T: Hash + ?Sized> Hash for Borrowed<'_, T> {
    #[cfg_attr(not(debug_assertions), inline)]
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.0.hash(state);
    }
}

impl<T> KeyRef for Borrowed<'_, T>
where
    T: Hash + Eq + ToOwned + ?Sized,
    T::Owned: Hash + Eq + Clone + Send + Sync + 'static,
{
    type Owned = T::Owned;
    fn to_owned_key(&self) -> T::Owned {
        self.0.to_owned()
    }
    #[cfg_attr(not(debug_assertions), inline)]
    fn matches(&self, owned: &T::Owned) -> bool {
        owned.borrow() == self.0
    }
}

// Tuples hash their fields in order and add nothing, so a tuple of parts hashes exactly like
// the tuple of their owned forms.
macro_rules! tuple_key {
    ($($part:ident . $idx:tt),*) => {
        impl<$($part: KeyRef),*> KeyRef for ($($part,)*) {
            type Owned = ($($part::Owned,)*);
            #[allow(clippy::unused_unit)] // the empty key of a function without arguments
            fn to_owned_key(&self) -> Self::Owned {
                ($(self.$idx.to_owned_key(),)*)
            }
            #[allow(unused_variables)]
            #[cfg_attr(not(debug_assertions), inline)]
            fn matches(&self, owned: &Self::Owned) -> bool {
                true $(&& self.$idx.matches(&owned.$idx))*
            }
        }
    };
}

tuple_key!();
tuple_key!(A.0);
tuple_key!(A.0, B.1);
tuple_key!(A.0, B.1, C.2);
tuple_key!(A.0, B.1, C.2, D.3);
tuple_key!(A.0, B.1, C.2, D.3, E.4);
tuple_key!(A.0, B.1, C.2, D.3, E.4, F.5);
tuple_key!(A.0, B.1, C.2, D.3, E.4, F.5, G.6);
tuple_key!(A.0, B.1, C.2, D.3, E.4, F.5, G.6, H.7);
tuple_key!(A.0, B.1, C.2, D.3, E.4, F.5, G.6, H.7, I.8);
tuple_key!(A.0, B.1, C.2, D.3, E.4, F.5, G.6, H.7, I.8, J.9);
tuple_key!(A.0, B.1, C.2, D.3, E.4, F.5, G.6, H.7, I.8, J.9, K.10);
tuple_key!(A.0, B.1, C.2, D.3, E.4, F.5, G.6, H.7, I.8, J.9, K.10, L.11);

#[cfg(test)]
mod tests;

//! The caches of one memoized function: one [`Store`] per instantiation.
//!
//! A `static` cannot name a generic parameter or `Self`, so the static that `#[memoize]`
//! emits has this non-generic type, and the function body asks it for the store of its own
//! key and value types. The first instantiation is found with one atomic load and a type
//! check; further instantiations (generic functions only) behind a lock.
//!
//! The type check on the first instantiation compares a `TypeId` kept beside the store, then
//! casts (the crate's one `unsafe` outside `store::table`): `Any::downcast_ref` would ask the
//! store's vtable for its type on every call, which measured 1 ns of an 8 ns hit.

use core::any::{Any, TypeId};
use core::hash::Hash;
use core::marker::PhantomData;
use core::ptr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, OnceLock, PoisonError};
use std::time::Duration;

use crate::key::KeyRef;
use crate::outcome::Outcome;
use crate::private::CacheValue;
use crate::store::{
    AsyncLookup, Bookkeeping, FlightLookup, Hashed, Lookup, Store, Tracked, Untracked, hash_of,
};
use crate::{CacheInfo, CacheParameters};

/// What the controls (`cache_info`, `cache_clear`) need of a store, with its types erased.
trait Controls: Send + Sync {
    fn info(&self, maxsize: Option<usize>) -> CacheInfo;
    fn clear(&self);
    /// Removes `key` (a `Hashed<K>` of this store's `K`, else nothing to do here).
    fn invalidate(&self, key: &dyn Any) -> bool;
}

impl<K, V, B> Controls for Store<K, V, B>
where
    K: Hash + Eq + Clone + Send + Sync + 'static,
    V: Clone + Send + Sync + 'static,
    B: Bookkeeping,
{
    fn info(&self, maxsize: Option<usize>) -> CacheInfo {
        Store::info(self, maxsize)
    }
    fn clear(&self) {
        Store::clear(self);
    }
    fn invalidate(&self, key: &dyn Any) -> bool {
        key.downcast_ref::<Hashed<K>>()
            .is_some_and(|key| self.remove(key))
    }
}

/// The `TypeId` of `T`, as a constant: a reference to it is an address for the type (see
/// [`Registry::store_of`]).
struct Exact<T: ?Sized>(PhantomData<T>);

impl<T: ?Sized + 'static> Exact<T> {
    const ID: &'static TypeId = &TypeId::of::<T>();
}

#[derive(Clone, Copy)]
struct Member {
    /// `TypeId` of `(I, Store<K, V, B>)`: the instantiation and the store's exact type, as
    /// [`Exact`] holds it (see [`Registry::store_of`]).
    exact: &'static TypeId,
    /// The function's instantiation (its type and const arguments; `()` if not generic):
    /// instantiations that differ only in arguments the key and result do not show still
    /// get caches of their own.
    instance: TypeId,
    any: &'static (dyn Any + Send + Sync),
    controls: &'static dyn Controls,
}

/// The caches of one memoized function, and the options it was declared with. `Entries`: what
/// the stores' entries keep besides key and value: `Tracked` for every function but those
/// memoized with `maxsize = None` and no `ttl` ([`UnboundedRegistry`]). The controls do not
/// depend on `Entries`.
pub struct Registry<Entries = Tracked> {
    caches: Caches,
    _entries: PhantomData<fn() -> Entries>,
}

/// The registry of a function memoized with `maxsize = None` and no `ttl`: its entries keep
/// no bookkeeping (see the store's `bookkeeping`).
pub type UnboundedRegistry = Registry<Untracked>;

/// A memoized function's caches and options, whatever its entries keep.
struct Caches {
    parameters: CacheParameters,
    first: OnceLock<Member>,
    rest: Mutex<Vec<Member>>,
    /// Whether `rest` holds a member: read without its lock, so that the controls of a
    /// function with one instantiation (most) list its stores without locking or allocating.
    has_rest: AtomicBool,
}

impl Registry {
    /// A registry for a function declared with these options; `const` so it can be a `static`.
    pub const fn new(maxsize: Option<usize>, typed: bool, ttl: Option<Duration>) -> Self {
        Registry {
            caches: Caches::new(maxsize, typed, ttl),
            _entries: PhantomData,
        }
    }
}

impl UnboundedRegistry {
    /// A registry for a function declared with `maxsize = None`, no `ttl`, and `typed`.
    pub const fn unbounded(typed: bool) -> Self {
        Registry {
            caches: Caches::new(None, typed, None),
            _entries: PhantomData,
        }
    }
}

/// The controls: the same whatever the entries keep.
impl<Entries> Registry<Entries> {
    /// Removes the result stored for these arguments in every instantiation whose key type
    /// they make; whether there was one. (Type-erased, so that the control needs no result
    /// type and a bad one is reported once, at the function.)
    pub fn invalidate<Q: KeyRef, I: 'static>(&self, key: Q) -> bool {
        let key = Hashed {
            hash: hash_of(&key),
            key: key.to_owned_key(),
        };
        // Every instantiation is asked (not `any`, which would stop at the first).
        let removed = self
            .caches
            .members()
            .filter(|member| member.instance == TypeId::of::<I>())
            .filter(|member| member.controls.invalidate(&key))
            .count();
        removed > 0
    }

    /// Statistics summed over every instantiation.
    pub fn info(&self) -> CacheInfo {
        let maxsize = self.caches.parameters.maxsize;
        let mut total = CacheInfo {
            maxsize,
            ..CacheInfo::default()
        };
        for member in self.caches.members() {
            let info = member.controls.info(maxsize);
            total.hits += info.hits;
            total.misses += info.misses;
            total.currsize += info.currsize;
        }
        total
    }

    /// Empties every instantiation's cache and resets the statistics.
    pub fn clear(&self) {
        for member in self.caches.members() {
            member.controls.clear();
        }
    }

    /// The options the function was declared with.
    pub fn parameters(&self) -> CacheParameters {
        self.caches.parameters
    }
}

impl<Entries: Bookkeeping> Registry<Entries> {
    /// Looks an `async fn`'s call up in the store of its key and value types.
    #[cfg_attr(not(debug_assertions), inline)]
    pub fn lookup_async<Q, V, O, I: 'static>(
        &'static self,
        outcome: O,
        key: Q,
    ) -> AsyncLookup<'static, Q::Owned, V>
    where
        Q: KeyRef,
        V: CacheValue + Clone + Send + Sync + 'static,
        O: Outcome<Stored = V>,
    {
        let _ = outcome;
        self.caches
            .store_of::<Q::Owned, V, I, Entries>()
            .lookup_async(key)
    }

    /// Looks a call up in the store of its key type and of what `outcome` stores (inlined into
    /// the memoized function in an optimized build: see `Store::lookup`; see also
    /// [`Registry::lookup_flight`] on debug builds).
    #[cfg_attr(not(debug_assertions), inline(always))]
    pub fn lookup<Q, V, O, I: 'static>(
        &'static self,
        outcome: O,
        key: Q,
    ) -> Lookup<'static, Q::Owned, V>
    where
        Q: KeyRef,
        V: CacheValue + Clone + Send + Sync + 'static,
        O: Outcome<Stored = V>,
    {
        let _ = outcome;
        self.caches
            .store_of::<Q::Owned, V, I, Entries>()
            .lookup(key)
    }

    /// Looks a call of a function with `single_flight = true` up: as [`Registry::lookup`], but
    /// a miss waits for a computation of the same key under way (inlined: see
    /// `Store::lookup`).
    ///
    /// In a debug build (`debug_assertions`, Cargo's dev profile) neither this nor
    /// [`Registry::lookup`] is forced inline: at `opt-level = 0`, `inline(always)` copies the
    /// whole hit path into every memoized function, where the compiler builds it unoptimized
    /// each time; a plain call shares one copy per key and value types.
    #[cfg_attr(not(debug_assertions), inline(always))]
    pub fn lookup_flight<Q, V, O, I: 'static>(
        &'static self,
        outcome: O,
        key: Q,
    ) -> FlightLookup<'static, Q::Owned, V>
    where
        Q: KeyRef,
        V: CacheValue + Clone + Send + Sync + 'static,
        O: Outcome<Stored = V>,
    {
        let _ = outcome;
        self.caches
            .store_of::<Q::Owned, V, I, Entries>()
            .lookup_flight(key)
    }
}

impl Caches {
    const fn new(maxsize: Option<usize>, typed: bool, ttl: Option<Duration>) -> Self {
        Caches {
            parameters: CacheParameters {
                maxsize,
                typed,
                ttl,
            },
            first: OnceLock::new(),
            rest: Mutex::new(Vec::new()),
            has_rest: AtomicBool::new(false),
        }
    }

    /// The store for keys `K` and values `V` of tracked entries, made on first use.
    #[cfg(test)]
    fn store<K, V, I: 'static>(&self) -> &'static Store<K, V>
    where
        K: Hash + Eq + Clone + Send + Sync + 'static,
        V: Clone + Send + Sync + 'static,
    {
        self.store_of::<K, V, I, Tracked>()
    }

    /// The store for keys `K` and values `V` whose entries keep `B`, made on first use.
    ///
    /// The first member's type is checked by the address of its `TypeId` (one comparison of
    /// words instead of 16 bytes'): one address holds one value, so equal addresses are the same
    /// type. The same constant may sit at two addresses (built in two crates); then the values
    /// are compared.
    #[cfg_attr(not(debug_assertions), inline)]
    fn store_of<K, V, I: 'static, B: Bookkeeping>(&self) -> &'static Store<K, V, B>
    where
        K: Hash + Eq + Clone + Send + Sync + 'static,
        V: Clone + Send + Sync + 'static,
    {
        if let Some(member) = self.first.get()
            && (ptr::eq(member.exact, Exact::<(I, Store<K, V, B>)>::ID)
                || *member.exact == TypeId::of::<(I, Store<K, V, B>)>())
        {
            return downcast(member.any);
        }
        self.store_slow::<K, V, I, B>()
    }

    #[cold]
    fn store_slow<K, V, I: 'static, B: Bookkeeping>(&self) -> &'static Store<K, V, B>
    where
        K: Hash + Eq + Clone + Send + Sync + 'static,
        V: Clone + Send + Sync + 'static,
    {
        let mut rest = self.rest.lock().unwrap_or_else(PoisonError::into_inner);
        let known = self.first.get().into_iter().chain(rest.iter());
        let instance = TypeId::of::<I>();
        if let Some(store) = known
            .filter(|m| m.instance == instance)
            .find_map(|m| m.any.downcast_ref())
        {
            return store;
        }
        // Lives as long as the function it caches: the program.
        let store: &'static Store<K, V, B> = Box::leak(Box::new(Store::new(
            self.parameters.maxsize,
            self.parameters.ttl,
        )));
        store.keep_across_forks();
        let member = Member {
            exact: Exact::<(I, Store<K, V, B>)>::ID,
            instance,
            any: store,
            controls: store,
        };
        if self.first.set(member).is_err() {
            rest.push(member);
            // Release: a control that sees the flag then finds the member under the lock.
            self.has_rest.store(true, Ordering::Release);
        }
        store
    }

    /// The stores made so far, listed without the lock held (a control runs user code: a
    /// value's `Drop`, which may call the function again).
    fn members(&self) -> impl Iterator<Item = Member> {
        let rest = if self.has_rest.load(Ordering::Acquire) {
            self.rest
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .clone()
        } else {
            Vec::new()
        };
        self.first.get().copied().into_iter().chain(rest)
    }
}

/// The store behind `any`, which the caller has found to be a `Store<K, V, B>` (by the
/// `exact` type id recorded with it).
#[cfg_attr(not(debug_assertions), inline)]
#[allow(unsafe_code)]
fn downcast<K: 'static, V: 'static, B: Bookkeeping>(
    any: &'static (dyn Any + Send + Sync),
) -> &'static Store<K, V, B> {
    debug_assert!(any.is::<Store<K, V, B>>());
    // SAFETY: `any` was made from a `&'static Store<K, V, B>` of these `K`, `V` and `B`: the
    // caller compared the `TypeId` of `Store<K, V, B>` recorded when the member was made.
    // This is `<dyn Any>::downcast_ref` without asking the vtable again.
    unsafe { &*core::ptr::from_ref(any).cast::<Store<K, V, B>>() }
}

#[cfg(test)]
mod tests;

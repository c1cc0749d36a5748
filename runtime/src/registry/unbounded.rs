//! The caches of a function memoized with `maxsize = None` and no `ttl`: a [`Registry`] whose
//! stores keep no bookkeeping in their entries (no recency, no birth: see the store's
//! `bookkeeping`), so that a store that only grows touches less new memory per result.
//!
//! The controls (`info`, `clear`, `parameters`, `invalidate`) are the [`Registry`]'s, through
//! `Deref`; only the lookups differ, in the stores they ask for.

use core::ops::Deref;

use super::Registry;
use crate::key::KeyRef;
use crate::outcome::Outcome;
use crate::private::CacheValue;
use crate::store::{AsyncLookup, FlightLookup, Lookup, Untracked};

/// A [`Registry`] for an unbounded function without a time to live.
pub struct UnboundedRegistry(Registry);

impl UnboundedRegistry {
    /// A registry for a function declared with `maxsize = None`, no `ttl`, and `typed`.
    pub const fn new(typed: bool) -> Self {
        UnboundedRegistry(Registry::new(None, typed, None))
    }

    /// [`Registry::lookup`], in a store of untracked entries.
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
        self.0.store_of::<Q::Owned, V, I, Untracked>().lookup(key)
    }

    /// [`Registry::lookup_flight`], in a store of untracked entries.
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
        self.0
            .store_of::<Q::Owned, V, I, Untracked>()
            .lookup_flight(key)
    }

    /// [`Registry::lookup_async`], in a store of untracked entries.
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
        self.0
            .store_of::<Q::Owned, V, I, Untracked>()
            .lookup_async(key)
    }
}

impl Deref for UnboundedRegistry {
    type Target = Registry;

    fn deref(&self) -> &Registry {
        &self.0
    }
}

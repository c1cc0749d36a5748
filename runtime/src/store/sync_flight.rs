//! Synchronous functions with `single_flight = true`: concurrent calls with one key share one
//! computation, as `async fn`s' do (see [`flight`](super::flight)), and the callers that find
//! it under way block until it ends.
//!
//! The first caller to miss drives: it registers a flight under the key, runs its body, stores
//! the result, and hands a copy to the callers that arrived meanwhile, which wait on the flight
//! and count as hits. If the driver stops without a result to store (its body panicked or
//! returned an `Err`, `keep` refused the result), the flight ends without one: the waiters
//! wake, look up again, and one of them drives (the others wait for it). [`FlightPending`]
//! ends its flight when it is dropped, so unwinding ends it too.
//!
//! A caller never starts a wait that could not end (see [`waits`](super::waits)): a call with
//! the key its own thread is computing (a re-entrant call), or with a key whose driver waits,
//! through other threads, for this caller, runs its body as it would without the option. Nor
//! does it wait for a driver that did not survive a `fork()`: a flight made before the fork is
//! taken out of the table by the first caller in the child that finds it.
//!
//! No user code runs under a lock of py38's: a flight's lock guards a flag, a count and an
//! `Arc` of the result; each waiter clones the result after letting go of it, and the last one
//! to take it drops it unlocked. The key's `Eq` runs where the table of flights (a lock-free
//! `papaya` map) finds or removes one, outside that lock.

use core::hash::Hash;
use std::panic::{AssertUnwindSafe, catch_unwind, resume_unwind};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::thread::{self, ThreadId};

use super::hashed::{Hashed, Probe};
use super::waits::Wait;
use super::{Bookkeeping, Caller, FlightTable, Insert, Store, flight_table, fork};
use crate::key::KeyRef;
use crate::outcome::Outcome;

/// One computation under way, and the callers blocked on it.
pub(crate) struct SyncFlight<V> {
    /// The thread computing.
    driver: ThreadId,
    /// The forks behind the process it started in (see [`fork::generation`]): a flight of an
    /// earlier generation may have lost its driver to a fork.
    generation: u64,
    state: Mutex<Shared<V>>,
    /// Notified when the flight ends.
    ended: Condvar,
}

/// What the driver and the waiters share, under the flight's lock (which guards no user code).
struct Shared<V> {
    /// `false` once the flight has ended, with a result or abandoned.
    open: bool,
    /// The result, while some waiter has yet to take its copy.
    result: Option<Arc<V>>,
    /// Callers blocked on the flight, or woken and yet to take the result.
    waiting: usize,
}

impl<V> SyncFlight<V> {
    fn new() -> Self {
        SyncFlight {
            driver: thread::current().id(),
            generation: fork::generation(),
            state: Mutex::new(Shared {
                open: true,
                result: None,
                waiting: 0,
            }),
            ended: Condvar::new(),
        }
    }

    fn shared(&self) -> MutexGuard<'_, Shared<V>> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn has_ended(&self) -> bool {
        !self.shared().open
    }

    /// Blocks until the flight ends: its result, or `None` if it was abandoned.
    fn wait(&self) -> Option<Arc<V>> {
        let mut shared = self.shared();
        shared.waiting += 1;
        while shared.open {
            shared = self
                .ended
                .wait(shared)
                .unwrap_or_else(PoisonError::into_inner);
        }
        shared.waiting -= 1;
        // The last waiter takes the flight's own reference: the result is then dropped by
        // whichever caller lets go of it last, unlocked.
        if shared.waiting == 0 {
            shared.result.take()
        } else {
            shared.result.clone()
        }
    }

    /// Ends the flight with its result, and wakes the waiters with a copy of it. The copy is
    /// made (its `Clone` is user code) before the lock is taken, and only if some caller waits:
    /// a caller that arrives later finds the flight ended without a result, looks up again, and
    /// finds the result stored.
    fn land(&self, value: &V)
    where
        V: Clone,
    {
        if self.is_of_an_earlier_process() {
            return;
        }
        // Waiters leave only once the flight has ended: if there are some now, there still are
        // when the copy is handed over.
        let waited_for = self.shared().waiting > 0;
        self.end(waited_for.then(|| Arc::new(value.clone())));
    }

    /// Ends the flight without a result: the waiters wake and look up again.
    fn abandon(&self) {
        if !self.is_of_an_earlier_process() {
            self.end(None);
        }
    }

    fn end(&self, result: Option<Arc<V>>) {
        let mut shared = self.shared();
        shared.open = false;
        let before = core::mem::replace(&mut shared.result, result); // none: it ends once
        drop(shared);
        self.ended.notify_all();
        drop(before);
    }

    /// Made before a fork, by the thread that forked: no caller in this process waits on it
    /// (they take such flights out of the table instead), and its lock may have been held by a
    /// thread that did not survive the fork, so it is left alone.
    fn is_of_an_earlier_process(&self) -> bool {
        self.generation != fork::generation()
    }
}

/// What the lookup of a function with `single_flight = true` found.
pub enum FlightLookup<'s, K, V> {
    /// A stored result, or the result of the computation this call waited for.
    Hit(V),
    /// Nothing: run the body and hand its result to [`FlightPending::settle`].
    Miss(FlightPending<'s, K, V>),
}

/// A call that missed and runs the body, for the callers that wait on its flight too. It
/// drives no flight when nothing is shared (`maxsize = 0`) or it could not wait (see the
/// module's docs): it then stores its result as any miss does.
pub struct FlightPending<'s, K, V> {
    // Type-erased, as `Pending`'s: the bounds are checked once, at the lookup.
    store: &'s dyn Flights<K, V>,
    key: Option<Hashed<K>>,
    flight: Option<Arc<SyncFlight<V>>>,
}

/// What a driver needs of its store, besides storing its result.
trait Flights<K, V>: Insert<K, V> {
    /// Takes `flight` out of the table of computations under way, if it is still there.
    fn take_out(&self, key: &Hashed<K>, flight: &Arc<SyncFlight<V>>);
}

impl<K, V, B> Flights<K, V> for Store<K, V, B>
where
    K: Hash + Eq + Clone + Send + Sync + 'static,
    V: Clone + Send + Sync + 'static,
    B: Bookkeeping,
{
    fn take_out(&self, key: &Hashed<K>, flight: &Arc<SyncFlight<V>>) {
        let flights = self.sync_flights().pin();
        let _ = flights.remove_if(key, |_, current| Arc::ptr_eq(current, flight));
    }
}

impl<K: Clone, V: Clone> FlightPending<'_, K, V> {
    /// Stores what `outcome` takes of the body's `result` (an `Ok` value of a `Result`), if
    /// `keep` accepts it, hands a copy to the callers waiting for it, and returns the result.
    /// Otherwise (or if user code panics on the way: `keep`, a `Clone`, `Hash` or `Eq`) the
    /// waiters wake, look up again, and one of them computes anew.
    #[cfg_attr(not(debug_assertions), inline)]
    pub fn settle<O: Outcome<Stored = V>>(
        mut self,
        outcome: O,
        result: O::Result,
        keep: impl FnOnce(&V) -> bool,
    ) -> O::Result {
        if let Some(value) = outcome.stored(&result)
            && keep(value)
        {
            self.complete(value);
        }
        result
    }

    /// [`FlightPending::settle`] with every result kept (a function without `keep`).
    #[cfg_attr(not(debug_assertions), inline)]
    pub fn settle_all<O: Outcome<Stored = V>>(
        mut self,
        outcome: O,
        result: O::Result,
    ) -> O::Result {
        if let Some(value) = outcome.stored(&result) {
            self.complete(value);
        }
        result
    }

    /// Stores the result and hands a copy to the waiters. The flight stays armed (`Drop`
    /// abandons it) until every step that runs user code has returned; it leaves the table
    /// only after the result is stored, so that no caller finds neither.
    fn complete(&mut self, value: &V) {
        let Some(flight) = &self.flight else {
            self.store.insert(&mut self.key, value, None, None);
            return;
        };
        if let Some(key) = &self.key {
            self.store.insert(&mut Some(key.clone()), value, None, None);
            self.store.take_out(key, flight);
        }
        flight.land(value);
        self.flight = None; // ended: nothing left for `Drop` to do
    }
}

impl<K, V> Drop for FlightPending<'_, K, V> {
    /// Abandons the flight, if it still drives one: its waiters wake and look up again.
    fn drop(&mut self) {
        let Some(flight) = self.flight.take() else {
            return;
        };
        // Taking the flight out runs the key's `Eq`. A panic there must not escape a drop
        // during unwinding (the process would abort), nor keep the waiters waiting; the flight
        // then stays in the table, ended, and the first caller to find it takes it out.
        let taken_out = match &self.key {
            Some(key) => catch_unwind(AssertUnwindSafe(|| self.store.take_out(key, &flight))),
            None => Ok(()),
        };
        flight.abandon();
        if let Err(panic) = taken_out
            && !thread::panicking()
        {
            resume_unwind(panic);
        }
    }
}

impl<K: Send + Sync + 'static, V: Send + Sync + 'static, B: Bookkeeping> Store<K, V, B> {
    /// The table of `single_flight` computations under way, made on first use.
    pub(super) fn sync_flights(&self) -> &FlightTable<K, SyncFlight<V>> {
        flight_table(&self.sync_flights)
    }
}

impl<K, V, B> Store<K, V, B>
where
    K: Hash + Eq + Clone + Send + Sync + 'static,
    V: Clone + Send + Sync + 'static,
    B: Bookkeeping,
{
    /// Looks a call of a function with `single_flight = true` up: a hit as [`Store::lookup`]'s
    /// (inlined, and as fast), a miss kept out of line.
    #[cfg_attr(not(debug_assertions), inline(always))]
    pub(crate) fn lookup_flight<Q: KeyRef<Owned = K>>(&self, key: Q) -> FlightLookup<'_, K, V> {
        self.lookup_with::<false, _, _>(key, FlightLookup::Hit, |caller, hash, key, _| {
            self.join_or_drive(caller, hash, key)
        })
    }

    /// A miss: waits for the computation of `key` under way, or drives one. Counts one hit
    /// (a result waited for, or stored meanwhile) or one miss.
    #[cold]
    #[inline(never)]
    fn join_or_drive<Q: KeyRef<Owned = K>>(
        &self,
        caller: Caller<'_>,
        hash: u64,
        key: &Q,
    ) -> FlightLookup<'_, K, V> {
        loop {
            let flight = match self.take_off(caller, hash, key) {
                Ok(lookup) => return lookup,
                Err(flight) => flight,
            };
            let me = thread::current().id();
            if flight.is_of_an_earlier_process() {
                if flight.driver == me {
                    // Re-entrant, in a child forked from inside the body (its lock is not to
                    // be touched: see `SyncFlight::is_of_an_earlier_process`).
                    return self.compute_alone(caller, hash, key);
                }
                // Its driver did not survive the fork.
                self.remove_flight(hash, key, &flight);
                continue;
            }
            let Some(wait) = Wait::start(me, flight.driver) else {
                if flight.has_ended() {
                    // Left in the table by a driver that could not take it out.
                    self.remove_flight(hash, key, &flight);
                    continue;
                }
                // The wait would never end: compute, as without the option.
                return self.compute_alone(caller, hash, key);
            };
            let result = flight.wait();
            drop(wait);
            match result {
                Some(value) => {
                    let _ = self.count_hit(caller);
                    return FlightLookup::Hit((*value).clone());
                }
                // Abandoned: look up again (taking the flight out of the table, in case its
                // driver could not).
                None => self.remove_flight(hash, key, &flight),
            }
        }
    }

    /// A miss that shares nothing: its caller computes, and stores the result as any miss does.
    fn compute_alone<Q: KeyRef<Owned = K>>(
        &self,
        caller: Caller<'_>,
        hash: u64,
        key: &Q,
    ) -> FlightLookup<'_, K, V> {
        self.count_miss(caller);
        FlightLookup::Miss(FlightPending {
            store: self,
            key: self.owned_key(hash, key),
            flight: None,
        })
    }

    /// Starts a flight for `key` (`Ok(Miss)`), or finds its result stored meanwhile
    /// (`Ok(Hit)`), or the flight of another caller to wait for (`Err`).
    fn take_off<Q: KeyRef<Owned = K>>(
        &self,
        caller: Caller<'_>,
        hash: u64,
        key: &Q,
    ) -> Result<FlightLookup<'_, K, V>, Arc<SyncFlight<V>>> {
        let flights = self.sync_flights().pin();
        if let Some(flight) = flights.get(&Probe { hash, key }) {
            return Err(Arc::clone(flight));
        }
        let Some(owned) = self.owned_key(hash, key) else {
            // maxsize = 0: nothing is stored, so nothing is shared either.
            return Ok(self.compute_alone(caller, hash, key));
        };
        let flight = Arc::new(SyncFlight::new());
        if let Err(occupied) = flights.try_insert(owned.clone(), Arc::clone(&flight)) {
            // Another caller started it between our two looks: wait for theirs.
            return Err(Arc::clone(occupied.current));
        }
        // From here on, dropping `pending` (a panic included) abandons the flight.
        let pending = FlightPending {
            store: self,
            key: Some(owned),
            flight: Some(flight),
        };
        // A flight that landed between our first look and ours stored its result: use it
        // (anyone who joined ours meanwhile looks up again, and finds it too).
        if let Some(value) = self.hit(caller, hash, key) {
            drop(pending);
            return Ok(FlightLookup::Hit(value));
        }
        self.count_miss(caller);
        Ok(FlightLookup::Miss(pending))
    }

    /// Takes this very flight out of the table, if it is still there.
    fn remove_flight<Q: KeyRef<Owned = K>>(&self, hash: u64, key: &Q, flight: &Arc<SyncFlight<V>>) {
        let flights = self.sync_flights().pin();
        let _ = flights.remove_if(&Probe { hash, key }, |_, current| {
            Arc::ptr_eq(current, flight)
        });
    }
}

#[cfg(test)]
mod tests;

//! `async fn`s: concurrent calls with one key share one computation (`async_lru`'s rule).
//!
//! The first caller to miss becomes the driver: it runs its own body and publishes the
//! result. Callers that arrive meanwhile join the flight and wait, counted as hits. If the
//! driver stops before it has a result to store (dropped, panicked, or `Err`), the flight is
//! abandoned: its waiters wake, look up again, and one of them drives with its own body.
//! No executor is involved, only wakers, so any runtime works.

use core::future::Future;
use core::hash::Hash;
use core::pin::Pin;
use core::task::{Context, Poll, Waker};
use std::panic::{AssertUnwindSafe, catch_unwind, resume_unwind};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::thread;

use super::hashed::{Hashed, Probe, hash_of};
use super::{Bookkeeping, FlightTable, Insert, Store, flight_table};
use crate::key::KeyRef;
use crate::outcome::{Outcome, Whole, keep_all};

/// One computation under way. Its result is shared with the callers waiting for it, and with
/// nobody else: once the last of them has its copy, the flight keeps nothing (the table of
/// computations frees its entries late, in batches, and must not keep results alive).
pub(crate) struct Flight<V> {
    state: Mutex<Shared<V>>,
}

/// What the driver and the waiters share, under the flight's lock (which guards no user code:
/// the result is cloned outside it, from an `Arc`).
struct Shared<V> {
    /// `false` once the flight has ended (with a result or abandoned).
    open: bool,
    /// The result, while some waiter has yet to take its copy.
    result: Option<Arc<V>>,
    /// How many waiters there are (each [`Join`] counts until it has its answer, or is dropped).
    waiting: usize,
    /// Each waiter's waker, by the index it keeps: a cancelled caller takes its own out.
    wakers: Vec<Option<Waker>>,
}

impl<V> Flight<V> {
    fn new() -> Self {
        Flight {
            state: Mutex::new(Shared {
                open: true,
                result: None,
                waiting: 0,
                wakers: Vec::new(),
            }),
        }
    }

    fn shared(&self) -> MutexGuard<'_, Shared<V>> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Whether the flight is still under way (not ended, with a result or abandoned).
    fn is_open(&self) -> bool {
        self.shared().open
    }

    /// Ends the flight, with its result or abandoned (`None`), and wakes the waiters (after
    /// the lock is let go: waking runs the executor's code, and a result nobody waits for is
    /// dropped there too).
    fn finish(&self, result: Option<V>) {
        let (wakers, unshared) = {
            let mut shared = self.shared();
            shared.open = false;
            let unshared = match result {
                Some(value) if shared.waiting > 0 => {
                    shared.result = Some(Arc::new(value));
                    None
                }
                other => other,
            };
            (core::mem::take(&mut shared.wakers), unshared)
        };
        drop(unshared);
        wakers.into_iter().flatten().for_each(Waker::wake);
    }
}

impl<V> Shared<V> {
    /// One waiter less; the result, if it was the last one (to be dropped unlocked).
    fn leave(&mut self, slot: Option<usize>) -> (Option<Waker>, Option<Arc<V>>) {
        self.waiting -= 1;
        let waker = slot.and_then(|at| self.wakers.get_mut(at)?.take());
        let result = if self.waiting == 0 {
            self.result.take()
        } else {
            None
        };
        (waker, result)
    }
}

/// What an `async fn`'s lookup found.
pub enum AsyncLookup<'s, K, V> {
    /// A stored result.
    Hit(V),
    /// A computation under way: await it; `None` means it was abandoned, so look up again.
    Join(Join<V>),
    /// Nothing: drive the computation with [`AsyncPending::run`].
    Miss(AsyncPending<'s, K, V>),
}

/// Waits for another caller's computation of the same key.
pub struct Join<V> {
    flight: Arc<Flight<V>>,
    /// Where this caller's waker sits among the flight's, once registered.
    slot: Option<usize>,
    /// Whether it still counts among the waiters (until it has its answer).
    waiting: bool,
}

impl<V> Join<V> {
    fn new(flight: Arc<Flight<V>>) -> Self {
        flight.shared().waiting += 1;
        Join {
            flight,
            slot: None,
            waiting: true,
        }
    }
}

impl<V: Clone> Future for Join<V> {
    type Output = Option<V>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<V>> {
        let this = self.get_mut();
        if !this.waiting {
            return Poll::Ready(None); // polled again after its answer: look up again
        }
        let mut shared = this.flight.shared();
        if !shared.open {
            // Ended: with a result, or abandoned (`None`: the caller looks up again).
            let result = shared.result.clone();
            let (waker, last) = shared.leave(this.slot);
            drop(shared);
            this.waiting = false;
            drop((waker, last));
            return Poll::Ready(result.map(|value| (*value).clone()));
        }
        let old = match this.slot {
            Some(at) => shared.wakers[at].replace(cx.waker().clone()),
            None => {
                let free = shared.wakers.iter().position(Option::is_none);
                let at = free.unwrap_or(shared.wakers.len());
                if at == shared.wakers.len() {
                    shared.wakers.push(None);
                }
                shared.wakers[at] = Some(cx.waker().clone());
                this.slot = Some(at);
                None
            }
        };
        drop(shared);
        drop(old); // a waker's `Drop` is the executor's code: not under the lock
        Poll::Pending
    }
}

impl<V> Drop for Join<V> {
    fn drop(&mut self) {
        if self.waiting {
            let left = self.flight.shared().leave(self.slot);
            drop(left); // unlocked: the waker's and the result's `Drop`
        }
    }
}

/// A miss whose caller drives the computation.
pub struct AsyncPending<'s, K, V> {
    pending: Option<Driving<'s, K, V>>,
}

struct Driving<'s, K, V> {
    store: &'s (dyn Flights<K, V> + Sync),
    key: Hashed<K>,
    flight: Arc<Flight<V>>,
}

/// What a driver needs of its store, with the bounds checked once, at the lookup.
trait Flights<K, V> {
    /// Stores the result (the flight stays registered: [`Flights::take_out`] ends it).
    fn store(&self, key: &Hashed<K>, value: &V);
    /// Takes this very flight out of the table of computations under way, if it is there.
    fn take_out(&self, key: &Hashed<K>, flight: &Arc<Flight<V>>);
}

impl<K, V, B> Flights<K, V> for Store<K, V, B>
where
    K: Hash + Eq + Clone + Send + Sync + 'static,
    V: Clone + Send + Sync + 'static,
    B: Bookkeeping,
{
    fn store(&self, key: &Hashed<K>, value: &V) {
        Insert::insert(self, &mut Some(key.clone()), value, None, None);
    }

    fn take_out(&self, key: &Hashed<K>, flight: &Arc<Flight<V>>) {
        let flights = self.flights().pin();
        let _ = flights.remove_if(key, |_, current| Arc::ptr_eq(current, flight));
    }
}

impl<K, V: Clone> AsyncPending<'_, K, V> {
    /// Runs the body and stores its result; waiters get a copy. If this future is dropped,
    /// or a panic comes first (in the body, or in user code that storing runs: `Clone`,
    /// `Hash`, `Eq`), waiters are woken to take over.
    pub async fn run(self, body: impl Future<Output = V>) -> V {
        self.settle(Whole::default(), body, keep_all).await
    }

    /// As [`run`](Self::run), storing and sharing only what `outcome` takes of the result (an
    /// `Ok` value) and `keep` accepts; otherwise the waiters look up again and one of them
    /// computes anew.
    pub async fn settle<O: Outcome<Stored = V>>(
        mut self,
        outcome: O,
        body: impl Future<Output = O::Result>,
        keep: impl FnOnce(&V) -> bool,
    ) -> O::Result {
        let result = body.await;
        // Not kept: `self` drops with the flight still pending, and waiters look again.
        if let Some(value) = outcome.stored(&result)
            && keep(value)
        {
            self.complete(value);
        }
        result
    }

    /// Stores the result and hands a copy to the waiters. The flight stays armed (`Drop`
    /// abandons it) until every step that runs user code has returned.
    fn complete(&mut self, value: &V) {
        let Some(driving) = &self.pending else {
            return; // maxsize = 0: nothing shared
        };
        let shared = value.clone();
        driving.store.store(&driving.key, value);
        driving.store.take_out(&driving.key, &driving.flight);
        if let Some(driving) = self.pending.take() {
            driving.flight.finish(Some(shared));
        }
    }
}

impl<K, V> Drop for AsyncPending<'_, K, V> {
    /// Abandons the flight, if it still drives one: its waiters wake and look up again.
    fn drop(&mut self) {
        let Some(driving) = self.pending.take() else {
            return;
        };
        // Taking the flight out runs the key's `Eq`. A panic there must not escape a drop
        // during unwinding (the process would abort), nor keep the waiters waiting; the flight
        // then stays in the table, ended, and the first caller to find it takes it out.
        let taken_out = catch_unwind(AssertUnwindSafe(|| {
            driving.store.take_out(&driving.key, &driving.flight);
        }));
        driving.flight.finish(None);
        if let Err(panic) = taken_out
            && !thread::panicking()
        {
            resume_unwind(panic);
        }
    }
}

impl<K: Send + Sync + 'static, V: Send + Sync + 'static, B: Bookkeeping> Store<K, V, B> {
    /// The table of `async` computations under way, made on first use.
    fn flights(&self) -> &FlightTable<K, Flight<V>> {
        flight_table(&self.flights)
    }
}

impl<K, V, B> Store<K, V, B>
where
    K: Hash + Eq + Clone + Send + Sync + 'static,
    V: Clone + Send + Sync + 'static,
    B: Bookkeeping,
{
    /// Looks an `async fn`'s call up: a stored result, a computation to join, or a miss to
    /// drive. Joining counts as a hit, as in `async_lru`.
    pub(crate) fn lookup_async<Q: KeyRef<Owned = K>>(&self, key: Q) -> AsyncLookup<'_, K, V> {
        // A computation may be shared between threads: so is the store.
        self.share();
        let hash = hash_of(&key);
        let caller = self.caller();
        if let Some(value) = self.hit(caller, hash, &key) {
            return AsyncLookup::Hit(value);
        }
        let flights = self.flights().pin();
        let probe = Probe { hash, key: &key };
        if let Some(flight) = flights.get(&probe) {
            if flight.is_open() {
                let _ = self.count_hit(caller);
                return AsyncLookup::Join(Join::new(Arc::clone(flight)));
            }
            // Left in the table, ended, by a driver that could not take it out (its key's `Eq`
            // panicked): joining it would answer "look up again" forever.
            let _ = flights.remove_if(&probe, |_, current| Arc::ptr_eq(current, flight));
        }
        let Some(owned) = self.owned_key(hash, &key) else {
            // maxsize = 0: nothing is stored, so nothing is shared either.
            self.count_miss(caller);
            return AsyncLookup::Miss(AsyncPending { pending: None });
        };
        let flight = Arc::new(Flight::new());
        if let Err(occupied) = flights.try_insert(owned.clone(), Arc::clone(&flight)) {
            // Another caller started it between our two looks: join theirs.
            let _ = self.count_hit(caller);
            return AsyncLookup::Join(Join::new(Arc::clone(occupied.current)));
        }
        // A flight that landed between our first look and ours stored its result: use it.
        if let Some(value) = self.hit(caller, hash, &key) {
            flights.remove(&owned);
            // Anyone who joined meanwhile looks up again, and finds the result stored.
            flight.finish(None);
            return AsyncLookup::Hit(value);
        }
        self.count_miss(caller);
        AsyncLookup::Miss(AsyncPending {
            pending: Some(Driving {
                store: self,
                key: owned,
                flight,
            }),
        })
    }
}

#[cfg(test)]
mod tests;

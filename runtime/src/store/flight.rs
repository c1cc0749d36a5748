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
use std::sync::{Arc, Mutex, PoisonError};

use super::hashed::{Hashed, Probe, hash_of};
use super::{Insert, Store};
use crate::key::KeyRef;

enum State<V> {
    Running(Vec<Waker>),
    Done(V),
    Abandoned,
}

/// One computation under way.
pub(crate) struct Flight<V> {
    state: Mutex<State<V>>,
}

impl<V> Flight<V> {
    fn new() -> Self {
        Flight {
            state: Mutex::new(State::Running(Vec::new())),
        }
    }

    fn finish(&self, state: State<V>) {
        let previous = core::mem::replace(
            &mut *self.state.lock().unwrap_or_else(PoisonError::into_inner),
            state,
        );
        if let State::Running(wakers) = previous {
            wakers.into_iter().for_each(Waker::wake);
        }
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
}

impl<V: Clone> Future for Join<V> {
    type Output = Option<V>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<V>> {
        let mut state = self
            .flight
            .state
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        match &mut *state {
            State::Done(value) => Poll::Ready(Some(value.clone())),
            State::Abandoned => Poll::Ready(None),
            State::Running(wakers) => {
                if !wakers.iter().any(|w| w.will_wake(cx.waker())) {
                    wakers.push(cx.waker().clone());
                }
                Poll::Pending
            }
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
    /// Stores the result, then ends the flight: a later lookup finds the result.
    fn complete(&self, key: Hashed<K>, value: &V);
    /// Ends the flight with nothing stored.
    fn abandon(&self, key: &Hashed<K>);
}

impl<K, V> Flights<K, V> for Store<K, V>
where
    K: Hash + Eq + Clone + Send + Sync,
    V: Clone + Send + Sync,
{
    fn complete(&self, key: Hashed<K>, value: &V) {
        Insert::insert(self, Some(key.clone()), value);
        self.abandon(&key);
    }

    fn abandon(&self, key: &Hashed<K>) {
        self.flights.pin().remove(key);
    }
}

impl<K, V: Clone> AsyncPending<'_, K, V> {
    /// Runs the body and stores its result; waiters get a copy. If this future is dropped
    /// or the body panics first, waiters are woken to take over and nothing is stored.
    pub async fn run(mut self, body: impl Future<Output = V>) -> V {
        let value = body.await;
        if let Some(driving) = self.pending.take() {
            driving.store.complete(driving.key, &value);
            driving.flight.finish(State::Done(value.clone()));
        }
        value
    }

    /// As [`run`](Self::run), storing and sharing only an `Ok` result; after an `Err` the
    /// waiters look up again and one of them computes anew.
    pub async fn run_ok<E>(mut self, body: impl Future<Output = Result<V, E>>) -> Result<V, E> {
        let result = body.await;
        // After an `Err`, `self` drops with the flight still pending: waiters look again.
        if let Ok(value) = &result
            && let Some(driving) = self.pending.take()
        {
            driving.store.complete(driving.key, value);
            driving.flight.finish(State::Done(value.clone()));
        }
        result
    }
}

impl<K, V> Drop for AsyncPending<'_, K, V> {
    fn drop(&mut self) {
        if let Some(driving) = self.pending.take() {
            driving.store.abandon(&driving.key);
            driving.flight.finish(State::Abandoned);
        }
    }
}

impl<K, V> Store<K, V>
where
    K: Hash + Eq + Clone + Send + Sync,
    V: Clone + Send + Sync,
{
    /// Looks an `async fn`'s call up: a stored result, a computation to join, or a miss to
    /// drive. Joining counts as a hit, as in `async_lru`.
    pub fn lookup_async<Q: KeyRef<Owned = K>>(&self, key: Q) -> AsyncLookup<'_, K, V> {
        let hash = hash_of(&key);
        if let Some(value) = self.hit(hash, &key) {
            return AsyncLookup::Hit(value);
        }
        let flights = self.flights.pin();
        if let Some(flight) = flights.get(&Probe { hash, key: &key }) {
            let _ = self.counters.hit();
            return AsyncLookup::Join(Join {
                flight: Arc::clone(flight),
            });
        }
        let Some(owned) = self.owned_key(hash, &key) else {
            // maxsize = 0: nothing is stored, so nothing is shared either.
            self.counters.miss();
            return AsyncLookup::Miss(AsyncPending { pending: None });
        };
        let flight = Arc::new(Flight::new());
        if let Err(occupied) = flights.try_insert(owned.clone(), Arc::clone(&flight)) {
            // Another caller started it between our two looks: join theirs.
            let _ = self.counters.hit();
            return AsyncLookup::Join(Join {
                flight: Arc::clone(occupied.current),
            });
        }
        // A flight that landed between our first look and ours stored its result: use it.
        if let Some(value) = self.hit(hash, &key) {
            flights.remove(&owned);
            flight.finish(State::Done(value.clone()));
            return AsyncLookup::Hit(value);
        }
        self.counters.miss();
        AsyncLookup::Miss(AsyncPending {
            pending: Some(Driving {
                store: self,
                key: owned,
                flight,
            }),
        })
    }
}

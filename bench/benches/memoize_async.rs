//! Hits of memoized `async fn`s, side by side in one run:
//! `cargo bench -p py38-bench --bench memoize_async`.
//!
//! Peers: a hand-written `Mutex<FxHashMap>` of shared futures (`futures::future::Shared`,
//! what one writes to deduplicate concurrent calls by hand), and `cached`'s `async` support.
//! A hit completes at its first poll, so each call is polled once with a no-op waker: what is
//! measured is the cache, not an executor.

use std::future::Future;
use std::hint::black_box;
use std::pin::pin;
use std::sync::{LazyLock, Mutex};
use std::task::{Context, Poll, Waker};

use cached::proc_macro::cached;
use futures_util::FutureExt;
use futures_util::future::{BoxFuture, Shared};
use py38_bench::{KEYS, work};
use rustc_hash::FxHashMap;

fn main() {
    divan::main();
}

/// Polls a future that is ready at once (a hit).
fn now<F: Future>(future: F) -> F::Output {
    let mut future = pin!(future);
    match future
        .as_mut()
        .poll(&mut Context::from_waker(Waker::noop()))
    {
        Poll::Ready(value) => value,
        Poll::Pending => unreachable!("a hit is ready at once"),
    }
}

#[py38::memoize]
async fn py38_lru(n: u64) -> u64 {
    work(n)
}

#[cached(max_size = 128)]
async fn cached_lru(n: u64) -> u64 {
    work(n)
}

type SharedFutures = Mutex<FxHashMap<u64, Shared<BoxFuture<'static, u64>>>>;
static HAND: LazyLock<SharedFutures> = LazyLock::new(Default::default);

async fn hand_written(n: u64) -> u64 {
    let shared = HAND
        .lock()
        .unwrap()
        .entry(n)
        .or_insert_with(|| async move { work(n) }.boxed().shared())
        .clone();
    shared.await
}

thread_local! {
    static CYCLE: std::cell::Cell<u64> = const { std::cell::Cell::new(0) };
}

fn next() -> u64 {
    CYCLE.with(|c| {
        let n = c.get().wrapping_add(7);
        c.set(n);
        n % KEYS
    })
}

fn bench<F: Future<Output = u64>>(bencher: divan::Bencher<'_, '_>, f: impl Fn(u64) -> F + Sync) {
    for k in 0..KEYS {
        run_to_end(f(k));
    }
    bencher.bench(|| now(f(black_box(next()))));
}

/// Runs a future to completion on this thread (filling the caches).
fn run_to_end<F: Future>(future: F) -> F::Output {
    let mut future = pin!(future);
    loop {
        if let Poll::Ready(value) = future
            .as_mut()
            .poll(&mut Context::from_waker(Waker::noop()))
        {
            return value;
        }
    }
}

#[divan::bench]
fn py38_memoize(b: divan::Bencher<'_, '_>) {
    bench(b, py38_lru);
}

#[divan::bench]
fn hand_mutex_shared_futures(b: divan::Bencher<'_, '_>) {
    bench(b, hand_written);
}

#[divan::bench]
fn cached_max_size_128(b: divan::Bencher<'_, '_>) {
    bench(b, cached_lru);
}

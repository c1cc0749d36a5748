//! `#[memoize]` on `async fn`: `async_lru`'s rules, under tokio, smol and `block_on`.

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;

use py38::memoize;

/// Yields to the executor once, so that concurrent calls really overlap.
async fn yield_now() {
    struct YieldNow(bool);
    impl Future for YieldNow {
        type Output = ();
        fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
            if self.0 {
                Poll::Ready(())
            } else {
                self.0 = true;
                cx.waker().wake_by_ref();
                Poll::Pending
            }
        }
    }
    YieldNow(false).await;
}

#[test]
fn ten_concurrent_calls_run_the_body_once() {
    static RUNS: AtomicUsize = AtomicUsize::new(0);
    #[memoize]
    async fn fetch(id: u32) -> u32 {
        RUNS.fetch_add(1, Ordering::SeqCst);
        for _ in 0..5 {
            yield_now().await;
        }
        id * 10
    }
    let results = futures_executor::block_on(async {
        let calls: Vec<_> = (0..10).map(|_| fetch(7)).collect();
        join_all(calls).await
    });
    assert_eq!(results, vec![70; 10]);
    assert_eq!(RUNS.load(Ordering::SeqCst), 1);
    assert_eq!(
        fetch::cache_info().to_string(),
        "CacheInfo(hits=9, misses=1, maxsize=128, currsize=1)"
    );
}

/// Polls every future in turn until all are done (no executor-specific join needed).
async fn join_all<F: Future>(futures: Vec<F>) -> Vec<F::Output> {
    let mut futures: Vec<_> = futures.into_iter().map(Box::pin).collect();
    let mut outputs: Vec<Option<F::Output>> = futures.iter().map(|_| None).collect();
    std::future::poll_fn(|cx| {
        let mut pending = false;
        for (future, output) in futures.iter_mut().zip(outputs.iter_mut()) {
            if output.is_none() {
                match future.as_mut().poll(cx) {
                    Poll::Ready(value) => *output = Some(value),
                    Poll::Pending => pending = true,
                }
            }
        }
        if pending {
            Poll::Pending
        } else {
            Poll::Ready(())
        }
    })
    .await;
    outputs.into_iter().map(Option::unwrap).collect()
}

#[test]
fn errors_are_not_cached_and_waiters_compute_again() {
    static RUNS: AtomicUsize = AtomicUsize::new(0);
    #[memoize]
    async fn flaky(id: u32) -> Result<u32, String> {
        let run = RUNS.fetch_add(1, Ordering::SeqCst);
        yield_now().await;
        if run == 0 {
            Err(format!("run {run} failed"))
        } else {
            Ok(id)
        }
    }
    let results = futures_executor::block_on(join_all(vec![flaky(1), flaky(1), flaky(1)]));
    assert_eq!(results[0], Err("run 0 failed".to_owned()));
    assert_eq!(results[1], Ok(1));
    assert_eq!(results[2], Ok(1));
    // The first failure sent the two waiters round again: one computed, one joined it.
    assert_eq!(RUNS.load(Ordering::SeqCst), 2);
    assert_eq!(futures_executor::block_on(flaky(1)), Ok(1));
    assert_eq!(RUNS.load(Ordering::SeqCst), 2);
}

#[test]
fn a_dropped_driver_hands_over_to_a_waiter() {
    static RUNS: AtomicUsize = AtomicUsize::new(0);
    #[memoize]
    async fn slow(id: u32) -> u32 {
        RUNS.fetch_add(1, Ordering::SeqCst);
        for _ in 0..3 {
            yield_now().await;
        }
        id + 1
    }
    futures_executor::block_on(async {
        let mut driver = Box::pin(slow(1));
        let mut waiter = Box::pin(slow(1));
        // Start the driver, then the waiter (which joins), then drop the driver mid-way.
        let waker = std::task::Waker::noop();
        let mut cx = Context::from_waker(waker);
        assert!(driver.as_mut().poll(&mut cx).is_pending());
        assert!(waiter.as_mut().poll(&mut cx).is_pending());
        drop(driver);
        assert_eq!(waiter.await, 2);
    });
    assert_eq!(RUNS.load(Ordering::SeqCst), 2, "the waiter computed anew");
    assert_eq!(slow::cache_info().currsize, 1);
}

#[test]
fn a_dropped_sole_caller_leaves_nothing_behind() {
    static RUNS: AtomicUsize = AtomicUsize::new(0);
    #[memoize]
    async fn slow(id: u32) -> u32 {
        RUNS.fetch_add(1, Ordering::SeqCst);
        yield_now().await;
        id
    }
    let mut call = Box::pin(slow(5));
    let mut cx = Context::from_waker(std::task::Waker::noop());
    assert!(call.as_mut().poll(&mut cx).is_pending());
    drop(call);
    assert_eq!(slow::cache_info().currsize, 0);
    assert_eq!(futures_executor::block_on(slow(5)), 5);
    assert_eq!(RUNS.load(Ordering::SeqCst), 2);
}

#[test]
fn works_under_tokio_current_thread_and_multi_thread() {
    static RUNS: AtomicUsize = AtomicUsize::new(0);
    #[memoize]
    async fn fetch(id: u64) -> u64 {
        RUNS.fetch_add(1, Ordering::SeqCst);
        tokio::time::sleep(Duration::from_millis(20)).await;
        id * 2
    }
    let current = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .unwrap();
    current.block_on(async {
        let handles: Vec<_> = (0..10).map(|_| tokio::spawn(fetch(21))).collect();
        for handle in handles {
            assert_eq!(handle.await.unwrap(), 42);
        }
    });
    assert_eq!(RUNS.load(Ordering::SeqCst), 1);
    let multi = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_time()
        .build()
        .unwrap();
    multi.block_on(async {
        let handles: Vec<_> = (0..10).map(|i| tokio::spawn(fetch(100 + i % 2))).collect();
        for (i, handle) in handles.into_iter().enumerate() {
            assert_eq!(handle.await.unwrap(), 2 * (100 + i as u64 % 2));
        }
    });
    assert_eq!(RUNS.load(Ordering::SeqCst), 3);
    let info = fetch::cache_info();
    assert_eq!(
        (info.hits + info.misses, info.misses, info.currsize),
        (20, 3, 3)
    );
}

#[test]
fn works_under_smol() {
    static RUNS: AtomicUsize = AtomicUsize::new(0);
    #[memoize(maxsize = None)]
    async fn fetch(name: &str) -> usize {
        RUNS.fetch_add(1, Ordering::SeqCst);
        smol::Timer::after(Duration::from_millis(10)).await;
        name.len()
    }
    smol::block_on(async {
        let tasks: Vec<_> = (0..5)
            .map(|_| smol::spawn(async { fetch("smol").await }))
            .collect();
        for task in tasks {
            assert_eq!(task.await, 4);
        }
    });
    assert_eq!(RUNS.load(Ordering::SeqCst), 1);
    assert_eq!(fetch::cache_info().hits, 4);
}

#[test]
fn ttl_expires_entries_for_sync_and_async_functions() {
    static RUNS: AtomicUsize = AtomicUsize::new(0);
    #[memoize(ttl = 0.05)]
    fn stamp(n: u32) -> u32 {
        RUNS.fetch_add(1, Ordering::SeqCst);
        n
    }
    #[memoize(ttl = 0.05)]
    async fn stamp_async(n: u32) -> u32 {
        RUNS.fetch_add(1, Ordering::SeqCst);
        n
    }
    stamp(1);
    stamp(1);
    futures_executor::block_on(stamp_async(1));
    futures_executor::block_on(stamp_async(1));
    assert_eq!(RUNS.load(Ordering::SeqCst), 2);
    std::thread::sleep(Duration::from_millis(80));
    stamp(1);
    futures_executor::block_on(stamp_async(1));
    assert_eq!(RUNS.load(Ordering::SeqCst), 4);
    let info = stamp::cache_info();
    assert_eq!((info.hits, info.misses, info.currsize), (1, 2, 1));
    assert_eq!(
        stamp::cache_parameters().ttl,
        Some(Duration::from_millis(50))
    );
    assert_eq!(
        stamp::cache_parameters().to_string(),
        "{'maxsize': 128, 'typed': False, 'ttl': 0.05}"
    );
}

#[derive(Clone, Hash, PartialEq, Eq)]
struct Client {
    base: u32,
}

impl Client {
    #[memoize]
    async fn get(&self, path: &str) -> u32 {
        yield_now().await;
        self.base + path.len() as u32
    }
}

#[test]
fn async_methods_and_generic_async_functions() {
    #[memoize]
    async fn describe<T: std::fmt::Debug + Clone + std::hash::Hash + Eq>(value: T) -> String {
        format!("{value:?}")
    }
    let client = Client { base: 100 };
    futures_executor::block_on(async {
        assert_eq!(client.get("/a").await, 102);
        assert_eq!(client.get("/a").await, 102);
        assert_eq!(describe(5u8).await, "5");
        assert_eq!(describe("x").await, "\"x\"");
    });
    assert_eq!(Client::get_cache_info().hits, 1);
    assert_eq!(describe::cache_info().misses, 2);
}

/// The future of a memoized `async fn` is `Send` when its body's is: it can be spawned.
#[test]
fn futures_are_send() {
    #[memoize]
    async fn value(n: u8) -> u8 {
        n
    }
    fn assert_send<T: Send>(_: &T) {}
    let future = value(1);
    assert_send(&future);
    assert_eq!(futures_executor::block_on(future), 1);
}

#[test]
fn cache_invalidate_removes_one_key_for_sync_and_async_functions() {
    static RUNS: AtomicUsize = AtomicUsize::new(0);
    #[memoize]
    fn length(word: &str, times: usize) -> usize {
        RUNS.fetch_add(1, Ordering::SeqCst);
        word.len() * times
    }
    #[memoize]
    async fn length_async(word: String) -> usize {
        RUNS.fetch_add(1, Ordering::SeqCst);
        word.len()
    }
    assert_eq!(length("abc", 2), 6);
    assert_eq!(length("xy", 1), 2);
    assert!(length::cache_invalidate("abc", 2));
    assert!(!length::cache_invalidate("abc", 2), "already gone");
    assert!(!length::cache_invalidate("never", 9));
    assert_eq!(length::cache_info().currsize, 1);
    assert_eq!(length("abc", 2), 6);
    assert_eq!(RUNS.load(Ordering::SeqCst), 3);
    futures_executor::block_on(async {
        assert_eq!(length_async("four".into()).await, 4);
        assert!(length_async::cache_invalidate("four".into()));
        assert_eq!(length_async("four".into()).await, 4);
    });
    assert_eq!(RUNS.load(Ordering::SeqCst), 5);
}

#[test]
fn cache_invalidate_on_methods_and_generic_functions() {
    #[memoize]
    fn wrap<T: Clone + std::hash::Hash + Eq + std::fmt::Debug>(value: T) -> String {
        format!("[{value:?}]")
    }
    let client = Client { base: 7 };
    futures_executor::block_on(client.get("/x"));
    assert!(client.get_cache_invalidate("/x"));
    assert!(!Client { base: 8 }.get_cache_invalidate("/x"));
    wrap(1u8);
    wrap("s");
    assert!(wrap::cache_invalidate(1u8));
    assert!(!wrap::cache_invalidate(2u8));
    assert_eq!(wrap::cache_info().currsize, 1);
}

#[test]
fn a_panicking_body_stores_nothing_and_hands_its_waiters_over() {
    static RUNS: AtomicUsize = AtomicUsize::new(0);
    #[memoize]
    async fn fragile(id: u32) -> u32 {
        let run = RUNS.fetch_add(1, Ordering::SeqCst);
        yield_now().await;
        assert!(run > 0, "the first run panics");
        id
    }
    let mut first = Box::pin(fragile(3));
    let mut waiter = Box::pin(fragile(3));
    let mut cx = Context::from_waker(std::task::Waker::noop());
    assert!(first.as_mut().poll(&mut cx).is_pending());
    assert!(waiter.as_mut().poll(&mut cx).is_pending());
    let panicked = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        let _ = first.as_mut().poll(&mut cx);
    }));
    assert!(panicked.is_err());
    drop(first);
    assert_eq!(futures_executor::block_on(waiter), 3);
    assert_eq!(RUNS.load(Ordering::SeqCst), 2);
    assert_eq!(futures_executor::block_on(fragile(3)), 3);
    assert_eq!(RUNS.load(Ordering::SeqCst), 2);
}

/// A result whose `Clone` panics while the computation stores it must not strand the callers
/// that joined it, nor later callers of the same key (they joined a dead computation before).
#[test]
fn a_panicking_clone_of_the_result_hands_its_waiters_over() {
    static CLONES_TO_PANIC: AtomicUsize = AtomicUsize::new(0);
    #[derive(Debug, PartialEq)]
    struct Brittle(u32);
    impl Clone for Brittle {
        fn clone(&self) -> Self {
            let armed = CLONES_TO_PANIC
                .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1));
            assert!(armed.is_err(), "this clone panics");
            Brittle(self.0)
        }
    }
    #[memoize]
    async fn brittle(id: u32) -> Brittle {
        yield_now().await;
        Brittle(id)
    }
    let mut cx = Context::from_waker(std::task::Waker::noop());
    let mut first = Box::pin(brittle(4));
    let mut waiter = Box::pin(brittle(4));
    assert!(first.as_mut().poll(&mut cx).is_pending());
    assert!(waiter.as_mut().poll(&mut cx).is_pending());
    CLONES_TO_PANIC.store(1, Ordering::SeqCst);
    let panicked = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        let _ = first.as_mut().poll(&mut cx);
    }));
    assert!(panicked.is_err());
    drop(first);
    // Polled by hand, a bounded number of times: a stranded waiter fails instead of hanging.
    let mut ready = |future: &mut Pin<Box<dyn Future<Output = Brittle>>>| {
        (0..100).find_map(|_| match future.as_mut().poll(&mut cx) {
            Poll::Ready(value) => Some(value),
            Poll::Pending => None,
        })
    };
    let mut waiter: Pin<Box<dyn Future<Output = Brittle>>> = waiter;
    assert_eq!(ready(&mut waiter), Some(Brittle(4)), "the waiter was woken");
    let mut late: Pin<Box<dyn Future<Output = Brittle>>> = Box::pin(brittle(4));
    assert_eq!(
        ready(&mut late),
        Some(Brittle(4)),
        "a later caller was not stranded"
    );
}

thread_local! {
    /// How many of this thread's next key comparisons panic (see [`Touchy`]).
    static EQS_TO_PANIC: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
}

/// A key whose comparisons panic, as many times as the thread's [`EQS_TO_PANIC`] says.
#[derive(Clone, Debug)]
struct Touchy(u32);

impl std::hash::Hash for Touchy {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.0.hash(state);
    }
}

impl PartialEq for Touchy {
    fn eq(&self, other: &Self) -> bool {
        let armed = EQS_TO_PANIC.get();
        if armed > 0 {
            EQS_TO_PANIC.set(armed - 1);
            panic!("this comparison panics");
        }
        self.0 == other.0
    }
}

impl Eq for Touchy {}

/// A key whose `Eq` panics while the driver gives its flight up (here, after an `Err`) leaves
/// the ended flight in the table of computations under way. A later caller with that key must
/// take it out and compute, not join it again and again.
#[test]
fn a_flight_left_behind_by_a_panicking_eq_does_not_strand_later_callers() {
    static RUNS: AtomicUsize = AtomicUsize::new(0);
    #[memoize]
    async fn touchy(key: Touchy) -> Result<u32, ()> {
        if RUNS.fetch_add(1, Ordering::SeqCst) == 0 {
            // Giving the flight up compares this key with the table's.
            EQS_TO_PANIC.set(1);
            return Err(());
        }
        Ok(key.0 * 2)
    }
    let first = std::panic::catch_unwind(|| futures_executor::block_on(touchy(Touchy(5))));
    assert!(first.is_err(), "the key's Eq panicked in the first call");
    // On another thread, with a watchdog: a caller stranded on the ended flight would spin.
    let (done, finished) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = done.send(futures_executor::block_on(touchy(Touchy(5))));
    });
    let later = finished.recv_timeout(Duration::from_secs(10));
    assert_eq!(later, Ok(Ok(10)), "a later caller computes (not stranded)");
    assert_eq!(RUNS.load(Ordering::SeqCst), 2);
}

/// Storing a result takes the flight out, comparing keys. If that `Eq` panics, giving the
/// flight up on the way out compares them again: a second panic there, during unwinding, must
/// not abort the process.
#[test]
fn a_key_whose_eq_panics_twice_while_storing_does_not_abort() {
    #[memoize]
    async fn touchy(key: Touchy) -> u32 {
        EQS_TO_PANIC.set(2);
        key.0 * 2
    }
    let first = std::panic::catch_unwind(|| futures_executor::block_on(touchy(Touchy(3))));
    assert!(first.is_err(), "the key's Eq panicked while storing");
    EQS_TO_PANIC.set(0);
    assert_eq!(futures_executor::block_on(touchy(Touchy(3))), 6);
}

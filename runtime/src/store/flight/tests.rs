use super::*;
use crate::key::owned;

/// Callers that join a long computation and are then cancelled leave no waker behind:
/// a retrying caller must not make the flight grow.
#[test]
fn a_cancelled_waiter_takes_its_waker_out() {
    let store: Store<(u32,), u32> = Store::new(Some(8), None);
    let AsyncLookup::Miss(driver) = store.lookup_async((owned(&1u32),)) else {
        panic!("the first call drives");
    };
    let flight = Arc::clone(&driver.pending.as_ref().expect("driving").flight);
    struct Nop;
    impl std::task::Wake for Nop {
        fn wake(self: Arc<Self>) {}
    }
    for _ in 0..100 {
        // A waker of its own, as each retry of a real caller would bring.
        let waker = Waker::from(Arc::new(Nop));
        let mut cx = Context::from_waker(&waker);
        let AsyncLookup::Join(mut join) = store.lookup_async((owned(&1u32),)) else {
            panic!("later calls join");
        };
        assert!(Pin::new(&mut join).poll(&mut cx).is_pending());
        drop(join); // cancelled
    }
    let shared = flight.shared();
    assert!(shared.wakers.len() <= 1, "{} slots", shared.wakers.len());
    assert!(shared.wakers.iter().all(Option::is_none));
    assert_eq!(shared.waiting, 0);
}

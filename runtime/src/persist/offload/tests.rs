use super::offload;

#[test]
fn results_come_back_through_the_waker() {
    let thread = std::thread::current().id();
    let (value, ran_on) =
        futures_lite_block_on(offload(move || (21 * 2, std::thread::current().id())));
    assert_eq!(value, 42);
    assert_ne!(ran_on, thread, "the job ran on a store thread");
}

/// A minimal `block_on`: parks until the waker unparks.
fn futures_lite_block_on<F: core::future::Future>(future: F) -> F::Output {
    use std::task::{Context, Poll, Wake, Waker};
    struct Unpark(std::thread::Thread);
    impl Wake for Unpark {
        fn wake(self: std::sync::Arc<Self>) {
            self.0.unpark();
        }
    }
    let waker = Waker::from(std::sync::Arc::new(Unpark(std::thread::current())));
    let mut context = Context::from_waker(&waker);
    let mut future = core::pin::pin!(future);
    loop {
        match future.as_mut().poll(&mut context) {
            Poll::Ready(output) => return output,
            Poll::Pending => std::thread::park(),
        }
    }
}

//! Store calls made for `async fn`s, run on a few threads of py38's own so that no executor
//! thread waits on a file or on the network. The result comes back through the waker alone,
//! so it works on any executor (tokio, smol, `block_on`), like the rest of py38's async
//! support.

use core::future::Future;
use core::pin::Pin;
use core::task::{Context, Poll, Waker};
use std::sync::mpsc::{Receiver, Sender, channel};
use std::sync::{Arc, Mutex, OnceLock, PoisonError};

/// How many threads run store calls.
const WORKERS: usize = 4;

type Job = Box<dyn FnOnce() + Send>;

/// The queue the workers take jobs from; `None` if no worker thread could be started.
fn queue() -> Option<&'static Mutex<Sender<Job>>> {
    static QUEUE: OnceLock<Option<Mutex<Sender<Job>>>> = OnceLock::new();
    QUEUE
        .get_or_init(|| {
            let (sender, receiver) = channel::<Job>();
            let receiver = Arc::new(Mutex::new(receiver));
            let mut started = 0;
            for n in 0..WORKERS {
                let receiver = Arc::clone(&receiver);
                let spawned = std::thread::Builder::new()
                    .name(format!("py38-store-{n}"))
                    .spawn(move || work(&receiver));
                started += usize::from(spawned.is_ok());
            }
            (started > 0).then(|| Mutex::new(sender))
        })
        .as_ref()
}

fn work(receiver: &Mutex<Receiver<Job>>) {
    loop {
        let job = receiver
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .recv();
        match job {
            Ok(job) => job(),
            Err(_) => return,
        }
    }
}

/// What a job and the future waiting for it share.
struct Shared<T> {
    result: Option<T>,
    waker: Option<Waker>,
}

/// `job`'s result, computed on a store thread (or right here if none could be started).
pub(crate) fn offload<T: Send + 'static>(job: impl FnOnce() -> T + Send + 'static) -> Offloaded<T> {
    let shared = Arc::new(Mutex::new(Shared {
        result: None,
        waker: None,
    }));
    let theirs = Arc::clone(&shared);
    let run: Job = Box::new(move || {
        let result = job();
        let waker = {
            let mut shared = theirs.lock().unwrap_or_else(PoisonError::into_inner);
            shared.result = Some(result);
            shared.waker.take()
        };
        if let Some(waker) = waker {
            waker.wake();
        }
    });
    let sent = match queue() {
        Some(queue) => queue
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .send(run)
            .map_err(|rejected| rejected.0),
        None => Err(run),
    };
    if let Err(run) = sent {
        run();
    }
    Offloaded { shared }
}

/// A store call under way on a store thread.
pub(crate) struct Offloaded<T> {
    shared: Arc<Mutex<Shared<T>>>,
}

impl<T> Future for Offloaded<T> {
    type Output = T;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<T> {
        let mut shared = self.shared.lock().unwrap_or_else(PoisonError::into_inner);
        match shared.result.take() {
            Some(result) => Poll::Ready(result),
            None => {
                shared.waker = Some(cx.waker().clone());
                Poll::Pending
            }
        }
    }
}

#[cfg(test)]
mod tests;

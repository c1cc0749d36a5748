use super::*;
use crate::store::threads::{self, Threads};
use std::sync::atomic::AtomicBool;
use std::sync::{Arc, Barrier};
use std::time::Duration;

/// Fewer rounds under Miri, which is slow; the same paths.
const ROUNDS: u64 = if cfg!(miri) { 50 } else { 20_000 };

/// The calling thread, joined to `threads`, as the lock knows it.
fn me(threads: &Threads) -> LockUser<'_> {
    let me = threads::me();
    LockUser {
        index: me.index,
        reader: &threads.slot(me).reader,
    }
}

fn is_biased<S>(held: &Held<'_, S>) -> bool {
    matches!(held.how, How::Biased(_))
}

#[test]
fn the_only_live_user_takes_the_lock_without_the_mutex_once_it_is_biased() {
    let threads = Threads::new();
    let lock = WriterLock::new(0_u64);
    let me = me(&threads);
    let held = lock.lock(Some(me), &threads);
    assert!(!is_biased(&held), "not claimed yet: the mutex");
    drop(held);
    assert!(
        threads.claim(&mut 0, true),
        "the only live user claims the store"
    );
    let held = lock.lock(Some(me), &threads);
    assert!(
        !is_biased(&held),
        "the first lock after the claim biases it"
    );
    drop(held);
    let mut held = lock.lock(Some(me), &threads);
    assert!(is_biased(&held));
    assert!(me.reader.writing.load(Ordering::Relaxed), "held, marked");
    *held += 1;
    drop(held);
    assert!(
        !me.reader.writing.load(Ordering::Relaxed),
        "let go, unmarked"
    );
    assert_eq!(*lock.lock(Some(me), &threads), 1);
}

/// A thread that takes the mutex revokes the bias, and waits while the biased thread holds
/// the lock: the two never hold it at once.
#[test]
fn a_revoker_waits_until_the_biased_thread_is_out() {
    let threads = Threads::new();
    let lock = WriterLock::new(0_u64);
    let inside = AtomicBool::new(false);
    let ready = Barrier::new(2);
    std::thread::scope(|s| {
        let biased = s.spawn(|| {
            let me = me(&threads);
            assert!(threads.claim(&mut 0, true));
            drop(lock.lock(Some(me), &threads)); // biases
            let mut held = lock.lock(Some(me), &threads);
            assert!(is_biased(&held));
            inside.store(true, Ordering::Relaxed);
            ready.wait();
            // Long enough for the other thread to be waiting, if it wrongly does not.
            std::thread::sleep(Duration::from_millis(if cfg!(miri) { 1 } else { 50 }));
            *held += 1;
            inside.store(false, Ordering::Relaxed);
        });
        ready.wait();
        // A thread without a reader in the store: it takes the mutex.
        let mut held = lock.lock(None, &threads);
        assert!(!inside.load(Ordering::Relaxed), "held by both at once");
        assert_eq!(*held, 1, "the biased thread's write is seen");
        *held += 1;
        drop(held);
        biased.join().expect("the biased thread ends");
    });
    assert_eq!(*lock.lock(None, &threads), 2);
}

/// Two threads count under the lock, one of them biased at the start: no count is lost, and
/// neither thread waits forever.
#[test]
fn counts_under_the_lock_from_two_threads_add_up_whoever_is_biased() {
    let threads = Threads::new();
    // Not atomic: a lost update shows as a wrong total (and, under Miri, as a data race).
    let lock = WriterLock::new(0_u64);
    std::thread::scope(|s| {
        let count = || {
            let me = me(&threads);
            if threads.claim(&mut 0, true) {
                drop(lock.lock(Some(me), &threads)); // biases, as the only live user
            }
            for _ in 0..ROUNDS {
                *lock.lock(Some(me), &threads) += 1;
            }
        };
        let first = s.spawn(count);
        let second = s.spawn(count);
        first.join().expect("joined");
        second.join().expect("joined");
    });
    assert_eq!(*lock.lock(None, &threads), 2 * ROUNDS);
}

/// Takes the lock as a thread without a reader (so it revokes any bias), on a thread of its
/// own; whether that was done within ten seconds (a revoker waiting for a mark that never
/// comes down would wait forever).
fn revoke_within_seconds(threads: &Arc<Threads>, lock: &Arc<WriterLock<u64>>) -> bool {
    let (sent, done) = std::sync::mpsc::channel();
    let (threads, lock) = (Arc::clone(threads), Arc::clone(lock));
    let revoker = std::thread::spawn(move || {
        drop(lock.lock(None, &*threads));
        sent.send(()).ok(); // the receiver may have given up waiting
    });
    let done = done.recv_timeout(Duration::from_secs(10)).is_ok();
    if done {
        revoker.join().expect("the revoker ends");
    }
    done
}

/// A thread whose mark is up when it is granted the bias (a fork copied the mark of a thread
/// that held this index in the parent) lowers it: else a revoker waits forever.
#[test]
fn a_mark_left_up_is_lowered_when_the_bias_is_granted() {
    let threads = Arc::new(Threads::new());
    let lock = Arc::new(WriterLock::new(0_u64));
    let me = me(&threads);
    me.reader.writing.store(true, Ordering::Relaxed); // as a fork may leave it
    assert!(threads.claim(&mut 0, true));
    drop(lock.lock(Some(me), &*threads)); // biases
    assert_eq!(lock.biased.load(Ordering::Relaxed), me.index + 1);
    assert!(revoke_within_seconds(&threads, &lock), "the revoker hangs");
    assert_eq!(lock.biased.load(Ordering::Relaxed), 0, "revoked");
}

/// After a revocation, the only live user takes the mutex [`HOLD_OFF`] times before the bias
/// is granted again: a thread that looks in now and then does not pay the barrier for every
/// few writes of the user.
#[test]
fn the_bias_is_held_off_for_a_while_after_a_revocation() {
    let threads = Arc::new(Threads::new());
    let lock = Arc::new(WriterLock::new(0_u64));
    let me = me(&threads);
    assert!(threads.claim(&mut 0, true));
    drop(lock.lock(Some(me), &*threads)); // biases
    assert!(is_biased(&lock.lock(Some(me), &*threads)));
    assert!(revoke_within_seconds(&threads, &lock));
    for round in 0..=HOLD_OFF {
        let held = lock.lock(Some(me), &*threads);
        assert!(!is_biased(&held), "biased again after {round} locks");
    }
    assert!(is_biased(&lock.lock(Some(me), &*threads)), "granted again");
}

use super::*;
use std::sync::Barrier;
use std::thread;

/// A thread id of its own that no thread of the tests has: a thread that has ended.
fn ended_thread() -> ThreadId {
    thread::spawn(|| thread::current().id())
        .join()
        .expect("the thread ends")
}

#[test]
fn a_thread_never_waits_for_itself() {
    let me = thread::current().id();
    assert!(Wait::start(me, me).is_none());
}

#[test]
fn a_wait_that_would_close_a_cycle_is_refused_until_the_chain_ends() {
    let (a, b, c) = (ended_thread(), ended_thread(), ended_thread());
    let a_waits = Wait::start(a, b).expect("a waits for b");
    let b_waits = Wait::start(b, c).expect("b waits for c");
    // c -> a -> b -> c: refused.
    assert!(Wait::start(c, a).is_none());
    // b is no longer waiting: the chain from a ends at b.
    drop(b_waits);
    let c_waits = Wait::start(c, a).expect("c may wait for a now");
    drop((a_waits, c_waits));
    assert!(!edges().contains_key(&a));
    assert!(!edges().contains_key(&c));
}

/// Two threads that start waiting for each other at the same moment: one of them is refused.
#[test]
fn of_two_threads_waiting_for_each_other_one_is_refused() {
    let rounds = if cfg!(miri) { 5 } else { 200 };
    for _ in 0..rounds {
        let (x, y) = (ended_thread(), ended_thread());
        let barrier = Barrier::new(2);
        let waits: Vec<Option<Wait>> = thread::scope(|s| {
            let start = |waiter, driver| {
                let barrier = &barrier;
                s.spawn(move || {
                    barrier.wait();
                    Wait::start(waiter, driver)
                })
            };
            let handles = [start(x, y), start(y, x)];
            handles.map(|h| h.join().expect("join")).into()
        });
        assert_eq!(waits.iter().filter(|wait| wait.is_none()).count(), 1);
    }
}

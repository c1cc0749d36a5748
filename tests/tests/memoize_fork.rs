//! `fork()` while another thread is in the middle of a memoized call: the child, where that
//! thread does not exist, still frees what its caches evict, in the store that thread was
//! reading and in the others. (A binary of its own: a fork copies every thread's state.)

// `fork`, `waitpid` and `_exit` through `libc`: there is no safe wrapper for them.
#![allow(unsafe_code)]

use std::sync::atomic::{AtomicBool, AtomicIsize, Ordering};
use std::sync::mpsc;

use py38::memoize;

/// Results alive, in the stores and out.
static ALIVE: AtomicIsize = AtomicIsize::new(0);
/// Whether the next clone stops half-way, until told to go on.
static STALL: AtomicBool = AtomicBool::new(false);

/// A result that counts its copies, and whose clone can be held up mid-way.
struct Counted;

impl Counted {
    fn new() -> Self {
        ALIVE.fetch_add(1, Ordering::SeqCst);
        Counted
    }
}

impl Clone for Counted {
    fn clone(&self) -> Self {
        if STALL.swap(false, Ordering::SeqCst) {
            STALLED.with(|stalled| stalled.borrow()());
        }
        Counted::new()
    }
}

impl Drop for Counted {
    fn drop(&mut self) {
        ALIVE.fetch_sub(1, Ordering::SeqCst);
    }
}

thread_local! {
    /// What a stalled clone does: set on the thread that stalls.
    static STALLED: std::cell::RefCell<Box<dyn Fn()>> = std::cell::RefCell::new(Box::new(|| ()));
}

#[memoize(maxsize = 2)]
fn read_at_the_fork(k: u64) -> Counted {
    let _ = k;
    Counted::new()
}

#[memoize(maxsize = 2)]
fn other(k: u64) -> Counted {
    let _ = k;
    Counted::new()
}

/// Runs in the child: churns both caches, and says through its exit code whether what they
/// evicted was freed (only async-signal-safe ways out: `_exit`).
fn child() -> ! {
    for k in 0..10_000 {
        drop(read_at_the_fork(k + 1));
        drop(other(k));
    }
    // 2 stored in each cache, and the value the other thread was reading at the fork.
    let alive = ALIVE.load(Ordering::SeqCst);
    let code = if alive <= 2 + 2 + 1 { 0 } else { 1 };
    // SAFETY: ends the child at once, running nothing of the parent's copied state.
    unsafe { libc::_exit(code) }
}

#[test]
fn a_child_forked_while_a_thread_reads_a_cache_frees_what_it_evicts() {
    drop(read_at_the_fork(0));
    drop(other(0));
    let (stalled, in_clone) = mpsc::channel();
    let (go_on, release) = mpsc::channel::<()>();
    let reader = std::thread::spawn(move || {
        STALLED.with(|s| {
            *s.borrow_mut() = Box::new(move || {
                stalled.send(()).unwrap();
                let _ = release.recv();
            });
        });
        STALL.store(true, Ordering::SeqCst);
        drop(read_at_the_fork(0)); // a hit: the clone stalls, the entry being read
    });
    in_clone.recv().unwrap();
    // SAFETY: the child runs only `child`, which ends with `_exit`.
    let pid = unsafe { libc::fork() };
    assert!(pid >= 0, "fork failed");
    if pid == 0 {
        child();
    }
    go_on.send(()).unwrap();
    reader.join().unwrap();
    let mut status = 0;
    // SAFETY: waits for the child just forked; `status` is a valid place to write.
    let waited = unsafe { libc::waitpid(pid, &mut status, 0) };
    assert_eq!(waited, pid);
    assert!(libc::WIFEXITED(status), "the child did not exit: {status}");
    assert_eq!(
        libc::WEXITSTATUS(status),
        0,
        "the child kept more results alive than its caches hold"
    );
}

use std::sync::Barrier;
use std::time::{Duration, Instant};

use crate::key::owned;
use crate::outcome::{Whole, keep_all};
use crate::store::{FlightLookup, Lookup, Store};

/// A fork at the moment another thread holds a store's writer lock: the child can still
/// store results (it waited for the lock to be let go before it forked).
#[test]
fn a_child_forked_while_a_writer_holds_the_lock_can_still_write() {
    let store: &'static Store<(u32,), u32> = Box::leak(Box::new(Store::new(Some(4), None)));
    store.keep_across_forks();
    let (locked, forking) = (Barrier::new(2), Barrier::new(2));
    std::thread::scope(|s| {
        s.spawn(|| {
            let held = store.hold_writer_lock();
            locked.wait();
            forking.wait();
            std::thread::sleep(Duration::from_millis(50)); // the fork waits for this
            drop(held);
        });
        locked.wait();
        forking.wait();
        // SAFETY: the child runs only `child`, which ends with `_exit`.
        let pid = unsafe { libc::fork() };
        assert!(pid >= 0, "fork failed");
        if pid == 0 {
            child(store);
        }
        assert_eq!(
            wait_for(pid, Duration::from_secs(10)),
            Some(0),
            "the child hung"
        );
    });
}

/// Stores a result in the child, and says through the exit code that it could.
fn child(store: &Store<(u32,), u32>) -> ! {
    let stored = match store.lookup((owned(&1u32),)) {
        Lookup::Miss(pending) => pending.run(|| 10) == 10,
        Lookup::Hit(_) => false,
    };
    // SAFETY: ends the child at once, running nothing of the parent's copied state.
    unsafe { libc::_exit(if stored { 0 } else { 1 }) }
}

/// The child's exit code, or `None` (then killed) if it has not exited within `limit`.
fn wait_for(pid: libc::pid_t, limit: Duration) -> Option<i32> {
    let deadline = Instant::now() + limit;
    let mut status = 0;
    while Instant::now() < deadline {
        // SAFETY: polls the child forked above; `status` is a valid place to write.
        let done = unsafe { libc::waitpid(pid, &mut status, libc::WNOHANG) };
        if done == pid {
            return libc::WIFEXITED(status).then(|| libc::WEXITSTATUS(status));
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    // SAFETY: ends the hung child, and reaps it.
    unsafe {
        libc::kill(pid, libc::SIGKILL);
        libc::waitpid(pid, &mut status, 0);
    }
    None
}

/// A fork while another thread computes a key for `single_flight = true`: that thread does not
/// exist in the child, whose calls with the key compute instead of waiting for it.
#[test]
fn a_child_does_not_wait_for_a_computation_of_a_thread_lost_in_the_fork() {
    let store: &'static Store<(u32,), u32> = Box::leak(Box::new(Store::new(Some(4), None)));
    store.keep_across_forks();
    let (computing, forked) = (Barrier::new(2), Barrier::new(2));
    std::thread::scope(|s| {
        s.spawn(|| {
            let FlightLookup::Miss(pending) = store.lookup_flight((owned(&1u32),)) else {
                panic!("the first call computes");
            };
            computing.wait();
            forked.wait(); // computing until the parent has forked
            pending.settle(Whole::default(), 10, keep_all)
        });
        computing.wait();
        // SAFETY: the child runs only `flight_child`, which ends with `_exit`.
        let pid = unsafe { libc::fork() };
        assert!(pid >= 0, "fork failed");
        if pid == 0 {
            flight_child(store);
        }
        forked.wait();
        assert_eq!(
            wait_for(pid, Duration::from_secs(10)),
            Some(0),
            "the child hung, or did not compute"
        );
    });
}

/// Calls the key a lost thread was computing, and says through the exit code that it computed.
fn flight_child(store: &Store<(u32,), u32>) -> ! {
    let computed = match store.lookup_flight((owned(&1u32),)) {
        FlightLookup::Miss(pending) => pending.settle(Whole::default(), 20, keep_all) == 20,
        FlightLookup::Hit(_) => false,
    };
    // SAFETY: ends the child at once, running nothing of the parent's copied state.
    unsafe { libc::_exit(if computed { 0 } else { 1 }) }
}

/// Set in a run of the test binary made by [`the_fork_handler_decides_the_barriers_mode_first`]
/// for that one test: a process in which nothing has used a store yet.
const FRESH: &str = "PY38_FORK_TEST_FRESH_PROCESS";

/// A fork while another thread is deciding whether the process uses `membarrier` would leave
/// the child blocked at its first barrier: the handler makes the decision before it forks. Run
/// again in a fresh process, where nothing has made it yet.
#[test]
fn the_fork_handler_decides_the_barriers_mode_first() {
    let name = "store::fork::tests::the_fork_handler_decides_the_barriers_mode_first";
    if std::env::var_os(FRESH).is_some() {
        assert!(
            !crate::store::epoch::decided(),
            "a fresh process has not decided"
        );
        super::prepare();
        super::release();
        assert!(crate::store::epoch::decided(), "the handler did not decide");
        return;
    }
    let status = std::process::Command::new(std::env::current_exe().unwrap())
        .args([name, "--exact", "--test-threads=1"])
        .env(FRESH, "1")
        .status()
        .unwrap();
    assert!(
        status.success(),
        "the run in a fresh process failed: {status}"
    );
}

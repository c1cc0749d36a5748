use super::*;
use std::sync::Barrier;

/// After a burst of more threads than there are owned indices, new threads get owned
/// indices (the indices past them were handed back too, and must not come out first).
#[test]
#[cfg_attr(miri, ignore = "a thousand threads")]
fn threads_after_a_burst_get_slots_of_their_own() {
    let burst = MAX_OWNED + 64;
    let all_in = Barrier::new(burst);
    std::thread::scope(|s| {
        for _ in 0..burst {
            std::thread::Builder::new()
                .stack_size(64 * 1024)
                .spawn_scoped(s, || {
                    let _ = me();
                    all_in.wait(); // every index handed out at once
                })
                .expect("spawn");
        }
    });
    let together = Barrier::new(8);
    let without = std::thread::scope(|s| {
        let claim = || {
            let me = me();
            together.wait(); // alive at once: none hands its index to the next
            me
        };
        let threads: Vec<_> = (0..8).map(|_| s.spawn(claim)).collect();
        let claimed = threads.into_iter().map(|t| t.join().expect("joined"));
        claimed.filter(|me| !me.has_slot()).count()
    });
    assert_eq!(
        without, 0,
        "threads left without slots while owned ones were free"
    );
}

/// Counts from many threads add up, through slots and the crowd alike.
#[test]
fn counts_from_many_threads_add_up() {
    let threads = Threads::new();
    std::thread::scope(|s| {
        for _ in 0..40 {
            s.spawn(|| {
                let me = me();
                for _ in 0..1000 {
                    if me.has_slot() {
                        let _ = threads.slot(me).counts.hit(|| 0);
                    } else {
                        let _ = threads.crowd.hit(0);
                    }
                }
                threads.crowd.count(false);
            });
        }
    });
    assert_eq!(threads.totals(), (40_000, 40));
    threads.reset();
    assert_eq!(threads.totals(), (0, 0));
}

/// The only live user of a store may claim it; a second thread joining ends the claim,
/// and once that thread has ended the first may claim it again.
#[test]
fn a_store_is_solo_while_one_live_thread_uses_it() {
    let threads = Threads::new();
    let mine = me();
    let _ = threads.slot(mine);
    let mut memo = u64::MAX;
    assert!(threads.claim(&mut memo, false));
    assert!(threads.is_solo(mine));
    std::thread::scope(|s| {
        s.spawn(|| {
            let _ = threads.slot(me());
        });
    });
    assert!(!threads.is_solo(mine), "a join ends the claim");
    // The other thread gives its index back when its thread-locals are torn down, a
    // little after `scope` has seen its closure return.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    while !threads.claim(&mut memo, true) {
        assert!(
            std::time::Instant::now() < deadline,
            "the other thread has ended"
        );
        std::thread::yield_now();
    }
}

/// A thread that takes a slot over starts with its mark down (see `Reader::writing`): the
/// previous thread's may have been copied up by a fork, and a revoker would wait for it.
#[test]
fn a_thread_taking_a_slot_over_finds_its_writing_mark_down() {
    let threads = Threads::new();
    let mine = me();
    threads
        .slot(mine)
        .reader
        .writing
        .store(true, Ordering::Relaxed);
    // The next thread of this index: another lease (no live thread has this one).
    let next = Me {
        index: mine.index,
        lease: u64::MAX - 1,
    };
    assert!(!threads.slot(next).reader.writing.load(Ordering::Relaxed));
}

/// The counting walks stop at the highest segment made, wherever it is: a slot of a
/// segment made after a gap of unmade ones is counted, and reset.
#[test]
fn a_slot_past_unmade_segments_is_counted_and_reset() {
    let threads = Threads::new();
    let far = 5 * SEGMENT + 3;
    let _ = threads.owned(far).counts.hit(|| 0);
    threads.owned(far).counts.miss();
    assert_eq!(threads.totals(), (1, 1));
    assert_eq!(threads.others(Some(0)), 2);
    threads.reset();
    assert_eq!(threads.totals(), (0, 0));
    let _ = threads.owned(1).counts.hit(|| 0);
    assert_eq!(threads.totals(), (1, 0));
}

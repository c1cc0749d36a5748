use std::sync::Arc;
use std::sync::atomic::AtomicUsize;

use super::*;
use crate::store::drop_count::Counted;

/// The readers of a test: a fixed set, every one live.
struct Set {
    readers: Vec<Reader>,
    /// The one the calling thread is, if it is the store's only user.
    solo: Option<usize>,
    /// The one the calling thread is.
    caller: Option<usize>,
}

impl Set {
    fn of(n: usize) -> Self {
        Set {
            readers: (0..n).map(|_| Reader::default()).collect(),
            solo: None,
            caller: None,
        }
    }
}

impl Readers for Set {
    fn each_live(&self, each: &mut dyn FnMut(usize, &Reader)) {
        for (index, reader) in self.readers.iter().enumerate() {
            each(index, reader);
        }
    }
    fn moved_on(&self, index: usize, state: u64) -> bool {
        self.readers[index].moved_on(state)
    }
    fn runs_user_code(&self, index: usize) -> bool {
        self.readers[index].in_user_code.load(Ordering::Relaxed)
    }
    fn writing(&self, index: usize) -> &AtomicBool {
        &self.readers[index].writing
    }
    fn caller(&self) -> Option<usize> {
        self.caller
    }
    fn solo(&self) -> Option<&Reader> {
        self.solo.map(|index| &self.readers[index])
    }
    fn is_solo_at(&self, index: usize) -> bool {
        self.solo == Some(index)
    }
    fn claim(&self, _: &mut u64, _: bool) -> bool {
        false
    }
}

/// An unlinked node: its address (for hazards), and what counts its drop.
struct Item(
    usize,
    #[allow(dead_code, reason = "counts when dropped")] Counted,
);

impl Retired for Item {
    fn node(&self) -> Option<usize> {
        Some(self.0)
    }
}

/// A bin holding `SEAL_AT` items at addresses 1, 2, ... (not yet collected).
fn full_bin(dropped: &Arc<AtomicUsize>) -> Bin<Item> {
    let mut bin = Bin::new();
    for address in 1..=SEAL_AT {
        bin.retire(Item(address, Counted(dropped.clone())));
    }
    bin
}

fn dropped_after_collect(bin: &mut Bin<Item>, set: &Set, dropped: &AtomicUsize) -> usize {
    drop(bin.collect(set, &[]));
    dropped.load(Ordering::SeqCst)
}

#[test]
fn items_are_freed_once_sealed_when_nobody_reads() {
    let dropped = Arc::new(AtomicUsize::new(0));
    let set = Set::of(2);
    let mut bin = Bin::new();
    for address in 1..SEAL_AT {
        bin.retire(Item(address, Counted(dropped.clone())));
    }
    assert_eq!(
        dropped_after_collect(&mut bin, &set, &dropped),
        0,
        "not sealed yet"
    );
    bin.retire(Item(SEAL_AT, Counted(dropped.clone())));
    assert_eq!(dropped_after_collect(&mut bin, &set, &dropped), SEAL_AT);
    assert_eq!(bin.waiting(), 0);
}

#[test]
fn a_probing_reader_holds_the_batch_back_until_it_leaves() {
    let dropped = Arc::new(AtomicUsize::new(0));
    let set = Set::of(2);
    let entered = set.readers[1].enter();
    assert!(entered.is_some());
    let mut bin = full_bin(&dropped);
    assert_eq!(dropped_after_collect(&mut bin, &set, &dropped), 0);
    set.readers[1].leave(entered);
    assert_eq!(dropped_after_collect(&mut bin, &set, &dropped), SEAL_AT);
}

#[test]
fn a_reader_that_probes_after_the_seal_holds_nothing_back() {
    let dropped = Arc::new(AtomicUsize::new(0));
    let set = Set::of(1);
    let mut bin = full_bin(&dropped);
    bin.seal(&set);
    let entered = set.readers[0].enter(); // cannot reach what was unlinked before the seal
    assert_eq!(dropped_after_collect(&mut bin, &set, &dropped), SEAL_AT);
    set.readers[0].leave(entered);
}

#[test]
fn a_hazard_holds_back_its_node_alone_until_released() {
    let dropped = Arc::new(AtomicUsize::new(0));
    let set = Set::of(2);
    let reader = &set.readers[1];
    let entered = reader.enter();
    let hazard = reader
        .protect(core::ptr::without_provenance(1))
        .expect("a free hazard");
    reader.leave(entered); // user code runs from here, the node protected
    let mut bin = full_bin(&dropped);
    assert_eq!(dropped_after_collect(&mut bin, &set, &dropped), SEAL_AT - 1);
    assert_eq!(bin.waiting(), 1);
    assert_eq!(
        dropped_after_collect(&mut bin, &set, &dropped),
        SEAL_AT - 1,
        "still held"
    );
    reader.release(hazard);
    assert_eq!(dropped_after_collect(&mut bin, &set, &dropped), SEAL_AT);
}

#[test]
fn hazards_nest_up_to_their_number_then_refuse() {
    let reader = Reader::default();
    let taken: Vec<usize> = (1..=HAZARDS)
        .map(|n| {
            reader
                .protect(core::ptr::without_provenance(n))
                .expect("free")
        })
        .collect();
    assert_eq!(taken, (0..HAZARDS).collect::<Vec<_>>());
    assert_eq!(reader.protect(core::ptr::without_provenance(99)), None);
    for at in taken.into_iter().rev() {
        reader.release(at);
    }
    assert!(reader.is_idle());
}

#[test]
fn nested_probes_keep_the_outer_mark() {
    let reader = Reader::default();
    let outer = reader.enter();
    assert!(outer.is_some());
    assert_eq!(
        reader.enter(),
        None,
        "already marked: the outer probe clears it"
    );
    assert!(reader.probing().is_some());
    reader.leave(outer);
    assert!(reader.is_idle());
}

#[test]
fn a_solo_writer_frees_at_once_but_what_it_reads_itself() {
    let dropped = Arc::new(AtomicUsize::new(0));
    let mut set = Set::of(1);
    set.solo = Some(0);
    let mut bin = Bin::new();
    bin.retire(Item(1, Counted(dropped.clone())));
    assert_eq!(
        dropped_after_collect(&mut bin, &set, &dropped),
        1,
        "no batch to wait for"
    );
    // Its own user code reads node 2 (say a result's `Clone` calls the function, which
    // evicts that very result): kept until released.
    let hazard = set.readers[0]
        .protect(core::ptr::without_provenance(2))
        .expect("free");
    bin.retire(Item(2, Counted(dropped.clone())));
    bin.retire(Item(3, Counted(dropped.clone())));
    drop(bin.flush(&set, &[]));
    assert_eq!(dropped.load(Ordering::SeqCst), 2);
    set.readers[0].release(hazard);
    assert_eq!(dropped_after_collect(&mut bin, &set, &dropped), 3);
}

#[test]
fn nodes_read_outside_the_readers_are_held_too() {
    let dropped = Arc::new(AtomicUsize::new(0));
    let set = Set::of(1);
    let mut bin = full_bin(&dropped);
    drop(bin.collect(&set, &[1]));
    assert_eq!(dropped.load(Ordering::SeqCst), SEAL_AT - 1);
    drop(bin.collect(&set, &[]));
    assert_eq!(dropped.load(Ordering::SeqCst), SEAL_AT);
}

#[test]
fn a_writer_waits_for_probes_past_a_few_batches_but_never_for_user_code() {
    let dropped = Arc::new(AtomicUsize::new(0));
    let mut set = Set::of(2);
    set.caller = Some(0);
    let mut bin = Bin::new();
    let entered = set.readers[1].enter();
    for address in 0..(MAX_SEALED + 1) * SEAL_AT {
        bin.retire(Item(address, Counted(dropped.clone())));
        drop(bin.collect(&set, &[]));
    }
    assert!(
        bin.must_wait(&set),
        "a probe holds back more than a few batches"
    );
    set.caller = Some(1);
    assert!(!bin.must_wait(&set), "never for the writer's own probe");
    set.caller = Some(0);
    set.readers[1].mark_user_code(true);
    assert!(
        !bin.must_wait(&set),
        "never for a probe that runs user code"
    );
    set.readers[1].mark_user_code(false);
    set.readers[1].leave(entered);
    assert!(!bin.must_wait(&set));
}

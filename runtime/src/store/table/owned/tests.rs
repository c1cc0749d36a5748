use super::*;
use crate::store::drop_count::Counted;
use crate::store::table::Removal;
use crate::store::threads::{self, Threads};
use std::sync::atomic::AtomicUsize;
use std::sync::{Arc, Barrier};

/// A key, a heap-allocated value (a use after free shows: under Miri, always), and the stamps
/// of its uses, as a store's entry keeps them.
struct Item<X = String> {
    key: u64,
    value: X,
    used: AtomicU64,
    queued: AtomicU64,
}

impl<X> Stamps for Item<X> {
    const TAGGED: bool = false;

    fn used(&self) -> u64 {
        self.used.load(Ordering::Relaxed)
    }

    fn queued(&self) -> u64 {
        self.queued.load(Ordering::Relaxed)
    }

    fn requeue(&self, stamp: u64) {
        self.queued.store(stamp, Ordering::Relaxed);
    }
}

/// A test's item is made before it is stored.
impl<X> Unmade<Item<X>> for Item<X> {
    fn queued(&self) -> u64 {
        Stamps::queued(self)
    }

    fn make(self) -> Item<X> {
        self
    }
}

/// The stamps of the tests' uses, in the order made.
static CLOCK: AtomicU64 = AtomicU64::new(1);

fn tick() -> u64 {
    CLOCK.fetch_add(1, Ordering::Relaxed)
}

fn hash(key: u64) -> u64 {
    crate::store::hash_of(&key)
}

fn item_of<X>(key: u64, value: X) -> Item<X> {
    let stamp = tick();
    Item {
        key,
        value,
        used: AtomicU64::new(stamp),
        queued: AtomicU64::new(stamp),
    }
}

fn item(key: u64) -> Item {
    item_of(key, key.to_string())
}

fn same<X>(old: &Item<X>, new: &Item<X>) -> bool {
    old.key == new.key
}

/// An owned map for `threads`, claimed by the calling thread, as whom it calls.
fn claimed<X>(threads: &Threads, bound: Option<usize>) -> (Owned<Item<X>>, Owner<'_>) {
    let owned = Owned::new(true, bound.is_none(), bound.unwrap_or(0));
    let owner = claim(threads, &owned);
    (owned, owner)
}

/// Claims `owned` for the calling thread, which joins `threads` (as a lookup does).
fn claim<'t, T: Stamps>(threads: &'t Threads, owned: &Owned<T>) -> Owner<'t> {
    let me = threads::me();
    let reader = &threads.slot(me).reader;
    assert!(owned.claim(me.lease));
    Owner {
        lease: me.lease,
        reader,
    }
}

fn store(owned: &Owned<Item>, owner: Owner<'_>, key: u64, bound: Option<usize>) {
    let stored = owned.insert(owner, hash(key), item(key), bound, same, |_| OnFound::Keep);
    assert!(stored.is_ok(), "the store is the caller's");
}

/// A hit, its use recorded (as the store's `use_owned`).
fn find(owned: &Owned<Item>, owner: Owner<'_>, key: u64) -> Option<String> {
    let found = owned.read(
        owner,
        hash(key),
        |i| i.key == key,
        |i| {
            i.used.store(tick(), Ordering::Relaxed);
            i.value.clone()
        },
    );
    found.expect("the store is the caller's")
}

#[test]
fn the_owner_finds_what_it_stored_and_evicts_the_least_recently_used() {
    let threads = Threads::new();
    let (owned, owner) = claimed(&threads, Some(3));
    for key in [1, 2, 3] {
        store(&owned, owner, key, Some(3));
    }
    assert_eq!(find(&owned, owner, 1).as_deref(), Some("1")); // order: 2, 3, 1
    store(&owned, owner, 4, Some(3)); // evicts 2
    assert_eq!(find(&owned, owner, 2), None);
    assert_eq!(find(&owned, owner, 3).as_deref(), Some("3")); // order: 1, 4, 3
    store(&owned, owner, 5, Some(3)); // evicts 1
    for (key, found) in [(1, false), (3, true), (4, true), (5, true)] {
        assert_eq!(find(&owned, owner, key).is_some(), found, "{key}");
    }
    assert_eq!(owned.len(), 3);
    assert!(owned.remove(owner, hash(3), |i| i.key == 3).unwrap());
    assert!(!owned.remove(owner, hash(3), |i| i.key == 3).unwrap());
    owned.clear(owner).unwrap();
    assert_eq!((owned.len(), find(&owned, owner, 4)), (0, None));
}

/// Items removed otherwise than by eviction leave stale records behind, which never make an
/// eviction wrong, and are dropped once they outnumber the items.
#[test]
fn removals_leave_no_backlog_of_records() {
    let threads = Threads::new();
    let (owned, owner) = claimed(&threads, Some(4));
    for round in 0..1000 {
        store(&owned, owner, round, Some(4));
        assert!(
            owned
                .remove(owner, hash(round), |i| i.key == round)
                .unwrap()
        );
    }
    for key in [1, 2, 3, 4, 5] {
        store(&owned, owner, 10_000 + key, Some(4)); // the fifth evicts the first
    }
    assert_eq!(find(&owned, owner, 10_001), None);
    assert_eq!(find(&owned, owner, 10_002).as_deref(), Some("10002"));
    // SAFETY: no window is open; this thread is the owner.
    let queued = unsafe { &*owned.map.get() }.recency.len();
    assert!(queued <= 2 * 4 + 16, "{queued} records");
}

#[test]
fn an_item_stored_meanwhile_is_kept_replaced_or_removed_as_asked() {
    let threads = Threads::new();
    let (owned, owner) = claimed::<String>(&threads, Some(4));
    let put = |value: &str, on_found| {
        let new = item_of(1, value.to_owned());
        let stored = owned.insert(owner, hash(1), new, Some(4), same, |old| {
            assert_eq!(old.key, 1);
            on_found
        });
        assert!(stored.is_ok());
    };
    put("a", OnFound::Keep);
    put("b", OnFound::Keep);
    assert_eq!(find(&owned, owner, 1).as_deref(), Some("a"));
    put("c", OnFound::Replace);
    assert_eq!(find(&owned, owner, 1).as_deref(), Some("c"));
    put("d", OnFound::Remove);
    assert_eq!(find(&owned, owner, 1).as_deref(), Some("d"));
    assert_eq!(owned.len(), 1);
}

/// Keys of one hash (a key type whose `Hash` is poor) are told apart by `Eq`.
#[test]
fn keys_of_one_hash_are_told_apart() {
    let threads = Threads::new();
    let (owned, owner) = claimed::<String>(&threads, None);
    for key in 0..10 {
        let stored = owned.insert(owner, 7, item(key), None, same, |_| OnFound::Keep);
        assert!(stored.is_ok());
    }
    for key in 0..10 {
        let found = owned.read(owner, 7, |i| i.key == key, |i| i.value.clone());
        assert_eq!(found.unwrap(), Some(key.to_string()));
    }
    assert!(owned.remove(owner, 7, |i| i.key == 4).unwrap());
    let found = owned.read(owner, 7, |i| i.key == 4, |i| i.value.clone());
    assert_eq!(found.unwrap(), None);
    assert_eq!(owned.len(), 9);
}

/// A hand-over publishes the owner's items in the shared map, with the queue of their records;
/// the owner's calls fail from then on, and hand their item back.
#[test]
fn a_hand_over_publishes_every_item_and_the_queue() {
    let threads = Threads::new();
    let (owned, owner) = claimed(&threads, Some(8));
    for key in 0..5 {
        store(&owned, owner, key, Some(8));
    }
    find(&owned, owner, 1);
    let map = Map::new(8, ());
    let mut published = Vec::new();
    let mut queued = 0;
    owned.hand_over(
        &map,
        &threads,
        |item: &Item, ()| published.push(item.key),
        |recency, ()| queued = recency.len(),
    );
    published.sort_unstable();
    assert_eq!((published, queued), (vec![0, 1, 2, 3, 4], 5));
    assert_eq!((owned.state(), owned.len(), map.len()), (SHARED, 0, 5));
    for key in 0..5 {
        let found = map.read(
            owner.reader,
            hash(key),
            |i| i.key == key,
            |i, _| i.value.clone(),
        );
        assert_eq!(found, Some(key.to_string()));
    }
    let back = owned.insert(owner, hash(9), item(9), Some(8), same, |_| OnFound::Keep);
    assert_eq!(back.err().map(|item| item.key), Some(9));
    assert!(owned.read(owner, hash(1), |_| true, |_| ()).is_err());
    owned.hand_over(
        &map,
        &threads,
        |_, ()| panic!("handed over already"),
        |_, ()| {},
    );
}

/// The owner reading an item, in user code (a result's `Clone`), calls back and evicts it:
/// the node lives on until the read is done, then goes with the next insertion.
#[test]
fn an_item_the_owner_reads_outlives_its_eviction_by_a_call_back() {
    let threads = Threads::new();
    let dropped = Arc::new(AtomicUsize::new(0));
    let (owned, owner) = claimed::<(Counted, String)>(&threads, Some(1));
    let put = |key: u64| {
        let new = item_of(key, (Counted(dropped.clone()), key.to_string()));
        let stored = owned.insert(owner, hash(key), new, Some(1), same, |_| OnFound::Keep);
        assert!(stored.is_ok());
    };
    put(1);
    let read = owned.read(
        owner,
        hash(1),
        |i| i.key == 1,
        |i| {
            put(2); // evicts 1, which this reads
            assert_eq!(dropped.load(Ordering::SeqCst), 0, "kept while read");
            i.value.1.clone()
        },
    );
    assert_eq!(read.unwrap().as_deref(), Some("1"));
    assert_eq!(dropped.load(Ordering::SeqCst), 0);
    put(3); // evicts 2 (its node reused), and frees 1
    assert_eq!(dropped.load(Ordering::SeqCst), 2);
    drop(owned);
    assert_eq!(dropped.load(Ordering::SeqCst), 3, "every item dropped once");
}

/// Another thread hands the store over and the shared map's writer removes the item while the
/// owner reads it: the owner's hazard keeps the node until it is done (Miri checks the read).
#[test]
fn an_item_the_owner_reads_outlives_a_hand_over_and_its_removal() {
    let threads = Threads::new();
    let dropped = Arc::new(AtomicUsize::new(0));
    let map: Map<Item<(Counted, String)>, ()> = Map::new(4, ());
    let (reading, removed) = (Barrier::new(2), Barrier::new(2));
    let owned = Owned::new(true, false, 4);
    std::thread::scope(|s| {
        s.spawn(|| {
            let owner = claim(&threads, &owned);
            let new = item_of(1, (Counted(dropped.clone()), "one".to_owned()));
            let stored = owned.insert(owner, hash(1), new, Some(4), same, |_| OnFound::Keep);
            assert!(stored.is_ok());
            let read = owned.read(
                owner,
                hash(1),
                |i| i.key == 1,
                |i| {
                    reading.wait();
                    removed.wait();
                    i.value.1.clone()
                },
            );
            assert_eq!(read.unwrap().as_deref(), Some("one"));
        });
        reading.wait();
        owned.hand_over(&map, &threads, |_, ()| {}, |_, ()| {});
        let mut locked = map.lock(&threads);
        assert!(matches!(
            locked.remove_if(hash(1), |i| i.key == 1, |_| true),
            Removal::Removed
        ));
        locked.clear();
        drop(locked); // frees what no hazard names
        assert_eq!(
            dropped.load(Ordering::SeqCst),
            0,
            "held by the owner's hazard"
        );
        removed.wait();
    });
    map.lock(&threads).clear();
    drop(map);
    assert_eq!(dropped.load(Ordering::SeqCst), 1);
}

/// The owner stores while another thread hands the store over: every item ends up in the
/// shared map once, stored by the owner before the hand-over or handed back and stored there
/// after (as the store does).
#[test]
fn a_hand_over_in_the_middle_of_the_owners_calls_loses_nothing() {
    const ITEMS: u64 = if cfg!(miri) { 40 } else { 5_000 };
    let threads = Threads::new();
    let map: Map<Item, ()> = Map::chunked(0, ());
    let owned = Owned::new(true, true, 0);
    let claimed = Barrier::new(2);
    std::thread::scope(|s| {
        s.spawn(|| {
            let owner = claim(&threads, &owned);
            claimed.wait();
            for key in 0..ITEMS {
                let stored =
                    owned.insert(owner, hash(key), item(key), None, same, |_| OnFound::Keep);
                if let Err(item) = stored {
                    map.lock(&threads).insert_new(hash(key), item);
                }
            }
        });
        claimed.wait();
        owned.hand_over(&map, &threads, |_, ()| {}, |_, ()| {});
    });
    assert_eq!((map.len(), owned.len()), (ITEMS as usize, 0));
    let reader = &threads.slot(threads::me()).reader;
    for key in 0..ITEMS {
        let found = map.read(reader, hash(key), |i| i.key == key, |i, _| i.value.clone());
        assert_eq!(found, Some(key.to_string()));
    }
}

/// An unclaimed map is handed over at once (nothing to publish), and cannot be claimed after.
#[test]
fn an_unclaimed_map_is_shared_by_a_hand_over() {
    let threads = Threads::new();
    let owned: Owned<Item> = Owned::new(true, false, 4);
    assert_eq!(owned.state(), UNCLAIMED);
    let map = Map::new(4, ());
    owned.hand_over(
        &map,
        &threads,
        |_, ()| panic!("nothing to publish"),
        |_, ()| {},
    );
    assert_eq!(owned.state(), SHARED);
    assert!(!owned.claim(threads::me().lease));
}

use super::*;
use crate::store::drop_count::Counted;
use crate::store::table::Removal;
use crate::store::threads::{self, Threads};
use std::sync::atomic::AtomicUsize;
use std::sync::{Arc, Barrier};

/// A key and a heap-allocated value: a use after free shows (under Miri, always).
type Item = (u64, String);

fn hash(key: u64) -> u64 {
    crate::store::hash_of(&key)
}

fn item(key: u64) -> Item {
    (key, key.to_string())
}

/// The owner's map of `threads`, claimed by the calling thread, whose lease it returns.
fn claimed<T>(threads: &Threads, bound: Option<usize>) -> (Owned<T>, u64) {
    let owned = Owned::new(true, bound.is_some(), bound.is_none(), bound.unwrap_or(0));
    let me = threads::me();
    threads.slot(me); // joins the store, as a lookup does
    assert!(owned.claim(me.lease));
    (owned, me.lease)
}

fn reader(threads: &Threads) -> &Reader {
    &threads.slot(threads::me()).reader
}

fn store(owned: &Owned<Item>, lease: u64, reader: &Reader, key: u64, bound: Option<usize>) {
    let same = |old: &Item, new: &Item| old.0 == new.0;
    let stored = owned.insert(
        Owner { lease, reader },
        hash(key),
        item(key),
        bound,
        same,
        |_| OnFound::Keep,
    );
    assert!(stored.is_ok(), "the store is the caller's");
}

fn find(owned: &Owned<Item>, lease: u64, reader: &Reader, key: u64) -> Option<String> {
    let found = owned.read(
        Owner { lease, reader },
        hash(key),
        |i| i.0 == key,
        |i| i.1.clone(),
    );
    found.expect("the store is the caller's")
}

#[test]
fn the_owner_finds_what_it_stored_and_evicts_the_least_recently_used() {
    let threads = Threads::new();
    let (owned, lease) = claimed(&threads, Some(3));
    let reader = reader(&threads);
    for key in [1, 2, 3] {
        store(&owned, lease, reader, key, Some(3));
    }
    assert_eq!(find(&owned, lease, reader, 1).as_deref(), Some("1")); // order: 2, 3, 1
    store(&owned, lease, reader, 4, Some(3)); // evicts 2
    assert_eq!(find(&owned, lease, reader, 2), None);
    for key in [1, 3, 4] {
        assert_eq!(find(&owned, lease, reader, key), Some(key.to_string()));
    }
    assert_eq!(owned.len(), 3);
    assert!(
        owned
            .remove(Owner { lease, reader }, hash(3), |i| i.0 == 3)
            .unwrap()
    );
    assert!(
        !owned
            .remove(Owner { lease, reader }, hash(3), |i| i.0 == 3)
            .unwrap()
    );
    owned.clear(Owner { lease, reader }).unwrap();
    assert_eq!((owned.len(), find(&owned, lease, reader, 1)), (0, None));
}

#[test]
fn an_item_stored_meanwhile_is_kept_replaced_or_removed_as_asked() {
    let threads = Threads::new();
    let (owned, lease) = claimed::<Item>(&threads, Some(4));
    let reader = reader(&threads);
    let same = |old: &Item, new: &Item| old.0 == new.0;
    let put = |value: &str, on_found| {
        let new = (1, value.to_owned());
        let stored = owned.insert(
            Owner { lease, reader },
            hash(1),
            new,
            Some(4),
            same,
            |old| {
                assert_eq!(old.0, 1);
                on_found
            },
        );
        assert!(stored.is_ok());
    };
    put("a", OnFound::Keep);
    put("b", OnFound::Keep);
    assert_eq!(find(&owned, lease, reader, 1).as_deref(), Some("a"));
    put("c", OnFound::Replace);
    assert_eq!(find(&owned, lease, reader, 1).as_deref(), Some("c"));
    put("d", OnFound::Remove);
    assert_eq!(find(&owned, lease, reader, 1).as_deref(), Some("d"));
    assert_eq!(owned.len(), 1);
}

/// Keys of one hash (a key type whose `Hash` is poor) are told apart by `Eq`.
#[test]
fn keys_of_one_hash_are_told_apart() {
    let threads = Threads::new();
    let (owned, lease) = claimed::<Item>(&threads, None);
    let reader = reader(&threads);
    let same = |old: &Item, new: &Item| old.0 == new.0;
    for key in 0..10 {
        let stored = owned.insert(Owner { lease, reader }, 7, item(key), None, same, |_| {
            OnFound::Keep
        });
        assert!(stored.is_ok());
    }
    for key in 0..10 {
        let found = owned.read(Owner { lease, reader }, 7, |i| i.0 == key, |i| i.1.clone());
        assert_eq!(found.unwrap(), Some(key.to_string()));
    }
    assert!(
        owned
            .remove(Owner { lease, reader }, 7, |i| i.0 == 4)
            .unwrap()
    );
    let found = owned.read(Owner { lease, reader }, 7, |i| i.0 == 4, |i| i.1.clone());
    assert_eq!(found.unwrap(), None);
    assert_eq!(owned.len(), 9);
}

/// A hand-over publishes the owner's items in the shared map, the least recently used first;
/// the owner's calls fail from then on, and hand their item back.
#[test]
fn a_hand_over_publishes_every_item_oldest_first() {
    let threads = Threads::new();
    let (owned, lease) = claimed(&threads, Some(8));
    let reader = reader(&threads);
    for key in 0..5 {
        store(&owned, lease, reader, key, Some(8));
    }
    find(&owned, lease, reader, 1);
    find(&owned, lease, reader, 0);
    let map = Map::new(8, ());
    let mut order = Vec::new();
    owned.hand_over(&map, &threads, |item: &Item, hash, ()| {
        assert_eq!(hash, self::hash(item.0));
        order.push(item.0);
    });
    assert_eq!(order, [2, 3, 4, 1, 0]);
    assert_eq!((owned.state(), owned.len(), map.len()), (SHARED, 0, 5));
    for key in 0..5 {
        let found = map.read(reader, hash(key), |i| i.0 == key, |i, _| i.1.clone());
        assert_eq!(found, Some(key.to_string()));
    }
    let same = |old: &Item, new: &Item| old.0 == new.0;
    let back = owned.insert(
        Owner { lease, reader },
        hash(9),
        item(9),
        Some(8),
        same,
        |_| OnFound::Keep,
    );
    assert_eq!(back.err(), Some(item(9)));
    assert!(
        owned
            .read(Owner { lease, reader }, hash(1), |_| true, |_| ())
            .is_err()
    );
    owned.hand_over(&map, &threads, |_, _, ()| panic!("handed over already"));
}

/// The owner reading an item, in user code (a result's `Clone`), calls back and evicts it:
/// the node lives on until the read is done, then goes with the next insertion.
#[test]
fn an_item_the_owner_reads_outlives_its_eviction_by_a_call_back() {
    let threads = Threads::new();
    let dropped = Arc::new(AtomicUsize::new(0));
    let (owned, lease) = claimed::<(u64, Counted, String)>(&threads, Some(1));
    let reader = reader(&threads);
    let same = |old: &(u64, Counted, String), new: &(u64, Counted, String)| old.0 == new.0;
    let put = |key: u64| {
        let new = (key, Counted(dropped.clone()), key.to_string());
        let stored = owned.insert(
            Owner { lease, reader },
            hash(key),
            new,
            Some(1),
            same,
            |_| OnFound::Keep,
        );
        assert!(stored.is_ok());
    };
    put(1);
    let read = owned.read(
        Owner { lease, reader },
        hash(1),
        |i| i.0 == 1,
        |i| {
            put(2); // evicts 1, which this reads
            assert_eq!(dropped.load(Ordering::SeqCst), 0, "kept while read");
            i.2.clone()
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
    let map: Map<(u64, Counted, String), ()> = Map::new(4, ());
    let (reading, removed) = (Barrier::new(2), Barrier::new(2));
    let owned = Owned::new(true, true, false, 4);
    std::thread::scope(|s| {
        s.spawn(|| {
            let me = threads::me();
            let reader = &threads.slot(me).reader;
            assert!(owned.claim(me.lease));
            let same = |old: &(u64, Counted, String), new: &(u64, Counted, String)| old.0 == new.0;
            let new = (1, Counted(dropped.clone()), "one".to_owned());
            let stored = owned.insert(
                Owner {
                    lease: me.lease,
                    reader,
                },
                hash(1),
                new,
                Some(4),
                same,
                |_| OnFound::Keep,
            );
            assert!(stored.is_ok());
            let read = owned.read(
                Owner {
                    lease: me.lease,
                    reader,
                },
                hash(1),
                |i| i.0 == 1,
                |i| {
                    reading.wait();
                    removed.wait();
                    i.2.clone()
                },
            );
            assert_eq!(read.unwrap().as_deref(), Some("one"));
        });
        reading.wait();
        owned.hand_over(&map, &threads, |_, _, ()| {});
        let mut locked = map.lock(&threads);
        assert!(matches!(
            locked.remove_if(hash(1), |i| i.0 == 1, |_| true),
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
    let owned = Owned::new(true, false, true, 0);
    let claimed = Barrier::new(2);
    std::thread::scope(|s| {
        s.spawn(|| {
            let me = threads::me();
            let reader = &threads.slot(me).reader;
            assert!(owned.claim(me.lease));
            claimed.wait();
            let same = |old: &Item, new: &Item| old.0 == new.0;
            for key in 0..ITEMS {
                let stored = owned.insert(
                    Owner {
                        lease: me.lease,
                        reader,
                    },
                    hash(key),
                    item(key),
                    None,
                    same,
                    |_| OnFound::Keep,
                );
                if let Err(item) = stored {
                    map.lock(&threads).insert_new(hash(key), item);
                }
            }
        });
        claimed.wait();
        owned.hand_over(&map, &threads, |_, _, ()| {});
    });
    assert_eq!((map.len(), owned.len()), (ITEMS as usize, 0));
    let reader = reader(&threads);
    for key in 0..ITEMS {
        let found = map.read(reader, hash(key), |i| i.0 == key, |i, _| i.1.clone());
        assert_eq!(found, Some(key.to_string()));
    }
}

/// An unclaimed map is handed over at once (nothing to publish), and cannot be claimed after.
#[test]
fn an_unclaimed_map_is_shared_by_a_hand_over() {
    let threads = Threads::new();
    let owned: Owned<Item> = Owned::new(true, true, false, 4);
    assert_eq!(owned.state(), UNCLAIMED);
    owned.hand_over(&Map::new(4, ()), &threads, |_, _, ()| {
        panic!("nothing to publish")
    });
    assert_eq!(owned.state(), SHARED);
    assert!(!owned.claim(threads::me().lease));
}

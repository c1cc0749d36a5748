use super::*;
use crate::store::drop_count::Counted;
use crate::store::threads::{self, Threads};
use std::sync::atomic::{AtomicBool, AtomicUsize};
use std::sync::{Arc, Barrier};

/// Fewer rounds under Miri, which is slow; the same paths.
const ROUNDS: u64 = if cfg!(miri) { 300 } else { 20_000 };

/// A key and a heap-allocated value: a use after free shows (under Miri, always).
type Item = (u64, String);

fn hash(key: u64) -> u64 {
    crate::store::hash_of(&key)
}

/// Looks `key` up as a store's reader would, with `by` (which `hash` places) as its hash.
fn found<V>(map: &Map<(u64, V), ()>, threads: &Threads, by: u64, key: u64) -> Option<V>
where
    V: Clone,
{
    let reader = &threads.slot(threads::me()).reader;
    map.read(reader, by, |item| item.0 == key, |item, _| item.1.clone())
}

fn find(map: &Map<Item, ()>, threads: &Threads, key: u64) -> Option<String> {
    found(map, threads, hash(key), key)
}

#[test]
fn items_are_found_by_hash_and_predicate_until_removed() {
    let map = Map::new(4, ());
    let threads = Threads::new();
    let mut w = map.lock(&threads);
    for key in 0..100 {
        w.insert_new(hash(key), (key, key.to_string()));
    }
    assert_eq!(w.len(), 100);
    assert_eq!(
        w.get(hash(42), |item| item.0 == 42).map(|i| &*i.1),
        Some("42")
    );
    assert!(matches!(
        w.remove_if(hash(42), |i| i.0 == 42, |_| false),
        Removal::Kept((42, _))
    ));
    assert!(matches!(
        w.remove_if(hash(42), |i| i.0 == 42, |_| true),
        Removal::Removed
    ));
    assert!(matches!(
        w.remove_if(hash(42), |i| i.0 == 42, |_| true),
        Removal::Absent
    ));
    assert!(!w.replace(hash(7), (7, "seven".into()), |old, new| old.0 == new.0));
    assert!(w.replace(hash(1000), (1000, "new".into()), |old, new| old.0 == new.0));
    assert_eq!(w.len(), 100);
    drop(w);
    assert_eq!(find(&map, &threads, 42), None);
    assert_eq!(find(&map, &threads, 7).as_deref(), Some("seven"));
    assert_eq!(find(&map, &threads, 99).as_deref(), Some("99"));
    map.lock(&threads).clear();
    assert_eq!(map.lock(&threads).len(), 0);
    assert_eq!(find(&map, &threads, 99), None);
}

#[test]
fn churn_sweeps_tombstones_instead_of_growing() {
    let map = Map::new(16, ());
    let threads = Threads::new();
    let mut w = map.lock(&threads);
    for key in 0..ROUNDS {
        w.insert_new(hash(key), (key, String::new()));
        if key >= 16 {
            let old = key - 16;
            assert!(matches!(
                w.remove_if(hash(old), |i| i.0 == old, |_| true),
                Removal::Removed
            ));
        }
    }
    assert_eq!(w.len(), 16);
    assert!(
        w.current().slots.len() <= capacity_for(17),
        "{}",
        w.current().slots.len()
    );
    assert!(w.side().used <= w.current().slots.len() / 2);
}

/// A table that grows doubles, so it is more than a quarter full once grown: the memory a
/// growing store touches is twice its slots at most, not four times.
#[test]
fn a_growing_table_doubles() {
    let map = Map::new(8, ());
    let threads = Threads::new();
    let mut w = map.lock(&threads);
    let floor = capacity_for(8);
    let mut sizes = vec![floor];
    for key in 0..ROUNDS.min(2000) {
        w.insert_new(hash(key), (key, String::new()));
        let slots = w.current().slots.len();
        if slots > floor {
            assert!(slots < 4 * w.len(), "{slots} slots for {} items", w.len());
        }
        if sizes.last() != Some(&slots) {
            sizes.push(slots);
        }
    }
    assert!(
        sizes.windows(2).all(|two| two[1] == 2 * two[0]),
        "{sizes:?}"
    );
}

/// Inserts and removals at random over keys whose probes all start in the same few slots,
/// against a set: every present key is found, every removed one is not, and removals that
/// can leave no tombstone leave none.
#[test]
fn colliding_churn_keeps_every_chain_whole() {
    let crowded = |key: u64| key % 5; // five first slots for every key
    let map = Map::new(8, ());
    let threads = Threads::new();
    let mut present = std::collections::BTreeSet::new();
    let mut seed = 0x2545_f491_4f6c_dd1d_u64;
    for _ in 0..ROUNDS / 10 {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        let key = seed % 24;
        let mut w = map.lock(&threads);
        if present.insert(key) {
            w.insert_new(crowded(key), (key, key.to_string()));
        } else {
            present.remove(&key);
            let removed = w.remove_if(crowded(key), |i| i.0 == key, |_| true);
            assert!(matches!(removed, Removal::Removed));
        }
        let slots: Vec<_> = (w.current().slots.iter())
            .map(|s| s.load(Ordering::Relaxed))
            .collect();
        let used = slots.iter().filter(|s| !s.is_null()).count();
        assert_eq!(used, w.side().used);
        for (i, slot) in slots.iter().enumerate() {
            if !slot.is_null() {
                assert_eq!(w.side().occupied.is_set(i), Some(true), "slot {i}");
            }
        }
        for (i, slot) in slots.iter().enumerate() {
            let next = slots[(i + 1) % slots.len()];
            assert!(
                *slot != tombstone() || !next.is_null(),
                "a needless tombstone"
            );
        }
        drop(w);
        for key in 0..24 {
            let found = found(&map, &threads, crowded(key), key).is_some();
            assert_eq!(found, present.contains(&key), "key {key}");
        }
    }
    // Emptied one by one, the table ends with no tombstone at all: each removal nulls its slot
    // or leaves a tombstone that the removal of its chain's last node clears.
    let mut w = map.lock(&threads);
    for key in present {
        let _ = w.remove_if(crowded(key), |i| i.0 == key, |_| true);
    }
    assert_eq!(w.side().used, 0);
}

/// A table of the starting size is emptied in place, visiting only the slots it marks as used:
/// after churn (tombstones, nulled chains), a clear still drops every item, once.
#[test]
fn clearing_in_place_drops_every_item_once() {
    let dropped = Arc::new(AtomicUsize::new(0));
    let map = Map::new(16, ());
    let threads = Threads::new();
    let crowded = |key: u64| key % 7;
    let mut made = 0;
    for round in 0..20 {
        let mut w = map.lock(&threads);
        for key in 0..12 {
            w.insert_new(crowded(key), (key, Counted(dropped.clone())));
            made += 1;
        }
        for key in (round % 3..12).step_by(2) {
            let _ = w.remove_if(crowded(key), |i| i.0 == key, |_| true);
        }
        assert_eq!(w.current().slots.len(), capacity_for(16), "not grown");
        w.clear();
        drop(w);
        assert_eq!(dropped.load(Ordering::Relaxed), made, "round {round}");
        let w = map.lock(&threads);
        let slots = &w.current().slots;
        assert!(slots.iter().all(|s| s.load(Ordering::Relaxed).is_null()));
    }
}

/// A table too large for its used slots to be tracked (see `occupied`) is emptied by a pass
/// over every slot, in place (up to `KEPT_BY_CLEAR` slots) or swapped out (larger): each item
/// dropped once, every slot null after.
#[test]
fn clearing_an_untracked_table_drops_every_item_once() {
    let dropped = Arc::new(AtomicUsize::new(0));
    let big = occupied::TRACKED_UP_TO; // a starting table of more slots than tracked
    let threads = Threads::new();
    let mut made = 0;
    // (In place, a few items are enough; swapped out, a table grown past `KEPT_BY_CLEAR`
    // slots: not under Miri.)
    let cases = [
        (Map::new(big, ()), 200),
        (Map::new(8, ()), KEPT_BY_CLEAR as u64 / 2 + 10),
    ];
    for (map, items) in cases.into_iter().take(if cfg!(miri) { 1 } else { 2 }) {
        let mut w = map.lock(&threads);
        for key in 0..items {
            w.insert_new(hash(key), (key, Counted(dropped.clone())));
            made += 1;
        }
        for key in (0..100).step_by(3) {
            let _ = w.remove_if(hash(key), |i| i.0 == key, |_| true);
        }
        assert!(w.current().slots.len() > big);
        w.clear();
        drop(w);
        assert_eq!(dropped.load(Ordering::Relaxed), made);
        let w = map.lock(&threads);
        let slots = &w.current().slots;
        assert!(slots.iter().all(|s| s.load(Ordering::Relaxed).is_null()));
        assert_eq!((w.len(), w.side().used), (0, 0));
    }
}

/// A clear keeps a grown table of up to `KEPT_BY_CLEAR` slots, emptied where it is, so that
/// filling the cache again does not grow it again; a larger one is swapped for one of the
/// starting size, and so is one less than an eighth full.
#[test]
fn a_clear_keeps_a_grown_table_up_to_a_bound() {
    let threads = Threads::new();
    let map = Map::chunked(8, ());
    let floor = map.lock(&threads).current().slots.len();
    let fill = |until: &dyn Fn(usize) -> bool| {
        let mut w = map.lock(&threads);
        let mut key = 0;
        while !until(w.current().slots.len()) {
            w.insert_new(hash(key), (key, key));
            key += 1;
        }
        w.current().slots.len()
    };
    let grown = fill(&|len| len > 4 * floor);
    map.lock(&threads).clear();
    let w = map.lock(&threads);
    assert_eq!(w.current().slots.len(), grown, "kept");
    assert!(
        w.current()
            .slots
            .iter()
            .all(|s| s.load(Ordering::Relaxed).is_null())
    );
    assert_eq!((w.len(), w.side().used), (0, 0));
    drop(w);
    let items = [3, 4, 5];
    let mut w = map.lock(&threads);
    for key in items {
        w.insert_new(hash(key), (key, key));
    }
    assert_eq!(
        w.current().slots.len(),
        grown,
        "filled again without growing"
    );
    drop(w);
    for key in items {
        assert_eq!(found(&map, &threads, hash(key), key), Some(key));
    }
    // Three items in the grown table: less than an eighth full.
    let mut w = map.lock(&threads);
    w.clear();
    assert_eq!(w.current().slots.len(), floor, "mostly empty: let go");
    drop(w);
    if cfg!(miri) {
        return; // too many items for Miri
    }
    fill(&|len| len > KEPT_BY_CLEAR);
    map.lock(&threads).clear();
    assert_eq!(map.lock(&threads).current().slots.len(), floor, "let go");
}

#[test]
fn what_a_clear_keeps() {
    assert!(
        keeps_through_clear(32, 0, 32),
        "the starting size, even empty"
    );
    assert!(keeps_through_clear(1024, 128, 32), "grown, an eighth full");
    assert!(
        !keeps_through_clear(1024, 127, 32),
        "grown, less than an eighth full"
    );
    assert!(keeps_through_clear(KEPT_BY_CLEAR, KEPT_BY_CLEAR / 2, 32));
    assert!(
        !keeps_through_clear(2 * KEPT_BY_CLEAR, KEPT_BY_CLEAR, 32),
        "too large"
    );
}

#[test]
fn every_item_is_dropped_exactly_once() {
    drops_every_item_once(Map::new);
}

/// As above, for nodes carved from chunks: under Miri, a chunk left unfreed shows as a leak,
/// and one freed early as a use after free.
#[test]
fn every_item_of_a_chunked_map_is_dropped_exactly_once() {
    drops_every_item_once(Map::chunked);
}

fn drops_every_item_once(new: fn(usize, ()) -> Map<(u64, Counted), ()>) {
    let dropped = Arc::new(AtomicUsize::new(0));
    let made = 500;
    {
        let map = new(8, ());
        let threads = Threads::new();
        for key in 0..made {
            let mut w = map.lock(&threads);
            let item = (key, Counted(dropped.clone()));
            if key % 3 == 0 {
                w.replace(hash(key / 2), item, |old, new| old.0 == new.0);
            } else {
                w.insert_new(hash(key), item);
            }
            if key % 5 == 0 {
                let gone = key / 2;
                let _ = w.remove_if(hash(gone), |i| i.0 == gone, |_| true);
            }
            if key == made / 2 {
                w.clear();
            }
        }
    }
    assert_eq!(dropped.load(Ordering::Relaxed), made as usize);
}

/// Two readers looking up every key while the writer replaces, removes and clears; each value
/// read must be the one made for its key.
fn churn_under_readers<V>(
    new: fn(usize, ()) -> Map<(u64, V), ()>,
    make: fn(u64) -> V,
) -> (Map<(u64, V), ()>, Threads)
where
    V: Clone + PartialEq + core::fmt::Debug + Send + Sync + 'static,
{
    let map = Arc::new(new(32, ()));
    let threads = Arc::new(Threads::new());
    let stop = Arc::new(AtomicBool::new(false));
    let readers: Vec<_> = (0..2)
        .map(|_| {
            let (map, threads, stop) = (map.clone(), threads.clone(), stop.clone());
            std::thread::spawn(move || {
                let mut key = 0;
                while !stop.load(Ordering::Relaxed) {
                    let k = key % 64;
                    if let Some(value) = found(&map, &threads, hash(k), k) {
                        assert_eq!(value, make(k));
                    }
                    key += 1;
                }
            })
        })
        .collect();
    for round in 0..ROUNDS {
        let key = round % 64;
        let mut w = map.lock(&*threads);
        match round % 7 {
            0 => {
                let _ = w.remove_if(hash(key), |i| i.0 == key, |_| true);
            }
            6 if round % 700 == 6 => w.clear(),
            _ => {
                w.replace(hash(key), (key, make(key)), |old, new| old.0 == new.0);
            }
        }
    }
    stop.store(true, Ordering::Relaxed);
    for reader in readers {
        reader.join().unwrap();
    }
    let map = Arc::into_inner(map).expect("the readers are done");
    (map, Arc::into_inner(threads).expect("the readers are done"))
}

#[test]
fn readers_see_whole_items_while_a_writer_churns() {
    let (map, threads) = churn_under_readers(Map::new, |key| key.to_string());
    assert_eq!(
        map.lock(&threads).side().reused,
        0,
        "a String needs dropping"
    );
}

/// Items that need no dropping: freed nodes' allocations are reused for new nodes, and a
/// reader never sees one rewritten while it reads it.
#[test]
fn readers_see_whole_items_while_a_writer_reuses_nodes() {
    let (map, threads) = churn_under_readers(Map::new, |key| [key; 4]);
    assert!(
        map.lock(&threads).side().reused > 0,
        "freed nodes were reused"
    );
}

/// Nodes carved from chunks, freed while readers read others of the same chunks.
#[test]
fn readers_see_whole_items_while_a_writer_churns_a_chunked_map() {
    churn_under_readers(Map::chunked, |key| key.to_string());
    let (map, threads) = churn_under_readers(Map::chunked, |key| [key; 4]);
    assert!(
        map.lock(&threads).side().reused > 0,
        "freed nodes were reused, in their chunks"
    );
}

/// An item whose `Drop` panics when told to.
struct Bomb(bool);

impl Drop for Bomb {
    fn drop(&mut self) {
        if self.0 {
            self.0 = false;
            panic!("an item's drop panics");
        }
    }
}

/// A chunk is freed even if one of its items' `Drop` panicked: under Miri, a chunk kept by
/// the panic shows as a leak.
#[test]
fn a_panicking_item_drop_does_not_keep_its_chunk() {
    let threads = Threads::new();
    let map: Map<(u64, Bomb), ()> = Map::chunked(8, ());
    let mut w = map.lock(&threads);
    for key in 0..4 {
        w.insert_new(hash(key), (key, Bomb(false)));
    }
    w.insert_new(hash(9), (9, Bomb(true)));
    let removed = w.remove_if(hash(9), |item| item.0 == 9, |_| true);
    assert!(matches!(removed, Removal::Removed));
    // The node is freed when the lock is let go (the thread is the map's only user).
    let freeing = std::panic::catch_unwind(core::panic::AssertUnwindSafe(|| drop(w)));
    assert!(freeing.is_err(), "the bomb went off");
    drop(map); // frees the other four, and the chunk with the last of them
}

/// The only live user removing an item that needs no dropping keeps its allocation for the
/// next new node at once, without the bin; with another live user, the node goes to the bin.
#[test]
fn the_only_live_user_keeps_a_removed_nodes_allocation_at_once() {
    let threads = Threads::new();
    let map: Map<(u64, [u64; 4]), ()> = Map::new(8, ());
    let mut w = map.lock(&threads);
    w.insert_new(hash(1), (1, [1; 4]));
    assert!(threads.claim(&mut 0, true), "alone");
    assert!(matches!(
        w.remove_if(hash(1), |i| i.0 == 1, |_| true),
        Removal::Removed
    ));
    assert!(w.side().bin.is_empty(), "not retired");
    assert_eq!(w.side().spare.len(), 1, "kept");
    w.insert_new(hash(2), (2, [2; 4]));
    assert_eq!(w.side().reused, 1, "the new node is in it");
    drop(w);
    with_another_live_user(&threads, || {
        let mut w = map.lock(&threads);
        w.insert_new(hash(3), (3, [3; 4]));
        assert!(matches!(
            w.remove_if(hash(3), |i| i.0 == 3, |_| true),
            Removal::Removed
        ));
        assert!(
            !w.side().bin.is_empty(),
            "retired: the other thread may read it"
        );
    });
}

/// Runs `body` while another thread is a live user of `threads` (it has taken its slot), and
/// lets that thread end once `body` is done, or has panicked: a failed assertion does not
/// leave the test waiting.
fn with_another_live_user(threads: &Threads, body: impl FnOnce()) {
    /// Waits at the barrier as it drops, on unwind too.
    struct WaitOnDrop<'b>(&'b Barrier);
    impl Drop for WaitOnDrop<'_> {
        fn drop(&mut self) {
            self.0.wait();
        }
    }
    let (joined, done) = (Barrier::new(2), Barrier::new(2));
    std::thread::scope(|s| {
        s.spawn(|| {
            threads.slot(threads::me());
            joined.wait();
            done.wait();
        });
        joined.wait();
        let _release = WaitOnDrop(&done);
        body();
    });
}

/// Populating a table's pages (see `populate`) leaves every byte as it was, whether the pages
/// were written already or not.
#[test]
fn populating_pages_keeps_their_contents() {
    let len = if cfg!(miri) { 4096 } else { 1 << 20 };
    let mut bytes: Vec<u8> = (0..len).map(|i| (i % 251) as u8).collect();
    populate(bytes.as_mut_ptr(), len);
    assert!(bytes.iter().enumerate().all(|(i, &b)| b == (i % 251) as u8));
    let big = 3 * len; // calloc'd: likely pages not yet mapped
    let mut fresh = vec![0u8; big];
    populate(fresh.as_mut_ptr().wrapping_add(100), big - 200);
    assert!(fresh.iter().all(|&b| b == 0));
    fresh[big / 2] = 7;
    assert_eq!(fresh.iter().map(|&b| usize::from(b)).sum::<usize>(), 7);
}

/// The only live user clearing a map of items that need no dropping keeps their nodes'
/// allocations at once (up to `SPARE`) and frees the rest at once, with the grown table,
/// without the bin; the new nodes that follow are made in the kept ones. With another live
/// user, clearing retires every node to the bin.
#[test]
fn the_only_live_user_frees_cleared_nodes_at_once() {
    clear_alone_then_shared(Map::new(8, ()));
}

/// [`the_only_live_user_frees_cleared_nodes_at_once`] for nodes carved from chunks: those past
/// the spares given back to their chunks, which are freed (Miri checks that each is, once).
#[test]
fn the_only_live_user_gives_cleared_nodes_back_to_their_chunks_at_once() {
    clear_alone_then_shared(Map::chunked(8, ()));
}

fn clear_alone_then_shared(map: Map<(u64, [u64; 4]), ()>) {
    let threads = Threads::new();
    let mut w = map.lock(&threads);
    let many = SPARE as u64 + 3 * chunks::CHUNK as u64 + 10;
    for key in 0..many {
        w.insert_new(hash(key), (key, [key; 4]));
    }
    assert!(threads.claim(&mut 0, true), "alone");
    let before = w.side().bin.waiting(); // the tables it grew out of
    w.clear();
    assert_eq!(w.side().spare.len(), SPARE, "kept, up to SPARE");
    assert_eq!(
        w.side().bin.waiting(),
        before,
        "the rest freed, not retired"
    );
    for key in 0..4 {
        w.insert_new(hash(key), (key, [key; 4]));
    }
    assert_eq!(w.side().reused, 4, "the new nodes are in them");
    drop(w);
    with_another_live_user(&threads, || {
        let mut w = map.lock(&threads);
        let spares = w.side().spare.len();
        w.clear();
        assert_eq!(w.side().spare.len(), spares, "none kept at once");
        // The grown table, kept by the first clear, held 4 items: mostly empty, let go too.
        assert_eq!(
            w.side().bin.waiting(),
            4 + 1,
            "every node retired, and the table"
        );
    });
    let mut w = map.lock(&threads);
    assert_eq!(w.len(), 0, "cleared");
    w.insert_new(hash(7), (7, [7; 4]));
    drop(w);
    assert_eq!(found(&map, &threads, hash(7), 7), Some([7; 4]));
}

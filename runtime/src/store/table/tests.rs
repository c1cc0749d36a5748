use super::*;
use crate::store::drop_count::Counted;
use crate::store::epoch::pinned;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize};

/// Fewer rounds under Miri, which is slow; the same paths.
const ROUNDS: u64 = if cfg!(miri) { 300 } else { 20_000 };

/// A key and a heap-allocated value: a use after free shows (under Miri, always).
type Item = (u64, String);

fn hash(key: u64) -> u64 {
    crate::store::hash_of(&key)
}

fn find(map: &Map<Item, ()>, key: u64) -> Option<String> {
    pinned(|pin| {
        map.find(pin, hash(key), |item| item.0 == key)
            .map(|item| item.1.clone())
    })
}

#[test]
fn items_are_found_by_hash_and_predicate_until_removed() {
    let map = Map::new(4, ());
    let mut w = map.lock();
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
    assert!(!w.replace(hash(7), |i| i.0 == 7, (7, "seven".into())));
    assert!(w.replace(hash(1000), |i| i.0 == 1000, (1000, "new".into())));
    assert_eq!(w.len(), 100);
    drop(w);
    assert_eq!(find(&map, 42), None);
    assert_eq!(find(&map, 7).as_deref(), Some("seven"));
    assert_eq!(find(&map, 99).as_deref(), Some("99"));
    map.lock().clear();
    assert_eq!(map.lock().len(), 0);
    assert_eq!(find(&map, 99), None);
}

#[test]
fn churn_sweeps_tombstones_instead_of_growing() {
    let map = Map::new(16, ());
    let mut w = map.lock();
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

#[test]
fn every_item_is_dropped_exactly_once() {
    let dropped = Arc::new(AtomicUsize::new(0));
    let made = 500;
    {
        let map = Map::new(8, ());
        for key in 0..made {
            let mut w = map.lock();
            let item = (key, Counted(dropped.clone()));
            if key % 3 == 0 {
                w.replace(hash(key / 2), |i| i.0 == key / 2, item);
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

#[test]
fn readers_see_whole_items_while_a_writer_churns() {
    let map = Arc::new(Map::<Item, ()>::new(32, ()));
    let stop = Arc::new(AtomicBool::new(false));
    let readers: Vec<_> = (0..2)
        .map(|_| {
            let (map, stop) = (map.clone(), stop.clone());
            std::thread::spawn(move || {
                let mut found = 0u64;
                let mut key = 0;
                while !stop.load(Ordering::Relaxed) {
                    if let Some(value) = find(&map, key % 64) {
                        assert_eq!(value, (key % 64).to_string());
                        found += 1;
                    }
                    key += 1;
                }
                found
            })
        })
        .collect();
    for round in 0..ROUNDS {
        let key = round % 64;
        let mut w = map.lock();
        match round % 7 {
            0 => {
                let _ = w.remove_if(hash(key), |i| i.0 == key, |_| true);
            }
            6 if round % 700 == 6 => w.clear(),
            _ => {
                w.replace(hash(key), |i| i.0 == key, (key, key.to_string()));
            }
        }
    }
    stop.store(true, Ordering::Relaxed);
    for reader in readers {
        reader.join().unwrap();
    }
}

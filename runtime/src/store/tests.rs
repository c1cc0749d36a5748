use proptest::prelude::*;

use super::*;
use crate::key::owned;
use crate::outcome::keep_all;
use std::sync::atomic::AtomicUsize;
use std::sync::{Arc, Barrier};

/// Calls a memoized "identity times ten" through `store`, returning whether the body ran.
fn call(store: &Store<(u32,), u32>, key: u32) -> bool {
    match store.lookup((owned(&key),)) {
        Lookup::Hit(value) => {
            assert_eq!(value, key * 10);
            false
        }
        Lookup::Miss(pending) => {
            pending.run(|| key * 10);
            true
        }
    }
}

#[test]
fn maxsize_two_evicts_the_least_recently_used() {
    let store = Store::new(Some(2), None);
    let ran: Vec<u32> = [1, 2, 1, 3, 1, 2]
        .into_iter()
        .filter(|&k| call(&store, k))
        .collect();
    assert_eq!(ran, [1, 2, 3, 2]);
    let info = store.info(Some(2));
    assert_eq!((info.hits, info.misses, info.currsize), (2, 4, 2));
}

#[test]
fn the_tables_of_flights_are_made_by_the_first_lookup_that_needs_one() {
    let store: Store<(u32,), u32> = Store::new(Some(2), None);
    for key in [1, 2, 1, 3] {
        call(&store, key);
    }
    assert!(store.flights.get().is_none() && store.sync_flights.get().is_none());
    match store.lookup_flight((owned(&4),)) {
        FlightLookup::Miss(pending) => drop(pending.settle(Whole::default(), 40, keep_all)),
        _ => panic!("4 was never stored"),
    }
    assert!(store.flights.get().is_none() && store.sync_flights.get().is_some());
    assert_eq!(store.sync_flights().len(), 0);
}

#[test]
fn maxsize_zero_stores_nothing() {
    let store = Store::new(Some(0), None);
    assert!(call(&store, 1));
    assert!(call(&store, 1));
    let info = store.info(Some(0));
    assert_eq!((info.hits, info.misses, info.currsize), (0, 2, 0));
}

#[test]
fn clear_resets_entries_and_counts() {
    let store = Store::new(None, None);
    for k in 0..100 {
        call(&store, k);
        call(&store, k);
    }
    assert_eq!(store.info(None).currsize, 100);
    store.clear();
    assert_eq!(store.info(None), CacheInfo::default());
    assert!(call(&store, 5));
}

#[test]
fn a_hit_moves_a_key_to_the_front_of_the_eviction_order() {
    let store = Store::new(Some(3), None);
    for key in [1, 2, 3] {
        assert!(call(&store, key));
    }
    assert!(!call(&store, 1)); // order, oldest first: 2, 3, 1
    assert!(call(&store, 4)); // evicts 2
    assert!(!call(&store, 3));
    assert!(!call(&store, 1));
    assert!(call(&store, 2)); // 2 was evicted; evicts 4
    assert!(call(&store, 4));
}

/// Hits between misses leave no backlog of recency records in `store` (shared first if
/// `shared`): 100 and 101 take turns in the fifth place, each evicting the other.
fn hits_keep_the_recency_queue_small(shared: bool) {
    let store = Store::new(Some(5), None);
    if shared {
        store.share();
    }
    for key in 0..4 {
        call(&store, key);
    }
    for round in 0..1000 {
        for key in 0..4 {
            assert!(!call(&store, key), "round {round}: {key} was evicted");
        }
        assert!(call(&store, 100 + round % 2));
    }
    store.share(); // an owner's queue goes to the shared writer
    assert!(store.map.lock(&store.threads).writer_state().recency.len() <= 5);
    assert_eq!(store.info(Some(5)).currsize, 5);
}

#[test]
fn the_recency_queue_stays_small_under_many_hits() {
    hits_keep_the_recency_queue_small(false);
    hits_keep_the_recency_queue_small(true);
}

/// Entries removed by `cache_invalidate`, or replaced after their time to live, leave no
/// backlog of recency records in stores (shared first if `shared`): the queue stays within a
/// constant factor of the entries.
fn removals_and_expiry_keep_the_recency_queue_small(shared: bool) {
    let expiring = Store::new(Some(128), Some(Duration::from_nanos(1)));
    let invalidated = Store::new(Some(128), None);
    if shared {
        expiring.share();
        invalidated.share();
    }
    for round in 0..10_000u32 {
        let key = round % 10;
        call(&expiring, key);
        call(&invalidated, key);
        assert!(invalidated.remove(&Hashed {
            hash: hash_of(&(owned(&key),)),
            key: (key,),
        }));
    }
    assert_eq!(expiring.info(Some(128)).currsize, 10);
    for store in [&expiring, &invalidated] {
        store.share(); // an owner's queue goes to the shared writer
        let queued = store.map.lock(&store.threads).writer_state().recency.len();
        assert!(queued <= 2 * 128 + 16, "{queued} records");
    }
}

#[test]
fn the_recency_queue_stays_small_under_removals_and_expiry() {
    removals_and_expiry_keep_the_recency_queue_small(false);
    removals_and_expiry_keep_the_recency_queue_small(true);
}

/// The reference: CPython's lru_cache for sequential calls, as a plain most-recent-first list.
struct Model {
    maxsize: Option<usize>,
    entries: Vec<u32>,
    hits: u64,
    misses: u64,
}

impl Model {
    fn call(&mut self, key: u32) -> bool {
        if let Some(at) = self.entries.iter().position(|&k| k == key) {
            self.hits += 1;
            let k = self.entries.remove(at);
            self.entries.insert(0, k);
            return false;
        }
        self.misses += 1;
        match self.maxsize {
            Some(0) => {}
            Some(max) if self.entries.len() >= max => {
                self.entries.pop();
                self.entries.insert(0, key);
            }
            _ => self.entries.insert(0, key),
        }
        true
    }
}

proptest! {
    #[test]
    fn store_matches_the_lru_model(
        maxsize in prop_oneof![Just(None), (0usize..40).prop_map(Some)],
        calls in proptest::collection::vec(0u32..60, 0..400),
        clear_at in proptest::option::of(0usize..400),
        share_at in proptest::option::of(0usize..400),
    ) {
        let store = Store::new(maxsize, None);
        let mut model = Model { maxsize, entries: Vec::new(), hits: 0, misses: 0 };
        for (i, key) in calls.into_iter().enumerate() {
            if share_at == Some(i) {
                // The thread's items handed over to the shared map, in their order of use.
                store.share();
            }
            if clear_at == Some(i) {
                store.clear();
                model = Model { maxsize, entries: Vec::new(), hits: 0, misses: 0 };
            }
            prop_assert_eq!(call(&store, key), model.call(key), "call {} with key {}", i, key);
            let info = store.info(maxsize);
            prop_assert_eq!(
                (info.hits, info.misses, info.currsize),
                (model.hits, model.misses, model.entries.len())
            );
        }
    }
}

#[test]
fn eviction_is_exact_again_for_a_thread_alone_after_others_shared_the_store() {
    let store = Store::new(Some(3), None);
    for key in [1, 2, 3] {
        call(&store, key);
    }
    std::thread::scope(|s| {
        for _ in 0..2 {
            s.spawn(|| {
                for i in 0..10_000 {
                    assert!(!call(&store, 1 + i % 3));
                }
            });
        }
    });
    // Alone again: order the three keys 2, 3, 1 (oldest first), then evict exactly 2.
    for key in [2, 3, 1] {
        assert!(!call(&store, key));
    }
    assert!(call(&store, 4));
    assert!(!call(&store, 3));
    assert!(!call(&store, 1));
    assert!(call(&store, 2)); // 2 was the one evicted
    let info = store.info(Some(3));
    assert_eq!(info.hits + info.misses, 3 + 20_000 + 3 + 1 + 2 + 1);
}

/// The body of a miss stores its own key through a nested call (a re-entrant miss) before the
/// outer call stores: the outer result does not add a second entry for the key. As CPython:
/// a bounded cache keeps the inner result, an unbounded one takes the outer.
#[test]
fn a_key_stored_while_its_body_ran_is_stored_once() {
    for (maxsize, kept) in [(Some(4), 10), (None, 20)] {
        let store = Store::<(u32,), u32>::new(maxsize, None);
        let Lookup::Miss(outer) = store.lookup((owned(&1u32),)) else {
            panic!("a hit in an empty store");
        };
        let Lookup::Miss(inner) = store.lookup((owned(&1u32),)) else {
            panic!("a hit before anything was stored");
        };
        assert_eq!(inner.run(|| 10), 10);
        assert_eq!(outer.run(|| 20), 20);
        assert_eq!(store.info(maxsize).currsize, 1, "maxsize {maxsize:?}");
        match store.lookup((owned(&1u32),)) {
            Lookup::Hit(value) => assert_eq!(value, kept, "maxsize {maxsize:?}"),
            Lookup::Miss(_) => panic!("the key is stored"),
        }
    }
}

/// A store of untracked entries (`maxsize = None` without `ttl`) keeps only the key and the
/// value, and behaves as an unbounded store of tracked ones: every result kept, the outer
/// call's result stored over a re-entrant one's, keys removed one by one and all at once.
#[test]
fn an_untracked_store_keeps_every_result_in_less_memory() {
    assert_eq!(size_of::<Cached<u64, u64, Untracked>>(), 16);
    assert_eq!(size_of::<Cached<u64, u64, Tracked>>(), 40);
    let store = Store::<(u32,), u32, Untracked>::new(None, None);
    let Lookup::Miss(outer) = store.lookup((owned(&1u32),)) else {
        panic!("a hit in an empty store");
    };
    let Lookup::Miss(inner) = store.lookup((owned(&1u32),)) else {
        panic!("a hit before anything was stored");
    };
    inner.run(|| 10);
    outer.run(|| 20);
    let get = |key: u32| match store.lookup((owned(&key),)) {
        Lookup::Hit(value) => Some(value),
        Lookup::Miss(pending) => {
            pending.run(|| key * 10);
            None
        }
    };
    assert_eq!(get(1), Some(20));
    let misses = (2..2000).filter(|&key| get(key).is_none()).count();
    assert_eq!(misses, 1998);
    assert!(
        (2..2000).all(|key| get(key) == Some(key * 10)),
        "none evicted"
    );
    let one = Hashed {
        hash: hash_of(&(owned(&1u32),)),
        key: (1u32,),
    };
    assert!(store.remove(&one));
    assert_eq!(store.info(None).currsize, 1998);
    store.clear();
    assert_eq!(get(5), None);
    assert_eq!(store.info(None).currsize, 1);
}

#[test]
fn invalidate_removes_one_key() {
    let store = Store::new(Some(3), None);
    for key in [1, 2, 3] {
        call(&store, key);
    }
    let two = Hashed {
        hash: hash_of(&(owned(&2u32),)),
        key: (2u32,),
    };
    assert!(store.remove(&two));
    assert!(!store.remove(&two));
    assert_eq!(store.info(Some(3)).currsize, 2);
    assert!(call(&store, 2)); // computed again
    assert!(call(&store, 4)); // full again: evicts 1, the oldest
    assert!(!call(&store, 3));
    assert!(call(&store, 1));
}

/// A value that counts how many of its kind are alive.
struct Alive(std::sync::Arc<AtomicUsize>);

impl Clone for Alive {
    fn clone(&self) -> Self {
        self.0.fetch_add(1, Ordering::SeqCst);
        Alive(self.0.clone())
    }
}

impl Drop for Alive {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

#[test]
fn evicted_results_are_freed_while_another_thread_that_used_the_store_idles() {
    let alive = std::sync::Arc::new(AtomicUsize::new(0));
    let store: Store<(u32,), Alive> = Store::new(Some(4), None);
    let run = |key: u32| match store.lookup((owned(&key),)) {
        Lookup::Hit(value) => drop(value),
        Lookup::Miss(pending) => {
            alive.fetch_add(1, Ordering::SeqCst);
            drop(pending.run(|| Alive(alive.clone())));
        }
    };
    let (used, done) = (std::sync::Barrier::new(2), std::sync::Barrier::new(2));
    std::thread::scope(|s| {
        s.spawn(|| {
            run(0); // a hit or a miss: either way this thread has read the store
            used.wait();
            done.wait(); // alive and idle while the other thread churns
        });
        used.wait();
        for key in 1..20_000 {
            run(key);
        }
        // Stored: 4. Unlinked but not yet freed: at most a batch gathering and one sealed
        // batch per concurrent reader. None of this test's threads is reading, but another
        // test's may be, for long (inside a panic hook, say): then more misses, until it is
        // done, and frees come with them. A bin that never frees fails here after 10 s.
        let bound = 4 + 3 * epoch::SEAL_AT;
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        let mut key = 20_000;
        while alive.load(Ordering::SeqCst) > bound && std::time::Instant::now() < deadline {
            run(key);
            key += 1;
        }
        let now = alive.load(Ordering::SeqCst);
        done.wait();
        assert!(now <= bound, "{now} results alive, more than {bound}");
    });
}

/// Random calls over a few keys, `n` of them, each checked against `model`.
fn calls_match_the_model(store: &Store<(u32,), u32>, model: &mut Model, rng: &mut u64, n: usize) {
    for i in 0..n {
        *rng ^= *rng << 13;
        *rng ^= *rng >> 7;
        *rng ^= *rng << 17;
        let key = (*rng % 5) as u32;
        assert_eq!(call(store, key), model.call(key), "call {i} with key {key}");
    }
}

/// A thread that hit the store before another thread ran (and was joined) evicts exactly as
/// CPython afterwards: the other thread's calls came between its own, not at the same time.
#[test]
fn eviction_stays_exact_for_a_thread_after_another_ran_and_was_joined() {
    let store = Store::new(Some(3), None);
    let mut model = Model {
        maxsize: Some(3),
        entries: Vec::new(),
        hits: 0,
        misses: 0,
    };
    let mut rng = 0x2545_f491_4f6c_dd1d_u64;
    calls_match_the_model(&store, &mut model, &mut rng, 200);
    std::thread::scope(|s| {
        s.spawn(|| calls_match_the_model(&store, &mut model, &mut rng, 2000));
    });
    // This thread's next looks at the other slots find them moved.
    calls_match_the_model(&store, &mut model, &mut rng, 3000);
}

/// Threads taking turns, each turn a run of calls handed on to the next thread: one after
/// another, so eviction is exactly CPython's throughout.
#[test]
fn eviction_is_exact_for_threads_taking_turns() {
    let store = Store::new(Some(3), None);
    let model = Model {
        maxsize: Some(3),
        entries: Vec::new(),
        hits: 0,
        misses: 0,
    };
    let state = std::sync::Mutex::new((model, 0x2545_f491_4f6c_dd1d_u64));
    const THREADS: usize = 3;
    let (senders, receivers): (Vec<_>, Vec<_>) = (0..THREADS)
        .map(|_| std::sync::mpsc::channel::<usize>())
        .unzip();
    std::thread::scope(|s| {
        for (me, turns) in receivers.into_iter().enumerate() {
            let (state, store, next) = (&state, &store, senders[(me + 1) % THREADS].clone());
            s.spawn(move || {
                while let Ok(turn) = turns.recv() {
                    if turn == 300 {
                        let _ = next.send(turn); // pass the end on
                        return;
                    }
                    let (model, rng) = &mut *state.lock().unwrap();
                    calls_match_the_model(store, model, rng, 40);
                    let _ = next.send(turn + 1);
                }
            });
        }
        senders[0].send(0).unwrap();
        drop(senders);
    });
    let (model, _) = state.into_inner().unwrap();
    assert_eq!(model.hits + model.misses, 300 * 40);
    let info = store.info(Some(3));
    assert_eq!((info.hits, info.misses), (model.hits, model.misses));
}

/// Calls `store` for `key`, storing a counted value on a miss.
fn call_alive(store: &Store<(u32,), Alive>, key: u32, alive: &Arc<AtomicUsize>) {
    if let Lookup::Miss(pending) = store.lookup((owned(&key),)) {
        alive.fetch_add(1, Ordering::SeqCst);
        drop(pending.run(|| Alive(alive.clone())));
    }
}

/// A store used by one thread alone frees what it evicts at once: it keeps `maxsize` results
/// alive, and at most one more while it stores (it kept up to a batch of 64 more).
#[test]
fn one_thread_alone_keeps_no_more_than_maxsize_results_alive() {
    let alive = Arc::new(AtomicUsize::new(0));
    let store: Store<(u32,), Alive> = Store::new(Some(1), None);
    let mut most = 0;
    for key in 0..1000 {
        call_alive(&store, key, &alive);
        most = most.max(alive.load(Ordering::SeqCst));
    }
    assert_eq!(most, 1, "results alive between calls, at most");
}

/// A thread stalled in user code (a result's `Clone`, say) while it reads an entry holds back
/// that entry alone: the other thread's evictions from the same store are freed, and another
/// store is not held back at all.
#[test]
fn a_reader_stalled_in_user_code_holds_back_only_what_it_reads() {
    let (in_user_code, resume) = (Barrier::new(2), Barrier::new(2));
    let alive_a = Arc::new(AtomicUsize::new(0));
    let alive_b = Arc::new(AtomicUsize::new(0));
    let a: Store<(u32,), Alive> = Store::new(Some(4), None);
    let b: Store<(u32,), Alive> = Store::new(Some(4), None);
    // The shared map's readers are what this is about: the thread's own store frees at once.
    a.share();
    call_alive(&a, 0, &alive_a);
    std::thread::scope(|s| {
        s.spawn(|| {
            let hash = hash_of(&(owned(&0u32),));
            let read = a.read(
                a.caller(),
                hash,
                |cached| cached.key == (0,),
                |_, _| {
                    in_user_code.wait();
                    resume.wait(); // as long as the other thread churns
                },
            );
            assert!(read.is_some());
        });
        in_user_code.wait();
        for key in 1..5000 {
            call_alive(&a, key, &alive_a);
            call_alive(&b, key, &alive_b);
        }
        let (held_a, held_b) = (
            alive_a.load(Ordering::SeqCst),
            alive_b.load(Ordering::SeqCst),
        );
        resume.wait();
        // A: 4 stored, the one being read, and at most a batch gathering and one sealed.
        let bound_a = 4 + 1 + 2 * epoch::SEAL_AT;
        assert!(
            held_a <= bound_a,
            "{held_a} results of A alive, more than {bound_a}"
        );
        assert!(
            held_b <= 4 + 1,
            "{held_b} results of B alive: held back by A's reader"
        );
    });
}

/// A thread alone in a store takes the writer lock without the mutex (see `table`'s
/// `writer_lock`); another thread that clears the store and counts it meanwhile (which does
/// not join the store: the first stays its only user) revokes that, again and again. Every
/// call still gets its own key's result, and the store never holds more than its bound.
#[test]
fn misses_of_the_only_user_interleave_with_another_threads_controls() {
    const MAX: usize = 16;
    let store: Store<(u32,), u32> = Store::new(Some(MAX), None);
    let turns: u32 = if cfg!(miri) { 20 } else { 2_000 };
    let done = std::sync::atomic::AtomicBool::new(false);
    std::thread::scope(|s| {
        s.spawn(|| {
            let mut key = 0;
            while !done.load(Ordering::Relaxed) {
                call(&store, key % 40);
                key += 1;
            }
        });
        s.spawn(|| {
            for turn in 0..turns {
                if turn % 2 == 0 {
                    store.clear();
                } else {
                    assert!(store.info(Some(MAX)).currsize <= MAX);
                }
                std::thread::yield_now();
            }
            done.store(true, Ordering::Relaxed);
        });
    });
    assert!(store.info(Some(MAX)).currsize <= MAX);
    for key in 0..40 {
        call(&store, key); // asserts the value
    }
}

/// `cache_info` takes no lock, so it neither waits for a writer nor revokes a bias; and a
/// full map caught between a miss's store and its eviction reports `maxsize`, not one more.
#[test]
fn info_takes_no_lock_and_never_reports_more_than_maxsize() {
    let store: Arc<Store<(u32,), u32>> = Arc::new(Store::new(Some(2), None));
    store.share();
    call(&store, 1);
    call(&store, 2);
    let mut map = store.map.lock(&store.threads);
    let third = Cached {
        key: (3,),
        entry: Entry {
            value: 30,
            book: Tracked::new(Born::UNRECORDED, 0),
        },
    };
    map.insert_new(3, third); // as a miss does, before it evicts
    let (sent, answer) = std::sync::mpsc::channel();
    let asking = Arc::clone(&store);
    std::thread::spawn(move || sent.send(asking.info(Some(2)).currsize).ok());
    let currsize = answer.recv_timeout(std::time::Duration::from_secs(10));
    drop(map);
    assert_eq!(
        currsize,
        Ok(2),
        "answered while the lock was held, with the bound"
    );
}

/// A miss of a caller in the crowd (a thread without a slot of its own) is counted in the
/// crowd's counts and stores its result, as a slot's miss does.
#[test]
fn a_miss_in_the_crowd_is_counted_and_stored() {
    let store: Store<(u32,), u32> = Store::new(Some(2), None);
    let key = (owned(&7u32),);
    let hash = hash_of(&key);
    match store.missed(Caller::Crowd, hash, &key, None) {
        Lookup::Miss(pending) => assert_eq!(pending.run(|| 70), 70),
        Lookup::Hit(_) => panic!("a miss is a miss"),
    }
    let info = store.info(Some(2));
    assert_eq!((info.hits, info.misses, info.currsize), (0, 1, 1));
    assert!(!call(&store, 7), "stored by the crowd's miss");
}

/// Stores handed over while their owner calls them, round after round: every call gets its
/// key's result, no store holds more than its bound, and every result is dropped once the
/// store is (the owner's calls, its clears and invalidations, race the hand-over). 200 rounds,
/// or as many as `PY38_STRESS_SECS` seconds allow (CI's stress step).
#[test]
fn hand_overs_under_load_lose_nothing_and_keep_the_bound() {
    const MAX: usize = 8;
    let rounds: u32 = if cfg!(miri) { 3 } else { 200 };
    let stress = std::env::var("PY38_STRESS_SECS").ok();
    let seconds: f64 = stress.map_or(0.0, |text| text.trim().parse().expect("a number"));
    let until = std::time::Instant::now() + Duration::from_secs_f64(seconds);
    let alive = Arc::new(AtomicUsize::new(0));
    let mut round = 0;
    while round < rounds || std::time::Instant::now() < until {
        round += 1;
        let store: Store<(u32,), Alive> = Store::new(Some(MAX), None);
        let started = Barrier::new(2);
        std::thread::scope(|s| {
            s.spawn(|| {
                started.wait();
                for key in 0..40 {
                    call_alive(&store, (key * 7 + round) % 24, &alive);
                }
            });
            for key in 0..60u32 {
                if key == 3 {
                    started.wait(); // the other thread comes in the middle of these calls
                }
                call_alive(&store, key % 24, &alive);
                match key % 17 {
                    5 => store.clear(),
                    11 => {
                        let key = (key % 24,);
                        let hash = hash_of(&(owned(&key.0),));
                        store.remove(&Hashed { hash, key });
                    }
                    _ => {}
                }
                assert!(store.info(Some(MAX)).currsize <= MAX);
            }
        });
        assert!(store.info(Some(MAX)).currsize <= MAX);
        drop(store);
        assert_eq!(
            alive.load(Ordering::SeqCst),
            0,
            "round {round}: every result dropped"
        );
        // The same race, each result checked against its key (`call` asserts it).
        let store: Store<(u32,), u32> = Store::new(Some(MAX), None);
        std::thread::scope(|s| {
            for key in 0..3 {
                call(&store, key);
            }
            s.spawn(|| (0..40).for_each(|key| _ = call(&store, key % 24)));
            (0..60).for_each(|key| _ = call(&store, key % 24));
        });
    }
}

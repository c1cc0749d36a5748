//! Hits allocate nothing in every form: a 32-character `&str`, a `&self` receiver owning a
//! `String`, `&[String]`, a function without arguments, a borrowed `key = &*name`, an ignored
//! argument, a second instantiation of a generic function, and unbounded and bounded caches.
//! (A binary of its own: it replaces the global allocator to count; the count is per thread, so
//! tests running in parallel do not disturb it.)

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::hash::Hash;

use py38::memoize;

/// The system allocator, counting the allocations made while the current thread is watching.
struct Counting;

thread_local! {
    static WATCHING: Cell<bool> = const { Cell::new(false) };
    static ALLOCATIONS: Cell<usize> = const { Cell::new(0) };
}

// SAFETY: forwards every call to `System` unchanged; it only counts.
#[allow(unsafe_code)]
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if WATCHING.with(Cell::get) {
            ALLOCATIONS.with(|n| n.set(n.get() + 1));
        }
        // SAFETY: the caller's guarantees are passed on.
        unsafe { System.alloc(layout) }
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        if WATCHING.with(Cell::get) {
            ALLOCATIONS.with(|n| n.set(n.get() + 1));
        }
        // SAFETY: the caller's guarantees are passed on.
        unsafe { System.alloc_zeroed(layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        if WATCHING.with(Cell::get) {
            ALLOCATIONS.with(|n| n.set(n.get() + 1));
        }
        // SAFETY: the caller's guarantees are passed on.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: the caller's guarantees are passed on.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// How many times `f` allocated on this thread.
fn allocations_in(f: impl FnOnce()) -> usize {
    ALLOCATIONS.with(|n| n.set(0));
    WATCHING.with(|w| w.set(true));
    f();
    WATCHING.with(|w| w.set(false));
    ALLOCATIONS.with(Cell::get)
}

const WORD: &str = "abcdefghijklmnopqrstuvwxyz012345";

#[test]
fn a_32_character_str_hit_allocates_nothing_in_any_bound() {
    #[memoize]
    fn bounded(word: &str) -> u64 {
        word.len() as u64
    }
    #[memoize(maxsize = None)]
    fn unbounded(word: &str) -> u64 {
        word.len() as u64
    }
    #[memoize(maxsize = 1)]
    fn single(word: &str) -> u64 {
        word.len() as u64
    }
    assert_eq!(WORD.len(), 32);
    for f in [bounded as fn(&str) -> u64, unbounded, single] {
        // A miss stores an owned copy of the key: it allocates.
        let miss = allocations_in(|| assert_eq!(f(WORD), 32));
        assert!(miss > 0, "a miss stores an owned key");
        let hits = allocations_in(|| {
            for _ in 0..1000 {
                assert_eq!(f(WORD), 32);
            }
        });
        assert_eq!(hits, 0, "1000 hits allocated {hits} times");
    }
    assert_eq!(bounded::cache_info().hits, 1000);
    assert_eq!(unbounded::cache_info().hits, 1000);
    assert_eq!(single::cache_info().hits, 1000);
}

#[test]
fn a_method_hit_on_a_receiver_owning_a_string_allocates_nothing() {
    #[derive(Clone, Hash, PartialEq, Eq)]
    struct Name(String);
    impl Name {
        #[memoize]
        fn score(&self, bonus: u64) -> u64 {
            self.0.len() as u64 + bonus
        }
    }
    let name = Name(WORD.to_string());
    assert_eq!(name.score(1), 33);
    let hits = allocations_in(|| {
        for _ in 0..1000 {
            assert_eq!(name.score(1), 33);
        }
    });
    assert_eq!(hits, 0, "1000 method hits allocated {hits} times");
    assert_eq!(Name::score_cache_info().hits, 1000);
}

#[test]
fn a_hit_with_a_slice_of_strings_allocates_nothing() {
    #[memoize(maxsize = 8)]
    fn total_len(words: &[String], extra: &[u32]) -> usize {
        words.iter().map(String::len).sum::<usize>() + extra.len()
    }
    let words = vec![WORD.to_string(), "xyz".to_string()];
    assert_eq!(total_len(&words, &[1, 2]), 37);
    let hits = allocations_in(|| {
        for _ in 0..1000 {
            assert_eq!(total_len(&words, &[1, 2]), 37);
        }
    });
    assert_eq!(hits, 0, "1000 hits allocated {hits} times");
}

#[test]
fn a_hit_without_arguments_allocates_nothing() {
    #[memoize]
    fn answer() -> u64 {
        42
    }
    assert_eq!(answer(), 42);
    let hits = allocations_in(|| {
        for _ in 0..1000 {
            assert_eq!(answer(), 42);
        }
    });
    assert_eq!(hits, 0, "1000 hits allocated {hits} times");
}

#[test]
fn hits_on_every_instantiation_of_a_generic_function_allocate_nothing() {
    #[memoize]
    fn count<T: Hash + Eq + Clone>(items: &[T], word: &str) -> u64 {
        items.len() as u64 + word.len() as u64
    }
    // The first instantiation used is found by one type check; the others behind a lock.
    assert_eq!(count(&[1u8, 2], WORD), 34);
    assert_eq!(count(&[1u16, 2, 3], WORD), 35);
    assert_eq!(count(&['a'], WORD), 33);
    let hits = allocations_in(|| {
        for _ in 0..300 {
            assert_eq!(count(&[1u8, 2], WORD), 34);
            assert_eq!(count(&[1u16, 2, 3], WORD), 35);
            assert_eq!(count(&['a'], WORD), 33);
        }
    });
    assert_eq!(hits, 0, "900 hits allocated {hits} times");
    let info = count::cache_info();
    assert_eq!((info.hits, info.misses, info.currsize), (900, 3, 3));
}

/// A hit returning a `String` allocates exactly its clone, nothing more.
#[test]
fn a_hit_returning_a_string_allocates_only_the_clone() {
    #[memoize]
    fn greet(name: &str) -> String {
        format!("hello, {name}")
    }
    assert_eq!(greet(WORD), format!("hello, {WORD}"));
    let hits = allocations_in(|| {
        for _ in 0..100 {
            assert_eq!(greet(WORD).len(), 39);
        }
    });
    assert_eq!(hits, 100, "one allocation per hit (the returned String)");
}

/// `key = &*name`: a borrowed key expression is looked up by reference, as a `&str` argument is.
#[test]
fn a_hit_through_a_borrowed_key_expression_allocates_nothing() {
    struct Request {
        name: String,
        attempt: u32,
    }
    #[memoize(key = &*request.name)]
    fn lookup(request: &Request) -> u64 {
        request.name.len() as u64
    }
    let first = Request {
        name: WORD.to_string(),
        attempt: 0,
    };
    assert_eq!(lookup(&first), 32);
    let again = Request {
        name: WORD.to_string(),
        attempt: 1,
    };
    let hits = allocations_in(|| {
        for _ in 0..1000 {
            assert_eq!(lookup(&again), 32);
        }
    });
    assert_eq!(hits, 0, "1000 hits allocated {hits} times");
    assert_eq!((first.attempt, again.attempt), (0, 1));
    assert_eq!(lookup::cache_info().hits, 1000);
}

/// An ignored argument is passed to the body on a miss and costs nothing on a hit.
#[test]
fn a_hit_with_an_ignored_argument_allocates_nothing() {
    struct Client {
        base: String,
    }
    #[memoize(ignore = client)]
    fn fetch(client: &Client, path: &str) -> u64 {
        (client.base.len() + path.len()) as u64
    }
    let client = Client {
        base: "https://example.org".to_string(),
    };
    assert_eq!(fetch(&client, WORD), 51);
    let hits = allocations_in(|| {
        for _ in 0..1000 {
            assert_eq!(fetch(&client, WORD), 51);
        }
    });
    assert_eq!(hits, 0, "1000 hits allocated {hits} times");
    assert_eq!(fetch::cache_info().hits, 1000);
}

//! A hit looks the key up by the borrowed arguments: it allocates nothing.
//! (A binary of its own: it replaces the global allocator to count.)

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

use py38::memoize;

/// The system allocator, counting the allocations made while this thread is watching.
struct Counting;

thread_local! {
    static WATCHING: Cell<bool> = const { Cell::new(false) };
    static ALLOCATIONS: Cell<usize> = const { Cell::new(0) };
}

// SAFETY: forwards to `System` unchanged; only counts.
#[allow(unsafe_code)]
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if WATCHING.with(Cell::get) {
            ALLOCATIONS.with(|n| n.set(n.get() + 1));
        }
        // SAFETY: the caller's guarantees are passed on.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: the caller's guarantees are passed on.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

fn allocations_in(f: impl FnOnce()) -> usize {
    ALLOCATIONS.with(|n| n.set(0));
    WATCHING.with(|w| w.set(true));
    f();
    WATCHING.with(|w| w.set(false));
    ALLOCATIONS.with(Cell::get)
}

#[memoize]
fn score(word: &str, items: &[u32], n: u64) -> u64 {
    word.len() as u64 + items.len() as u64 + n
}

#[test]
fn hits_with_borrowed_arguments_allocate_nothing() {
    let word = "abcdefghijklmnopqrstuvwxyz012345"; // 32 characters
    let items = [1, 2, 3];
    // The misses allocate (the owned key, the entry), and so may the first hit of a thread.
    assert_eq!(score(word, &items, 1), 36);
    assert_eq!(score(word, &items, 1), 36);
    let miss = allocations_in(|| {
        score("another key", &items, 1);
    });
    assert!(miss > 0, "a miss stores an owned key");
    let hits = allocations_in(|| {
        for _ in 0..1000 {
            assert_eq!(score(word, &items, 1), 36);
        }
    });
    assert_eq!(hits, 0, "1000 hits allocated {hits} times");
}

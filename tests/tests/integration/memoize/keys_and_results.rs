//! What forms the key, and what is stored.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use py38::{CacheInfo, memoize};

use crate::support::Log;

/// Six arguments of mixed kinds form one key, in order; swapping two equal-typed arguments
/// is another key.
#[test]
fn arguments_of_every_kind_form_the_key_in_order() {
    #[derive(Clone, Hash, PartialEq, Eq)]
    struct Config {
        scale: u64,
    }
    static LOG: Log = Log::new();
    #[memoize]
    fn mix(a: u64, b: u64, name: &str, items: &[u32], config: &Config, path: &Path) -> u64 {
        let total = (a * 10 + b)
            + name.len() as u64
            + items.iter().map(|&i| u64::from(i)).sum::<u64>() * config.scale
            + path.components().count() as u64;
        LOG.ran(total);
        total
    }
    let config = Config { scale: 2 };
    let path = PathBuf::from("a/b/c");
    assert_eq!(mix(1, 2, "ab", &[1, 2], &config, &path), 12 + 2 + 6 + 3);
    assert_eq!(mix(2, 1, "ab", &[1, 2], &config, &path), 21 + 2 + 6 + 3);
    // Equal values in other containers: the same key.
    let name = String::from("ab");
    let items = vec![1u32, 2];
    let same_config = Config { scale: 2 };
    assert_eq!(
        mix(1, 2, &name, &items, &same_config, Path::new("a/b/c")),
        23
    );
    // Each argument changed alone: another key.
    assert_eq!(mix(1, 2, "ba", &[1, 2], &config, &path), 23);
    assert_eq!(mix(1, 2, "ab", &[2, 1], &config, &path), 23);
    assert_eq!(mix(1, 2, "ab", &[1, 2], &Config { scale: 1 }, &path), 20);
    assert_eq!(mix(1, 2, "ab", &[1, 2], &config, Path::new("a/b/d")), 23);
    assert_eq!(LOG.take(), [23, 32, 23, 23, 20, 23]);
    let info = mix::cache_info();
    assert_eq!((info.hits, info.misses, info.currsize), (1, 6, 6));
}

#[test]
fn borrowed_arguments_are_found_by_their_owned_copies() {
    static RUNS: AtomicUsize = AtomicUsize::new(0);
    #[memoize]
    fn words(text: &str, items: &[u32], scale: &u64) -> u64 {
        RUNS.fetch_add(1, Ordering::SeqCst);
        text.split_whitespace().count() as u64
            * items.iter().map(|&i| u64::from(i)).sum::<u64>()
            * scale
    }
    let owned_text = String::from("to be or not");
    assert_eq!(words(&owned_text, &[1, 2], &2), 24);
    let owned_items = Vec::from([1, 2]);
    assert_eq!(words("to be or not", &owned_items, &2), 24);
    assert_eq!(RUNS.load(Ordering::SeqCst), 1);
    assert_eq!(words("to be", &[1, 2], &2), 12);
    assert_eq!(words("to be or not", &[1, 2, 0], &2), 24);
    assert_eq!(RUNS.load(Ordering::SeqCst), 3);
}

/// Borrowed `&str` and `&[u32]` are found whatever owns the data; an owned `String` argument
/// is moved into the body and still keys the cache.
#[test]
fn str_slice_and_string_arguments() {
    static LOG: Log = Log::new();
    #[memoize]
    fn count(text: &str, weights: &[u32]) -> u64 {
        LOG.ran(text.len() as u64);
        text.bytes()
            .zip(weights.iter().cycle())
            .map(|(b, &w)| u64::from(b) * u64::from(w))
            .sum()
    }
    #[memoize]
    fn shout(text: String) -> String {
        LOG.ran(text.len() as u64 * 100);
        text.to_uppercase()
    }
    let boxed: Box<str> = "hello".into();
    let weights = vec![1u32, 0];
    let expected = u64::from(b'h') + u64::from(b'l') + u64::from(b'o');
    assert_eq!(count("hello", &[1, 0]), expected);
    assert_eq!(count(&boxed, &weights), expected);
    assert_eq!(count(&String::from("hello"), &weights[..]), expected);
    assert_eq!(count("hell", &[1, 0]), expected - u64::from(b'o'));
    // Weights 1, 0, 0, 1, 0: h and the second l.
    assert_eq!(count("hello", &[1, 0, 0]), expected - u64::from(b'o'));
    assert_eq!(LOG.take(), [5, 4, 5]);
    assert_eq!(shout("hi".to_string()), "HI");
    assert_eq!(shout(String::from("hi")), "HI");
    assert_eq!(shout("ho".into()), "HO");
    assert_eq!(LOG.take(), [200, 200]);
    assert_eq!(shout::cache_info().hits, 1);
}

#[test]
fn owned_arguments_may_be_moved_into_the_body() {
    static LOG: Log = Log::new();
    #[memoize]
    fn consume(items: Vec<u64>, label: String) -> usize {
        LOG.ran(items.len() as u64);
        drop(label);
        items.into_iter().filter(|&i| i > 1).count()
    }
    assert_eq!(consume(vec![1, 2, 3], "a".into()), 2);
    assert_eq!(consume(vec![1, 2, 3], "a".into()), 2);
    assert_eq!(consume(vec![1, 2, 3], "b".into()), 2);
    assert_eq!(LOG.take(), [3, 3]);
}

/// An owned argument is cloned into the key once on a miss (bounded or not: the recency
/// record holds the key's hash) and never on a hit.
#[test]
fn an_owned_argument_is_cloned_once_on_a_miss_and_never_on_a_hit() {
    static CLONES: AtomicUsize = AtomicUsize::new(0);
    #[derive(Hash, PartialEq, Eq)]
    struct Counted(u64);
    impl Clone for Counted {
        fn clone(&self) -> Self {
            CLONES.fetch_add(1, Ordering::SeqCst);
            Counted(self.0)
        }
    }
    #[memoize]
    fn square(n: Counted) -> u64 {
        n.0 * n.0
    }
    #[memoize(maxsize = None)]
    fn cube(n: Counted) -> u64 {
        n.0 * n.0 * n.0
    }
    type Case = (fn(Counted) -> u64, u64, fn() -> py38::CacheInfo);
    let cases: [Case; 2] = [
        (square, 9, square::cache_info),
        (cube, 27, cube::cache_info),
    ];
    for (f, value, info) in cases {
        let before = CLONES.load(Ordering::SeqCst);
        assert_eq!(f(Counted(3)), value);
        assert_eq!(
            CLONES.load(Ordering::SeqCst) - before,
            1,
            "the miss stores one clone"
        );
        assert_eq!(f(Counted(3)), value);
        assert_eq!(f(Counted(3)), value);
        assert_eq!(info().hits, 2);
        assert_eq!(
            CLONES.load(Ordering::SeqCst) - before,
            1,
            "a hit clones nothing"
        );
    }
}

/// An `Err` is returned and not stored, and storing nothing evicts nothing: with a full cache
/// of two, failing calls leave both entries in place. `Ok` is stored as usual.
#[test]
fn err_results_are_recomputed_and_evict_nothing() {
    static LOG: Log = Log::new();
    #[memoize(maxsize = 2)]
    fn checked_half(n: u64) -> Result<u64, String> {
        LOG.ran(n);
        if n.is_multiple_of(2) {
            Ok(n / 2)
        } else {
            Err(format!("{n} is odd"))
        }
    }
    assert_eq!(checked_half(2), Ok(1));
    assert_eq!(checked_half(4), Ok(2));
    for _ in 0..3 {
        assert_eq!(checked_half(7), Err("7 is odd".to_string()));
    }
    assert_eq!(checked_half(2), Ok(1));
    assert_eq!(checked_half(4), Ok(2));
    assert_eq!(LOG.take(), [2, 4, 7, 7, 7]);
    assert_eq!(
        checked_half::cache_info(),
        CacheInfo {
            hits: 2,
            misses: 5,
            maxsize: Some(2),
            currsize: 2
        }
    );
}

#[test]
fn results_by_any_path_and_question_marks_work() {
    static RUNS: AtomicUsize = AtomicUsize::new(0);
    #[memoize]
    fn double(text: &str) -> std::io::Result<u64> {
        RUNS.fetch_add(1, Ordering::SeqCst);
        let n: u64 = text
            .parse()
            .map_err(|_| std::io::Error::other("not a number"))?;
        Ok(n * 2)
    }
    assert_eq!(double("21").unwrap(), 42);
    assert_eq!(double("21").unwrap(), 42);
    assert!(double("x").is_err());
    assert_eq!(RUNS.load(Ordering::SeqCst), 2);
}

/// A `None` is a result like any other: stored, counted, and evicted in LRU order.
#[test]
fn none_results_are_stored_and_take_a_slot() {
    static LOG: Log = Log::new();
    #[memoize(maxsize = 2)]
    fn find(n: u64) -> Option<u64> {
        LOG.ran(n);
        (n > 10).then(|| n - 10)
    }
    assert_eq!(find(1), None);
    assert_eq!(find(1), None);
    assert_eq!(find(12), Some(2));
    assert_eq!(find(1), None);
    assert_eq!(find(13), Some(3)); // evicts 12, the least recently used
    assert_eq!(find(1), None);
    assert_eq!(find(12), Some(2));
    assert_eq!(LOG.take(), [1, 12, 13, 12]);
    let info = find::cache_info();
    assert_eq!((info.hits, info.misses, info.currsize), (3, 4, 2));
}

#[test]
fn an_early_return_is_the_result_that_is_stored() {
    static LOG: Log = Log::new();
    #[memoize]
    fn clamp(n: u64) -> u64 {
        LOG.ran(n);
        if n > 10 {
            return 10;
        }
        n
    }
    assert_eq!(clamp(50), 10);
    assert_eq!(clamp(50), 10);
    assert_eq!(LOG.take(), [50]);
}

#[test]
fn arc_results_share_one_value() {
    #[memoize]
    fn big(n: usize) -> Arc<Vec<u8>> {
        Arc::new(vec![0; n])
    }
    let a = big(1 << 16);
    let b = big(1 << 16);
    assert!(Arc::ptr_eq(&a, &b));
}

#[test]
fn unit_functions_run_once_per_key() {
    static LOG: Log = Log::new();
    #[memoize]
    fn greet(n: u64) {
        LOG.ran(n);
    }
    greet(1);
    greet(1);
    greet(2);
    assert_eq!(LOG.take(), [1, 2]);
}

//! What forms the key, and what is stored.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use py38::memoize;

use crate::Log;

#[test]
fn every_argument_in_order_forms_the_key() {
    static LOG: Log = Log::new();
    #[memoize]
    fn f(a: u64, b: u64) -> u64 {
        LOG.ran(a * 10 + b);
        a * 10 + b
    }
    assert_eq!(f(1, 2), 12);
    assert_eq!(f(2, 1), 21);
    assert_eq!(f(1, 2), 12);
    assert_eq!(LOG.take(), [12, 21]);
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

#[test]
fn err_is_returned_but_never_stored() {
    static LOG: Log = Log::new();
    #[memoize]
    fn parse(text: &str) -> Result<u16, std::num::ParseIntError> {
        LOG.ran(text.len() as u64);
        text.parse()
    }
    assert!(parse("http").is_err());
    assert!(parse("http").is_err());
    assert_eq!(parse("80"), Ok(80));
    assert_eq!(parse("80"), Ok(80));
    assert_eq!(LOG.take(), [4, 4, 2]);
    let info = parse::cache_info();
    assert_eq!((info.hits, info.misses, info.currsize), (1, 3, 1));
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

#[test]
fn none_is_stored_like_any_result() {
    static LOG: Log = Log::new();
    #[memoize]
    fn find(n: u64) -> Option<u64> {
        LOG.ran(n);
        n.is_multiple_of(2).then_some(n / 2)
    }
    assert_eq!(find(3), None);
    assert_eq!(find(3), None);
    assert_eq!(find(4), Some(2));
    assert_eq!(LOG.take(), [3, 4]);
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

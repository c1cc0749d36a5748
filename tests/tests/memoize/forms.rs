//! Methods, associated functions, generics, visibility and attributes.

use std::hash::Hash;
use std::sync::atomic::{AtomicUsize, Ordering};

use py38::memoize;

#[derive(Clone, Hash, PartialEq, Eq)]
struct Grid {
    width: u64,
}

static PATH_RUNS: AtomicUsize = AtomicUsize::new(0);

impl Grid {
    #[memoize]
    fn paths(&self, row: u64, col: u64) -> u64 {
        PATH_RUNS.fetch_add(1, Ordering::SeqCst);
        if row == 0 || col == 0 {
            self.width.min(1)
        } else {
            self.paths(row - 1, col) + self.paths(row, col - 1)
        }
    }

    #[memoize(maxsize = 2)]
    fn new(width: u64) -> Self {
        Grid { width }
    }
}

#[test]
fn methods_key_by_their_receiver() {
    let a = Grid { width: 1 };
    let b = Grid { width: 2 };
    assert_eq!(a.paths(3, 3), 20);
    let after_a = PATH_RUNS.load(Ordering::SeqCst);
    assert_eq!(after_a, 15); // every cell but the corner (0, 0)
    assert_eq!(a.paths(3, 3), 20);
    assert_eq!(PATH_RUNS.load(Ordering::SeqCst), after_a);
    assert_eq!(b.paths(3, 3), 20);
    assert_eq!(PATH_RUNS.load(Ordering::SeqCst), 2 * after_a);
    assert_eq!(Grid::paths_cache_info().currsize, 30);
    assert_eq!(Grid::paths_cache_parameters().maxsize, Some(128));
    Grid::paths_cache_clear();
    assert_eq!(Grid::paths_cache_info().currsize, 0);
}

#[test]
fn associated_functions_returning_self_are_cached() {
    assert_eq!(Grid::new(3).width, 3);
    assert_eq!(Grid::new(3).width, 3);
    assert_eq!(Grid::new_cache_info().hits, 1);
    assert_eq!(Grid::new_cache_parameters().maxsize, Some(2));
}

#[test]
fn each_instantiation_has_its_own_cache_and_controls_sum_them() {
    #[memoize(maxsize = 2)]
    fn largest<T: Ord + Clone + Hash>(items: &[T]) -> Option<T> {
        items.iter().max().cloned()
    }
    assert_eq!(largest(&[1u8, 5, 3]), Some(5));
    assert_eq!(largest(&[1u8, 5, 3]), Some(5));
    let words = ["b".to_string(), "a".to_string()];
    assert_eq!(largest(&words), Some("b".to_string()));
    assert_eq!(largest::<u64>(&[]), None);
    let info = largest::cache_info();
    assert_eq!((info.hits, info.misses, info.currsize), (1, 3, 3));
    // maxsize bounds each instantiation: three more u8 keys leave two of them.
    for n in 10..13u8 {
        largest(&[n]);
    }
    assert_eq!(largest::cache_info().currsize, 2 + 1 + 1);
    largest::cache_clear();
    assert_eq!(largest::cache_info().currsize, 0);
}

pub(crate) mod shapes {
    use py38::memoize;

    /// The area of a rectangle.
    #[memoize]
    pub(crate) fn area(w: u32, h: u32) -> u32 {
        w * h
    }
}

#[test]
fn controls_have_the_functions_visibility() {
    assert_eq!(shapes::area(2, 3), 6);
    assert_eq!(shapes::area(2, 3), 6);
    assert_eq!(shapes::area::cache_info().hits, 1);
}

#[test]
fn attributes_are_kept() {
    /// Doubles `n`.
    #[memoize]
    #[must_use]
    #[inline]
    #[track_caller]
    fn double(n: u64) -> u64 {
        n * 2
    }
    #[memoize]
    #[allow(clippy::unnecessary_wraps)]
    fn wrapped(n: u64) -> Option<u64> {
        Some(n)
    }
    assert_eq!(double(4), 8);
    assert_eq!(wrapped(4), Some(4));
}

#[test]
fn mutable_bindings_work() {
    #[memoize]
    fn countdown(mut n: u64) -> u64 {
        let mut steps = 0;
        while n > 0 {
            n /= 2;
            steps += 1;
        }
        steps
    }
    assert_eq!(countdown(8), 4);
    assert_eq!(countdown(8), 4);
    assert_eq!(countdown::cache_info().hits, 1);
}

struct Tools;

static DOUBLE_RUNS: AtomicUsize = AtomicUsize::new(0);

#[memoize]
impl Tools {
    /// Needs the `impl`-level `#[memoize]`: it neither takes `self` nor names `Self`.
    #[memoize(maxsize = 4)]
    fn double(x: u64) -> u64 {
        DOUBLE_RUNS.fetch_add(1, Ordering::SeqCst);
        x * 2
    }

    #[py38::memoize]
    fn triple(&self, x: u64) -> u64 {
        x * 3
    }

    fn untouched(x: u64) -> u64 {
        x
    }
}

impl Clone for Tools {
    fn clone(&self) -> Self {
        Tools
    }
}
impl PartialEq for Tools {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}
impl Eq for Tools {}
impl Hash for Tools {
    fn hash<H: std::hash::Hasher>(&self, _: &mut H) {}
}

#[test]
fn memoize_on_an_impl_block_memoizes_its_marked_functions() {
    assert_eq!(Tools::double(2), 4);
    assert_eq!(Tools::double(2), 4);
    assert_eq!(DOUBLE_RUNS.load(Ordering::SeqCst), 1);
    assert_eq!(Tools::double_cache_info().hits, 1);
    assert_eq!(Tools::double_cache_parameters().maxsize, Some(4));
    assert_eq!(Tools.triple(2), 6);
    assert_eq!(Tools.triple(2), 6);
    assert_eq!(Tools::triple_cache_info().hits, 1);
    assert_eq!(Tools::untouched(7), 7);
}

/// A generic type whose memoized associated function mentions neither `Self` nor `T` in its
/// arguments and result: each instantiation still has a cache of its own.
struct Described<T>(core::marker::PhantomData<T>);

static DESCRIBE_RUNS: AtomicUsize = AtomicUsize::new(0);

#[memoize]
impl<T: Default + core::fmt::Debug> Described<T> {
    #[memoize]
    fn describe(n: u32) -> String {
        DESCRIBE_RUNS.fetch_add(1, Ordering::SeqCst);
        format!("{n} {:?}", T::default())
    }
}

#[test]
fn each_instantiation_of_a_generic_impl_has_its_own_cache() {
    assert_eq!(Described::<u8>::describe(1), "1 0");
    assert_eq!(Described::<bool>::describe(1), "1 false", "not u8's result");
    assert_eq!(Described::<u8>::describe(1), "1 0");
    assert_eq!(DESCRIBE_RUNS.load(Ordering::SeqCst), 2);
    assert!(Described::<bool>::describe_cache_invalidate(1));
    assert!(!Described::<bool>::describe_cache_invalidate(1));
    assert!(Described::<u8>::describe_cache_invalidate(1));
}

//! The forms `#[memoize]` takes: methods and receivers, associated functions, `impl` blocks,
//! generic functions and types, visibility, options and attributes.

use std::hash::Hash;
use std::sync::atomic::{AtomicUsize, Ordering};

use py38::{CacheInfo, CacheParameters, memoize};

use crate::support::Log;

/// A grid `w` columns wide.
#[derive(Clone, Hash, PartialEq, Eq, Debug)]
struct Grid {
    w: usize,
}

static PATH_RUNS: AtomicUsize = AtomicUsize::new(0);
static NEW_RUNS: AtomicUsize = AtomicUsize::new(0);

impl Grid {
    /// Monotone lattice paths from the corner to row `r`, column `c`, inside the grid.
    #[memoize]
    fn paths(&self, r: usize, c: usize) -> u64 {
        PATH_RUNS.fetch_add(1, Ordering::SeqCst);
        if c >= self.w {
            0
        } else if r == 0 || c == 0 {
            1
        } else {
            self.paths(r - 1, c) + self.paths(r, c - 1)
        }
    }

    /// A grid `n` columns wide, made once per `n`.
    #[memoize(maxsize = 3)]
    fn new(n: u32) -> Self {
        NEW_RUNS.fetch_add(1, Ordering::SeqCst);
        Grid { w: n as usize }
    }
}

/// The uncached count, for checking.
fn lattice_paths(w: usize, r: usize, c: usize) -> u64 {
    if c >= w {
        0
    } else if r == 0 || c == 0 {
        1
    } else {
        lattice_paths(w, r - 1, c) + lattice_paths(w, r, c - 1)
    }
}

/// The receiver is part of the key: two grids with different widths never share a result, and
/// the associated controls see both.
#[test]
fn methods_key_by_receiver_and_have_associated_controls() {
    let narrow = Grid { w: 2 };
    let wide = Grid { w: 10 };
    assert_eq!(narrow.paths(4, 5), 0);
    assert_eq!(wide.paths(4, 5), lattice_paths(10, 4, 5));
    assert_eq!(wide.paths(4, 5), 126);
    assert_eq!(narrow.paths(4, 1), lattice_paths(2, 4, 1));
    assert_eq!(narrow.paths(4, 1), 5);
    // Every (receiver, r, c) ran once: the narrow grid's 1 + 9, the wide grid's 5 * 6 - 1.
    assert_eq!(PATH_RUNS.load(Ordering::SeqCst), 1 + 9 + 29);
    let info = Grid::paths_cache_info();
    assert_eq!(info.misses, 39);
    assert_eq!(info.currsize, 39);
    assert_eq!(info.maxsize, Some(128));
    // An equal receiver, made separately, finds the stored results.
    let hits = info.hits;
    assert_eq!(Grid { w: 10 }.paths(4, 5), 126);
    assert_eq!(Grid::paths_cache_info().hits, hits + 1);
    assert_eq!(
        Grid::paths_cache_parameters().to_string(),
        "{'maxsize': 128, 'typed': False}"
    );
    Grid::paths_cache_clear();
    assert_eq!(
        Grid::paths_cache_info(),
        CacheInfo {
            hits: 0,
            misses: 0,
            maxsize: Some(128),
            currsize: 0
        }
    );
    assert_eq!(wide.paths(1, 1), 2);
    assert_eq!(PATH_RUNS.load(Ordering::SeqCst), 39 + 3);
}

/// An associated function returning `Self` (it names `Self`, so it is memoized as one).
#[test]
fn an_associated_function_returning_self_is_cached() {
    for n in [3, 4, 3, 5, 3, 6, 4] {
        assert_eq!(Grid::new(n), Grid { w: n as usize });
    }
    // maxsize 3: 3, 4, (3), 5, (3), 6 evicts 4, 4 evicts 5.
    assert_eq!(NEW_RUNS.load(Ordering::SeqCst), 5);
    assert_eq!(
        Grid::new_cache_info().to_string(),
        "CacheInfo(hits=2, misses=5, maxsize=3, currsize=3)"
    );
    assert_eq!(Grid::new_cache_parameters().maxsize, Some(3));
}

/// A receiver taken by value is part of the key too.
#[test]
fn a_receiver_by_value_is_part_of_the_key() {
    #[derive(Clone, Copy, Hash, PartialEq, Eq)]
    struct Rect {
        w: u64,
        h: u64,
    }
    static LOG: Log = Log::new();
    impl Rect {
        #[memoize(maxsize = None)]
        fn area(self) -> u64 {
            LOG.ran(self.w * 100 + self.h);
            self.w * self.h
        }
    }
    let a = Rect { w: 2, h: 3 };
    let b = Rect { w: 3, h: 2 };
    assert_eq!(a.area(), 6);
    assert_eq!(b.area(), 6);
    assert_eq!(a.area(), 6);
    assert_eq!(LOG.take(), [203, 302]);
    assert_eq!(Rect::area_cache_info().hits, 1);
}

/// Methods of a generic type: each `Self` is its own key type, so each instantiation keeps
/// its own results, and the controls sum them.
#[test]
fn methods_of_a_generic_type_keep_instantiations_apart() {
    #[derive(Clone, Hash, PartialEq, Eq)]
    struct Wrapper<T>(T);
    impl<T: Clone + Hash + Eq + std::fmt::Debug + Send + Sync + 'static> Wrapper<T> {
        #[memoize]
        fn describe(&self) -> String {
            format!("{:?}", self.0)
        }
    }
    assert_eq!(Wrapper(1u8).describe(), "1");
    assert_eq!(Wrapper("1").describe(), "\"1\"");
    assert_eq!(Wrapper(true).describe(), "true");
    assert_eq!(Wrapper(1u8).describe(), "1");
    let info = Wrapper::<u8>::describe_cache_info();
    assert_eq!((info.hits, info.misses, info.currsize), (1, 3, 3));
    assert_eq!(Wrapper::<bool>::describe_cache_info(), info);
    Wrapper::<bool>::describe_cache_clear();
    assert_eq!(Wrapper::<u8>::describe_cache_info().currsize, 0);
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

/// One cache per instantiation of a generic function: `u8` and `String` slices are kept apart,
/// the bound applies to each, and the controls report the sum.
#[test]
fn generic_function_instantiations_are_separate_and_controls_aggregate() {
    static LOG: Log = Log::new();
    #[memoize(maxsize = 2)]
    fn largest<T: Ord + Clone + Hash>(items: &[T]) -> Option<T> {
        LOG.ran(items.len() as u64);
        items.iter().max().cloned()
    }
    assert_eq!(largest(&[3u8, 9, 4]), Some(9));
    let words = ["pear".to_string(), "apple".to_string()];
    assert_eq!(largest(&words), Some("pear".to_string()));
    assert_eq!(largest::<u8>(&[]), None);
    assert_eq!(largest::<String>(&[]), None);
    assert_eq!(largest(&[3u8, 9, 4]), Some(9));
    assert_eq!(largest(&words), Some("pear".to_string()));
    assert_eq!(LOG.take(), [3, 2, 0, 0]);
    assert_eq!(
        largest::cache_info(),
        CacheInfo {
            hits: 2,
            misses: 4,
            maxsize: Some(2),
            currsize: 4
        }
    );
    // A third u8 key evicts the least recently used u8 key ([] of u8), not a String one.
    assert_eq!(largest(&[1u8]), Some(1));
    assert_eq!(largest::<String>(&[]), None);
    assert_eq!(largest(&[3u8, 9, 4]), Some(9));
    assert_eq!(LOG.take(), [1]);
    assert_eq!(largest::<u8>(&[]), None);
    assert_eq!(LOG.take(), [0]);
    assert_eq!(largest::cache_info().currsize, 4);
    largest::cache_clear();
    assert_eq!(
        largest::cache_info(),
        CacheInfo {
            hits: 0,
            misses: 0,
            maxsize: Some(2),
            currsize: 0
        }
    );
    assert_eq!(largest(&words), Some("pear".to_string()));
    assert_eq!(LOG.take(), [2]);
}

/// "One cache per instantiation" must hold also when the type parameter appears in neither
/// an argument nor the result: `name_of::<u16>()` is not `name_of::<u8>()`.
#[test]
fn generic_instantiations_differing_only_in_an_unused_type_parameter_are_separate() {
    #[memoize]
    fn name_of<T>() -> &'static str {
        std::any::type_name::<T>()
    }
    #[memoize]
    fn size_times<T>(n: usize) -> usize {
        std::mem::size_of::<T>() * n
    }
    assert_eq!(name_of::<u8>(), "u8");
    assert_eq!(name_of::<u16>(), "u16");
    assert_eq!(size_times::<u8>(3), 3);
    assert_eq!(size_times::<u64>(3), 24);
    assert_eq!(name_of::cache_info().misses, 2);
}

/// The same for const generic parameters: `scaled::<3>(5)` is not `scaled::<2>(5)`.
#[test]
fn const_generic_instantiations_are_separate() {
    #[memoize]
    fn scaled<const N: u64>(x: u64) -> u64 {
        x * N
    }
    assert_eq!(scaled::<2>(5), 10);
    assert_eq!(scaled::<3>(5), 15);
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

/// A memoized function in a module has its controls beside it, with its visibility.
pub mod shapes {
    use py38::memoize;

    /// The area of a `w` by `h` rectangle.
    #[memoize(maxsize = 4)]
    pub fn area(w: u32, h: u32) -> u32 {
        w * h
    }

    /// Calls `area` from a nested module, through its path.
    pub mod nested {
        /// Twice the area.
        pub fn double_area(w: u32, h: u32) -> u32 {
            2 * super::area(w, h)
        }
    }
}

#[test]
fn a_pub_functions_controls_are_reachable_through_its_module() {
    assert_eq!(shapes::area(2, 3), 6);
    assert_eq!(shapes::nested::double_area(2, 3), 12);
    assert_eq!(shapes::area(3, 2), 6);
    assert_eq!(
        shapes::area::cache_info(),
        CacheInfo {
            hits: 1,
            misses: 2,
            maxsize: Some(4),
            currsize: 2
        }
    );
    assert_eq!(
        shapes::area::cache_parameters(),
        CacheParameters {
            maxsize: Some(4),
            typed: false,
            ttl: None
        }
    );
    shapes::area::cache_clear();
    assert_eq!(shapes::area::cache_info().currsize, 0);
}

/// A `pub(crate)` function's controls have its visibility.
pub(crate) mod crate_shapes {
    use py38::memoize;

    /// The area of a rectangle.
    #[memoize]
    pub(crate) fn area(w: u32, h: u32) -> u32 {
        w * h
    }
}

#[test]
fn controls_have_the_functions_visibility() {
    assert_eq!(crate_shapes::area(2, 3), 6);
    assert_eq!(crate_shapes::area(2, 3), 6);
    assert_eq!(crate_shapes::area::cache_info().hits, 1);
}

/// `cache_parameters()` for each combination of options, and Python's spelling of it.
#[test]
fn cache_parameters_for_each_combination_of_options() {
    #[memoize]
    fn default() -> u8 {
        0
    }
    #[memoize(typed = true)]
    fn typed() -> u8 {
        0
    }
    #[memoize(typed = false)]
    fn untyped() -> u8 {
        0
    }
    #[memoize(maxsize = 0, typed = true)]
    fn zero_typed() -> u8 {
        0
    }
    #[memoize(maxsize = None)]
    fn unbounded() -> u8 {
        0
    }
    #[memoize(typed = true, maxsize = 1024)]
    fn big_typed() -> u8 {
        0
    }
    #[memoize(maxsize = None, typed = true)]
    fn unbounded_typed(n: u8) -> u8 {
        n
    }
    #[memoize(typed = false, maxsize = 7)]
    fn untyped_seven(n: u8) -> u8 {
        n
    }
    /// The controls, the expected `maxsize` and `typed`, and Python's spelling.
    type Case = (fn() -> CacheParameters, Option<usize>, bool, &'static str);
    let cases: [Case; 8] = [
        (
            default::cache_parameters,
            Some(128),
            false,
            "{'maxsize': 128, 'typed': False}",
        ),
        (
            typed::cache_parameters,
            Some(128),
            true,
            "{'maxsize': 128, 'typed': True}",
        ),
        (
            untyped::cache_parameters,
            Some(128),
            false,
            "{'maxsize': 128, 'typed': False}",
        ),
        (
            zero_typed::cache_parameters,
            Some(0),
            true,
            "{'maxsize': 0, 'typed': True}",
        ),
        (
            unbounded::cache_parameters,
            None,
            false,
            "{'maxsize': None, 'typed': False}",
        ),
        (
            big_typed::cache_parameters,
            Some(1024),
            true,
            "{'maxsize': 1024, 'typed': True}",
        ),
        (
            unbounded_typed::cache_parameters,
            None,
            true,
            "{'maxsize': None, 'typed': True}",
        ),
        (
            untyped_seven::cache_parameters,
            Some(7),
            false,
            "{'maxsize': 7, 'typed': False}",
        ),
    ];
    for (parameters, maxsize, typed, shown) in cases {
        let p = parameters();
        assert_eq!((p.maxsize, p.typed, p.ttl), (maxsize, typed, None));
        assert_eq!(p.to_string(), shown);
    }
    assert_eq!(
        default::cache_parameters(),
        CacheParameters {
            maxsize: Some(128),
            typed: false,
            ttl: None,
        }
    );
    // cache_info() reports the same maxsize.
    assert_eq!(default::cache_info().maxsize, Some(128));
    assert_eq!(zero_typed::cache_info().maxsize, Some(0));
    assert_eq!(unbounded::cache_info().maxsize, None);
    assert_eq!(
        default() + typed() + untyped() + zero_typed() + unbounded() + big_typed(),
        0
    );
    assert_eq!(unbounded_typed(1) + untyped_seven(1), 2);
}

/// Attributes and docs are kept, before or after `#[memoize]`, and the function still works.
#[test]
fn attributes_and_docs_are_kept_in_either_order() {
    static RUNS: AtomicUsize = AtomicUsize::new(0);

    /// Triples `n`.
    #[memoize]
    #[must_use]
    #[inline]
    #[track_caller]
    fn triple(n: u64) -> u64 {
        RUNS.fetch_add(1, Ordering::SeqCst);
        n * 3
    }

    /// Quadruples `n`.
    #[must_use]
    #[inline(never)]
    #[cold]
    #[memoize(maxsize = 2)]
    fn quadruple(n: u64) -> u64 {
        RUNS.fetch_add(1, Ordering::SeqCst);
        n * 4
    }

    #[doc = "Negates `n`."]
    #[memoize]
    #[allow(clippy::unnecessary_wraps)]
    #[cfg_attr(test, inline)]
    fn negate(n: i64) -> Option<i64> {
        RUNS.fetch_add(1, Ordering::SeqCst);
        Some(-n)
    }

    assert_eq!(triple(4), 12);
    assert_eq!(triple(4), 12);
    assert_eq!(quadruple(4), 16);
    assert_eq!(quadruple(4), 16);
    assert_eq!(negate(4), Some(-4));
    assert_eq!(negate(4), Some(-4));
    assert_eq!(RUNS.load(Ordering::SeqCst), 3);
    assert_eq!(triple::cache_info().hits, 1);
    assert_eq!(quadruple::cache_info().hits, 1);
    assert_eq!(negate::cache_info().hits, 1);
}

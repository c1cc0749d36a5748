//! Random and recursive call sequences checked step by step against a model of CPython's
//! `lru_cache` algorithm.

use std::collections::VecDeque;

use py38::{CacheInfo, memoize};

use crate::support::Log;

/// CPython's `lru_cache` algorithm (`Modules/_functoolsmodule.c`), over a list: a hit moves
/// the key to the most recent end; a miss counts first, then stores after the body unless a
/// re-entrant call stored the key meanwhile (bounded) or overwrites it (unbounded), evicting
/// the least recently used key past `maxsize`.
struct Model<K, V> {
    maxsize: Option<usize>,
    /// Least recently used first.
    entries: VecDeque<(K, V)>,
    hits: u64,
    misses: u64,
}

impl<K: PartialEq, V: Clone> Model<K, V> {
    fn new(maxsize: Option<usize>) -> Self {
        Model {
            maxsize,
            entries: VecDeque::new(),
            hits: 0,
            misses: 0,
        }
    }

    /// The stored value on a hit (counted, and made most recent); `None` on a miss (counted).
    fn lookup(&mut self, key: &K) -> Option<V> {
        if self.maxsize == Some(0) {
            self.misses += 1;
            return None;
        }
        match self.entries.iter().position(|(k, _)| k == key) {
            Some(at) => {
                self.hits += 1;
                let entry = self.entries.remove(at).unwrap();
                let value = entry.1.clone();
                self.entries.push_back(entry);
                Some(value)
            }
            None => {
                self.misses += 1;
                None
            }
        }
    }

    /// Stores the result of a miss, after its body ran.
    fn store(&mut self, key: K, value: V) {
        let at = self.entries.iter().position(|(k, _)| *k == key);
        match (self.maxsize, at) {
            (Some(0), _) | (Some(_), Some(_)) => {}
            (None, Some(at)) => self.entries[at].1 = value,
            (None, None) => self.entries.push_back((key, value)),
            (Some(max), None) => {
                if self.entries.len() >= max {
                    self.entries.pop_front();
                }
                self.entries.push_back((key, value));
            }
        }
    }

    /// A call whose body is `value` (not re-entrant); whether it was a hit.
    fn call(&mut self, key: K, value: V) -> bool {
        if self.lookup(&key).is_some() {
            return true;
        }
        self.store(key, value);
        false
    }

    fn info(&self) -> CacheInfo {
        CacheInfo {
            hits: self.hits,
            misses: self.misses,
            maxsize: self.maxsize,
            currsize: self.entries.len(),
        }
    }
}

/// A small deterministic generator (xorshift64).
pub(crate) struct Rng(pub(crate) u64);

impl Rng {
    pub(crate) fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    /// Keys skewed towards a few hot ones, as real workloads are: 3/4 of the calls draw from
    /// `0..8`, the rest from `0..64`.
    fn key(&mut self) -> u64 {
        let r = self.next();
        if r.is_multiple_of(4) {
            (r >> 8) % 64
        } else {
            (r >> 8) % 8
        }
    }
}

/// CPython's `test_lru`: random calls against a bounded cache, checked against a model.
#[test]
fn random_calls_match_a_model_of_lru() {
    static LOG: Log = Log::new();
    #[memoize(maxsize = 20)]
    fn f(x: u64, y: u64) -> u64 {
        LOG.ran(x * 100 + y);
        3 * x + y
    }
    let mut model: Vec<(u64, u64)> = Vec::new(); // most recent first
    let mut seed = 0x2545_f491_4f6c_dd1d_u64;
    let (mut hits, mut misses) = (0, 0);
    for _ in 0..2000 {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        let (x, y) = (seed % 7, (seed >> 8) % 6);
        assert_eq!(f(x, y), 3 * x + y);
        let ran = !LOG.take().is_empty();
        match model.iter().position(|&k| k == (x, y)) {
            Some(at) => {
                assert!(!ran, "({x}, {y}) was cached and ran anyway");
                hits += 1;
                model.remove(at);
            }
            None => {
                assert!(ran, "({x}, {y}) was not cached and did not run");
                misses += 1;
                model.truncate(19);
            }
        }
        model.insert(0, (x, y));
        let info = f::cache_info();
        assert_eq!(
            (info.hits, info.misses, info.currsize),
            (hits, misses, model.len())
        );
    }
}

/// Random skewed calls for each bound, compared with the model after every call: which calls
/// ran the body, hits, misses and currsize, with a `cache_clear()` every 700 calls.
#[test]
fn random_calls_match_cpythons_algorithm_for_every_bound() {
    macro_rules! memoized {
        ($name:ident, $log:ident, $($options:tt)*) => {
            static $log: Log = Log::new();
            #[memoize($($options)*)]
            fn $name(n: u64) -> u64 {
                $log.ran(n);
                n * 3 + 1
            }
        };
    }
    memoized!(m0, L0, maxsize = 0);
    memoized!(m1, L1, maxsize = 1);
    memoized!(m2, L2, maxsize = 2);
    memoized!(m3, L3, maxsize = 3);
    memoized!(m7, L7, maxsize = 7);
    memoized!(m16, L16, maxsize = 16);
    memoized!(m128, L128, maxsize = 128);
    memoized!(mnone, LNONE, maxsize = None);

    type Case = (
        fn(u64) -> u64,
        fn() -> CacheInfo,
        fn(),
        &'static Log,
        Option<usize>,
    );
    let cases: [Case; 8] = [
        (m0, m0::cache_info, m0::cache_clear, &L0, Some(0)),
        (m1, m1::cache_info, m1::cache_clear, &L1, Some(1)),
        (m2, m2::cache_info, m2::cache_clear, &L2, Some(2)),
        (m3, m3::cache_info, m3::cache_clear, &L3, Some(3)),
        (m7, m7::cache_info, m7::cache_clear, &L7, Some(7)),
        (m16, m16::cache_info, m16::cache_clear, &L16, Some(16)),
        (m128, m128::cache_info, m128::cache_clear, &L128, Some(128)),
        (mnone, mnone::cache_info, mnone::cache_clear, &LNONE, None),
    ];
    for (func, info, clear, log, maxsize) in cases {
        let mut model = Model::new(maxsize);
        let mut rng = Rng(0x2545_f491_4f6c_dd1d ^ maxsize.map_or(99, |m| m as u64));
        for call in 0..3000 {
            if call % 700 == 699 {
                clear();
                model = Model::new(maxsize);
            }
            let n = rng.key();
            assert_eq!(func(n), n * 3 + 1);
            let hit = model.call(n, ());
            let ran = log.take();
            assert_eq!(
                ran.is_empty(),
                hit,
                "maxsize {maxsize:?}, call {call} with {n}: ran {ran:?}"
            );
            assert_eq!(info(), model.info(), "maxsize {maxsize:?}, call {call}");
        }
    }
}

/// Recursion under a small bound: inner calls store and evict while the outer body runs.
/// Values and every count must be CPython's, and so must the final contents.
#[test]
fn recursive_fib_under_small_bounds_counts_like_cpython() {
    fn model_fib(n: u64, model: &mut Model<u64, u64>) -> u64 {
        if let Some(value) = model.lookup(&n) {
            return value;
        }
        let value = if n < 2 {
            n
        } else {
            model_fib(n - 1, model) + model_fib(n - 2, model)
        };
        model.store(n, value);
        value
    }
    #[memoize(maxsize = 1)]
    fn fib1(n: u64) -> u64 {
        if n < 2 { n } else { fib1(n - 1) + fib1(n - 2) }
    }
    #[memoize(maxsize = 2)]
    fn fib2(n: u64) -> u64 {
        if n < 2 { n } else { fib2(n - 1) + fib2(n - 2) }
    }
    #[memoize(maxsize = 3)]
    fn fib3(n: u64) -> u64 {
        if n < 2 { n } else { fib3(n - 1) + fib3(n - 2) }
    }
    #[memoize(maxsize = 5)]
    fn fib5(n: u64) -> u64 {
        if n < 2 { n } else { fib5(n - 1) + fib5(n - 2) }
    }
    #[memoize(maxsize = None)]
    fn fib_none(n: u64) -> u64 {
        if n < 2 {
            n
        } else {
            fib_none(n - 1) + fib_none(n - 2)
        }
    }
    type Case = (fn(u64) -> u64, fn() -> CacheInfo, Option<usize>);
    let cases: [Case; 5] = [
        (fib1, fib1::cache_info, Some(1)),
        (fib2, fib2::cache_info, Some(2)),
        (fib3, fib3::cache_info, Some(3)),
        (fib5, fib5::cache_info, Some(5)),
        (fib_none, fib_none::cache_info, None),
    ];
    for (fib, info, maxsize) in cases {
        let mut model = Model::new(maxsize);
        assert_eq!(fib(20), 6765);
        assert_eq!(model_fib(20, &mut model), 6765);
        assert_eq!(info(), model.info(), "maxsize {maxsize:?} after fib(20)");
        // Every fib(n) for n in 0..=20 afterwards: each call's counts as CPython's.
        for n in (0..=20).rev() {
            let value = fib(n);
            assert_eq!(model_fib(n, &mut model), value);
            assert_eq!(info(), model.info(), "maxsize {maxsize:?} after fib({n})");
        }
    }
    // With maxsize = 3, fib(n) finds fib(n - 2) that fib(n - 1) just stored: one miss per n.
    assert_eq!(fib3::cache_info().currsize, 3);
}

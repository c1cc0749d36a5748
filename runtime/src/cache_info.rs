//! The statistics and parameters a memoized function reports, printed as Python prints them.

use core::fmt;

/// Statistics of a memoized function's cache, as `functools.lru_cache`'s `cache_info()` gives.
///
/// `Display` prints exactly what Python prints:
///
/// ```
/// let info = py38::CacheInfo { hits: 88, misses: 91, maxsize: Some(128), currsize: 91 };
/// assert_eq!(info.to_string(), "CacheInfo(hits=88, misses=91, maxsize=128, currsize=91)");
/// let unbounded = py38::CacheInfo { maxsize: None, ..info };
/// assert_eq!(unbounded.to_string(), "CacheInfo(hits=88, misses=91, maxsize=None, currsize=91)");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub struct CacheInfo {
    /// Calls answered from the cache.
    pub hits: u64,
    /// Calls that ran the function body.
    pub misses: u64,
    /// The bound on stored results; `None` when unbounded (`maxsize = None`).
    pub maxsize: Option<usize>,
    /// Results stored now.
    pub currsize: usize,
}

impl fmt::Display for CacheInfo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "CacheInfo(hits={}, misses={}, maxsize=",
            self.hits, self.misses
        )?;
        match self.maxsize {
            Some(n) => write!(f, "{n}")?,
            None => f.write_str("None")?,
        }
        write!(f, ", currsize={})", self.currsize)
    }
}

/// The options a memoized function was declared with, as `cache_parameters()` gives them.
///
/// `Display` prints Python's dictionary (with `ttl` in seconds when one was given):
///
/// ```
/// use std::time::Duration;
/// let p = py38::CacheParameters { maxsize: Some(128), typed: false, ttl: None };
/// assert_eq!(p.to_string(), "{'maxsize': 128, 'typed': False}");
/// let q = py38::CacheParameters { ttl: Some(Duration::from_millis(1500)), ..p };
/// assert_eq!(q.to_string(), "{'maxsize': 128, 'typed': False, 'ttl': 1.5}");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct CacheParameters {
    /// The bound on stored results; `None` when unbounded.
    pub maxsize: Option<usize>,
    /// Whether `typed = true` was given. Rust keys are always typed (see the `memoize` docs),
    /// so this only records what was asked for.
    pub typed: bool,
    /// How long a result stays fresh (`ttl = ...`); `None` when forever.
    pub ttl: Option<core::time::Duration>,
}

impl fmt::Display for CacheParameters {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("{'maxsize': ")?;
        match self.maxsize {
            Some(n) => write!(f, "{n}")?,
            None => f.write_str("None")?,
        }
        let typed = if self.typed { "True" } else { "False" };
        write!(f, ", 'typed': {typed}")?;
        if let Some(ttl) = self.ttl {
            write!(f, ", 'ttl': {:?}", ttl.as_secs_f64())?;
        }
        f.write_str("}")
    }
}

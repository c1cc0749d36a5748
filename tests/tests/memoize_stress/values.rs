//! Results that count their copies, keys and results that panic, and the pure functions.

use std::any::Any;
use std::fmt;
use std::panic;
use std::sync::Once;
use std::sync::atomic::Ordering::Relaxed;
use std::sync::atomic::{AtomicBool, AtomicIsize, AtomicU64};

/// The pure function every memoized function computes, in one form or another.
pub(crate) fn reference(k: u64) -> u64 {
    k * 3 + 1
}

/// The text a result carries for key `k`.
fn text_of(k: u64) -> String {
    format!("value-{}", reference(k))
}

/// The key `k` as a `&str` argument.
pub(crate) fn key_text(k: u64) -> String {
    format!("key-{k}")
}

/// The key of a `&str` argument.
pub(crate) fn key_of(text: &str) -> u64 {
    text.strip_prefix("key-")
        .and_then(|k| k.parse().ok())
        .unwrap_or_else(|| panic!("not a key: {text:?}"))
}

/// Whether a fallible function fails for `k`.
pub(crate) fn fails(k: u64) -> bool {
    k % 7 == 6
}

/// The error a fallible function returns for `k`.
pub(crate) fn error_of(k: u64) -> String {
    format!("no value for {k}")
}

/// What one memoized function and its callers did: result copies alive now and at most, bodies
/// run, and the workers' operations on it.
pub(crate) struct Tally {
    pub(crate) live: AtomicIsize,
    pub(crate) peak: AtomicIsize,
    pub(crate) bodies: AtomicU64,
    pub(crate) calls: AtomicU64,
    pub(crate) invalidations: AtomicU64,
    pub(crate) clears: AtomicU64,
    pub(crate) panics: AtomicU64,
}

impl Tally {
    pub(crate) const fn new() -> Self {
        Tally {
            live: AtomicIsize::new(0),
            peak: AtomicIsize::new(0),
            bodies: AtomicU64::new(0),
            calls: AtomicU64::new(0),
            invalidations: AtomicU64::new(0),
            clears: AtomicU64::new(0),
            panics: AtomicU64::new(0),
        }
    }
    pub(crate) fn count(counter: &AtomicU64) {
        counter.fetch_add(1, Relaxed);
    }
}

impl fmt::Display for Tally {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "calls={} bodies={} invalidations={} clears={} caught_panics={} peak_live={} live={}",
            self.calls.load(Relaxed),
            self.bodies.load(Relaxed),
            self.invalidations.load(Relaxed),
            self.clears.load(Relaxed),
            self.panics.load(Relaxed),
            self.peak.load(Relaxed),
            self.live.load(Relaxed),
        )
    }
}

/// Counts itself in a [`Tally`] while it lives: one per copy of a result.
struct Live(&'static Tally);

impl Live {
    fn new(tally: &'static Tally) -> Self {
        let now = tally.live.fetch_add(1, Relaxed) + 1;
        if now > tally.peak.load(Relaxed) {
            tally.peak.fetch_max(now, Relaxed);
        }
        Live(tally)
    }
}

impl Clone for Live {
    fn clone(&self) -> Self {
        Live::new(self.0)
    }
}

impl Drop for Live {
    fn drop(&mut self) {
        self.0.live.fetch_sub(1, Relaxed);
    }
}

/// A result: derived from its key in three ways, each checked.
#[derive(Clone)]
pub(crate) struct Value {
    key: u64,
    text: String,
    payload: Vec<u64>,
    _live: Live,
}

impl Value {
    /// What a body returns for `k` (and counts as a run of the body).
    pub(crate) fn new(k: u64, payload_len: usize, tally: &'static Tally) -> Self {
        Tally::count(&tally.bodies);
        Value {
            key: k,
            text: text_of(k),
            payload: vec![reference(k); payload_len],
            _live: Live::new(tally),
        }
    }

    #[track_caller]
    pub(crate) fn check(&self, k: u64) {
        assert!(
            self.key == k
                && self.text == text_of(k)
                && self.payload.iter().all(|&x| x == reference(k)),
            "wrong result for key {k}: key {}, text {:?}, payload {:?}",
            self.key,
            self.text,
            self.payload.first()
        );
    }
}

/// Checks a fallible function's result for `k`.
#[track_caller]
pub(crate) fn check_fallible(k: u64, result: Result<Value, String>) {
    match result {
        Ok(value) if !fails(k) => value.check(k),
        Err(error) if fails(k) => assert_eq!(error, error_of(k)),
        other => panic!(
            "key {k}: expected {}, got {}",
            if fails(k) { "Err" } else { "Ok" },
            if other.is_ok() { "Ok" } else { "Err" }
        ),
    }
}

/// The start of every deliberate panic's message.
const BOMB: &str = "stress bomb";

/// Panics on every `every`th tick while armed: user code that fails now and then.
pub(crate) struct Bomb {
    pub(crate) what: &'static str,
    every: u64,
    ticks: AtomicU64,
    pub(crate) armed: AtomicBool,
    pub(crate) fired: AtomicU64,
}

impl Bomb {
    pub(crate) const fn new(what: &'static str, every: u64) -> Self {
        Bomb {
            what,
            every,
            ticks: AtomicU64::new(0),
            armed: AtomicBool::new(false),
            fired: AtomicU64::new(0),
        }
    }
    pub(crate) fn tick(&self) {
        if self.armed.load(Relaxed) && self.ticks.fetch_add(1, Relaxed).is_multiple_of(self.every) {
            self.fired.fetch_add(1, Relaxed);
            panic!("{BOMB}: {}", self.what);
        }
    }
}

/// Whether a caught panic is one of the [`Bomb`]s' (anything else is a failure).
pub(crate) fn is_bomb(payload: &(dyn Any + Send)) -> bool {
    let message = payload
        .downcast_ref::<String>()
        .map(String::as_str)
        .or_else(|| payload.downcast_ref::<&str>().copied());
    message.is_some_and(|m| m.starts_with(BOMB))
}

/// Keeps the bombs' panics off stderr (there are thousands); other panics print as usual.
pub(crate) fn quiet_bombs() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let default = panic::take_hook();
        panic::set_hook(Box::new(move |info| {
            if !info.payload_as_str().is_some_and(|m| m.starts_with(BOMB)) {
                default(info);
            }
        }));
    });
}

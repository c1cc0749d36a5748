//! Panics in user code: a result's Clone, a key's Hash, Eq and Clone, the body.

use std::hash::{Hash, Hasher};
use std::sync::atomic::Ordering::Relaxed;

use py38::memoize;

use crate::THREADS;
use crate::harness::Stress;
use crate::targets::{
    Cache, Target, assert_drained, cache, check_every_key, exercise, report, target,
};
use crate::values::{Bomb, Tally, Value};

static RESULT_CLONE_BOMB: Bomb = Bomb::new("the result's Clone", 101);
static KEY_HASH_BOMB: Bomb = Bomb::new("the key's Hash", 97);
static KEY_EQ_BOMB: Bomb = Bomb::new("the key's Eq", 89);
static KEY_CLONE_BOMB: Bomb = Bomb::new("the key's Clone", 83);
static BODY_BOMB: Bomb = Bomb::new("the body", 53);
static BOMBS: [&Bomb; 5] = [
    &RESULT_CLONE_BOMB,
    &KEY_HASH_BOMB,
    &KEY_EQ_BOMB,
    &KEY_CLONE_BOMB,
    &BODY_BOMB,
];

/// Arms or disarms every bomb.
fn arm_bombs(armed: bool) {
    for bomb in BOMBS {
        bomb.armed.store(armed, Relaxed);
    }
}

/// A result whose `Clone` panics now and then.
struct Fragile(Value);

impl Clone for Fragile {
    fn clone(&self) -> Self {
        RESULT_CLONE_BOMB.tick();
        Fragile(self.0.clone())
    }
}

/// A key whose `Hash`, `Eq` and `Clone` panic now and then.
struct Key(u64);

impl Hash for Key {
    fn hash<H: Hasher>(&self, state: &mut H) {
        KEY_HASH_BOMB.tick();
        self.0.hash(state);
    }
}

impl PartialEq for Key {
    fn eq(&self, other: &Self) -> bool {
        KEY_EQ_BOMB.tick();
        self.0 == other.0
    }
}

impl Eq for Key {}

impl Clone for Key {
    fn clone(&self) -> Self {
        KEY_CLONE_BOMB.tick();
        Key(self.0)
    }
}

static FRAGILE_BOUNDED: Tally = Tally::new();
static FRAGILE_UNBOUNDED: Tally = Tally::new();
static FRAGILE_EXPIRING: Tally = Tally::new();

/// What the `fragile_*` functions compute; the body's own bomb ticks first.
fn fragile(k: u64, tally: &'static Tally) -> Fragile {
    BODY_BOMB.tick();
    Fragile(Value::new(k, 4, tally))
}

#[memoize(maxsize = 8)]
fn fragile_bounded(key: Key) -> Fragile {
    fragile(key.0, &FRAGILE_BOUNDED)
}

#[memoize(maxsize = None)]
fn fragile_unbounded(key: &Key) -> Fragile {
    fragile(key.0, &FRAGILE_UNBOUNDED)
}

#[memoize(maxsize = 16, ttl = 0.002)]
fn fragile_expiring(key: Key) -> Fragile {
    fragile(key.0, &FRAGILE_EXPIRING)
}

/// Eight threads call a bounded, an unbounded (`&Key`) and an expiring function whose result's
/// `Clone`, key's `Hash`, `Eq` and `Clone`, and body each panic now and then; calls, clears and
/// invalidations are wrapped in `catch_unwind`. The only panics are the bombs' (no poisoned
/// lock, no broken invariant), every call that returns is right, and with the bombs disarmed
/// every key computes right and every value is dropped once cleared.
#[test]
fn panics_in_clone_hash_eq_and_the_body_break_nothing() {
    let stress = Stress::new("panics");
    let targets = [
        target!(
            fragile_bounded,
            keys = 24,
            FRAGILE_BOUNDED,
            call = |k| fragile_bounded(Key(k)).0.check(k),
            invalidate = |k| fragile_bounded::cache_invalidate(Key(k))
        ),
        target!(
            fragile_unbounded,
            keys = 24,
            FRAGILE_UNBOUNDED,
            call = |k| fragile_unbounded(&Key(k)).0.check(k),
            invalidate = |k| fragile_unbounded::cache_invalidate(&Key(k))
        ),
        target!(
            fragile_expiring,
            keys = 24,
            FRAGILE_EXPIRING,
            call = |k| fragile_expiring(Key(k)).0.check(k),
            invalidate = |k| fragile_expiring::cache_invalidate(Key(k))
        ),
    ];
    arm_bombs(true);
    let operations = stress.run("panics: workers", THREADS, |_, rng| exercise(&targets, rng));
    arm_bombs(false);
    println!("  {operations} operations on {THREADS} threads");
    for bomb in BOMBS {
        println!(
            "  {} panicked {} times",
            bomb.what,
            bomb.fired.load(Relaxed)
        );
    }
    stress.phase("panics: checking every key");
    check_every_key(&targets);
    report(&targets);
    let caught: u64 = targets
        .iter()
        .map(|t| t.cache.tally.panics.load(Relaxed))
        .sum();
    assert!(caught > 0, "no bomb went off: the test tested nothing");
    stress.phase("panics: draining");
    assert_drained(targets.iter().map(|t| t.cache), 0);
}

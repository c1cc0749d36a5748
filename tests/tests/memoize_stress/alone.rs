//! One thread calls, alone: the caches are biased to it and it takes their writer lock
//! without the mutex. Another thread, which never calls them, clears and counts them, and now
//! and then starts a thread that makes one call and ends: each revokes the bias (the first
//! thread is then not alone, until the short-lived one has ended).

use std::thread;

use py38::memoize;

use crate::harness::{Rng, Stress};
use crate::targets::{Cache, Target, assert_drained, cache, check_every_key, report, target};
use crate::values::{Tally, Value, key_of, key_text};

static ALONE_SMALL: Tally = Tally::new();
static ALONE_WORDS: Tally = Tally::new();

#[memoize(maxsize = 8)]
fn alone_small(k: u64) -> Value {
    Value::new(k, 4, &ALONE_SMALL)
}

#[memoize(maxsize = None)]
fn alone_words(text: &str) -> Value {
    Value::new(key_of(text), 1, &ALONE_WORDS)
}

/// A call on a random key of a random target, checked.
fn call_one(targets: &[Target], rng: &mut Rng) {
    let target = &targets[rng.below(targets.len() as u64) as usize];
    Tally::count(&target.cache.tally.calls);
    (target.call)(rng.below(target.keys));
}

#[test]
fn the_only_caller_misses_while_another_thread_clears_counts_and_joins() {
    let stress = Stress::new("alone");
    let targets = [
        target!(
            alone_small,
            keys = 64,
            ALONE_SMALL,
            call = |k| alone_small(k).check(k)
        ),
        target!(
            alone_words,
            keys = 4096,
            ALONE_WORDS,
            call = |k| alone_words(&key_text(k)).check(k),
            invalidate = |k| alone_words::cache_invalidate(&key_text(k))
        ),
    ];
    let iterations = stress.run("alone: one caller, one controller", 2, |worker, rng| {
        if worker == 0 {
            return call_one(&targets, rng);
        }
        let target = &targets[rng.below(targets.len() as u64) as usize];
        match rng.below(20) {
            0 => {
                let seed = rng.next_u64();
                let targets = &targets;
                thread::scope(|s| {
                    s.spawn(move || call_one(targets, &mut Rng::new(seed)));
                });
            }
            1..=4 => {
                Tally::count(&target.cache.tally.clears);
                (target.cache.clear)();
            }
            _ => {
                let info = (target.cache.info)();
                if let Some(maxsize) = info.maxsize {
                    assert!(info.currsize <= maxsize, "{}: {info}", target.cache.name);
                }
            }
        }
        thread::yield_now();
    });
    println!("  {iterations} iterations");
    stress.phase("alone: checking every key");
    check_every_key(&targets);
    report(&targets);
    stress.phase("alone: draining");
    assert_drained(targets.iter().map(|t| t.cache), 0);
}

//! What the async test allows, asked for without stress: a cleared `async fn` cache drops every
//! value.

use py38::memoize;

use crate::harness::Stress;
use crate::targets::{Cache, assert_drained, cache};
use crate::values::{Tally, Value};

static CLEARED_ASYNC: Tally = Tally::new();

#[memoize(maxsize = 4)]
async fn cleared_async(k: u64) -> Value {
    Value::new(k, 1, &CLEARED_ASYNC)
}

/// Ten results of an `async fn` through a cache of four (six evicted), one call at a time on one
/// thread, then `cache_clear()`: every copy is dropped, as for a plain `fn`
/// (`cache_clear_drops_every_result_before_it_returns`, in
/// `integration/memoize/threads_and_panics.rs`).
/// (A finished computation's entry in the table of computations under way, freed late and in
/// batches, kept its result: all ten stayed.)
#[test]
fn a_cleared_async_cache_drops_every_value() {
    let stress = Stress::new("cleared-async");
    futures_executor::block_on(async {
        for k in 0..10 {
            cleared_async(k).await.check(k);
        }
    });
    stress.phase("cleared-async: draining");
    assert_drained([cache!(cleared_async, CLEARED_ASYNC)], 0);
}

//! `#[track_caller]` through `#[memoize]`: on a miss, the body of a synchronous
//! `#[track_caller]` function sees its caller's location (and a panic in it reports it).
//! A hit returns the stored result, so it shows the location of the call that missed.

use std::cell::Cell;
use std::hash::Hash;
use std::num::ParseIntError;
use std::panic::{self, Location, catch_unwind};
use std::sync::Once;
use std::sync::atomic::{AtomicUsize, Ordering};

use py38::memoize;

#[memoize]
#[track_caller]
fn called_from(key: u32) -> (&'static str, u32) {
    let _ = key;
    let caller = Location::caller();
    (caller.file(), caller.line())
}

#[test]
fn the_body_of_a_free_function_sees_its_caller() {
    let (line, miss) = (line!(), called_from(1));
    assert_eq!(miss, (file!(), line));
    // A hit: the stored result, made by the call above.
    assert_eq!(called_from(1), (file!(), line));
    let (line, other) = (line!(), called_from(2));
    assert_eq!(other, (file!(), line));
}

#[test]
fn generic_functions_and_mut_parameters_keep_it() {
    #[memoize]
    #[track_caller]
    fn located<T: Hash + Eq + Clone, const N: usize>(mut steps: T) -> u32 {
        steps = steps.clone();
        drop(steps);
        Location::caller().line() + u32::try_from(N).unwrap_or(0)
    }
    let (line, miss) = (line!(), located::<u8, 0>(1));
    assert_eq!(miss, line);
    let (line, miss) = (line!(), located::<String, 1>("a".to_owned()));
    assert_eq!(miss, line + 1);
}

#[derive(Clone, Hash, PartialEq, Eq)]
struct Probe(u8);

impl Probe {
    #[memoize]
    #[track_caller]
    fn line_of(&self, key: u8) -> u32 {
        let _ = (self.0, key);
        Location::caller().line()
    }
}

#[memoize]
impl Probe {
    #[memoize]
    #[track_caller]
    fn line_for(key: u8) -> u32 {
        let _ = key;
        Location::caller().line()
    }
}

#[test]
fn methods_and_associated_functions_keep_it() {
    let (line, miss) = (line!(), Probe(1).line_of(2));
    assert_eq!(miss, line);
    assert_eq!(Probe(1).line_of(2), line, "a hit: the first caller's line");
    assert_eq!(Probe::line_of_cache_info().hits, 1);
    let (line, miss) = (line!(), Probe::line_for(3));
    assert_eq!(miss, line);
}

static PARSES: AtomicUsize = AtomicUsize::new(0);

#[memoize]
#[track_caller]
fn parse_here(text: &str) -> Result<(u32, u32), ParseIntError> {
    PARSES.fetch_add(1, Ordering::SeqCst);
    if text.is_empty() {
        return Ok((0, Location::caller().line()));
    }
    let n = text.parse()?;
    Ok((n, Location::caller().line()))
}

#[test]
fn return_and_question_mark_still_cache_ok_only() {
    let (line, empty) = (line!(), parse_here(""));
    assert_eq!(empty, Ok((0, line)));
    assert_eq!(parse_here(""), Ok((0, line)));
    assert_eq!(
        PARSES.load(Ordering::SeqCst),
        1,
        "an early `return` is stored"
    );
    assert!(parse_here("x").is_err());
    assert!(parse_here("x").is_err());
    assert_eq!(
        PARSES.load(Ordering::SeqCst),
        3,
        "an `Err` from `?` is not stored"
    );
    let (line, five) = (line!(), parse_here("5"));
    assert_eq!(five, Ok((5, line)));
    assert_eq!(parse_here("5"), Ok((5, line)));
    assert_eq!(PARSES.load(Ordering::SeqCst), 4);
}

thread_local! {
    static PANIC_LINE: Cell<Option<u32>> = const { Cell::new(None) };
}

/// Records this thread's panic locations; forwards to the previous hook, so that other
/// tests' panics still print.
fn record_panic_lines() {
    static HOOK: Once = Once::new();
    HOOK.call_once(|| {
        let previous = panic::take_hook();
        panic::set_hook(Box::new(move |info| {
            PANIC_LINE.set(info.location().map(Location::line));
            previous(info);
        }));
    });
}

#[test]
fn a_panic_in_the_body_reports_the_caller() {
    #[memoize]
    #[track_caller]
    fn half(n: u64) -> u64 {
        assert!(n.is_multiple_of(2), "{n} is odd");
        n / 2
    }
    record_panic_lines();
    let (line, result) = (line!(), catch_unwind(|| half(3)));
    assert!(result.is_err());
    assert_eq!(PANIC_LINE.get(), Some(line));
    assert_eq!(half(4), 2);
}

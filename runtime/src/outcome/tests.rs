use super::*;

mod aliased {
    pub(super) type Answer<T> = Result<T, String>;
    pub(super) use core::result::Result as Renamed;
}

fn stored_of<O: Outcome>(outcome: O, result: &O::Result) -> Option<&O::Stored> {
    outcome.stored(result)
}

#[test]
fn a_result_under_any_name_keeps_only_ok() {
    let outcome = Probe::<aliased::Answer<u8>>::new().outcome();
    assert_eq!(stored_of(outcome, &Ok(3)), Some(&3));
    assert_eq!(stored_of(outcome, &Err("no".to_owned())), None);
    assert_eq!(outcome.hit(4), Ok(4));

    let renamed = Probe::<aliased::Renamed<u8, ()>>::new().outcome();
    assert_eq!(stored_of(renamed, &Err(())), None);
    let io = Probe::<std::io::Result<u8>>::new().outcome();
    assert!(stored_of(io, &Err(std::io::Error::other("x"))).is_none());
}

#[test]
fn other_types_are_kept_whole() {
    let outcome = Probe::<Option<u8>>::new().outcome();
    assert_eq!(stored_of(outcome, &None), Some(&None));
    assert_eq!(outcome.hit(Some(1)), Some(1));
}

/// A type parameter is still unknown where the choice is made: kept whole.
fn generic_outcome<T>() -> Whole<T> {
    Probe::<T>::new().outcome()
}

#[test]
fn a_type_parameter_is_kept_whole_even_when_it_is_a_result() {
    let outcome = generic_outcome::<Result<u8, ()>>();
    assert_eq!(stored_of(outcome, &Err(())), Some(&Err(())));
}

use super::*;
use proptest::prelude::*;

/// What an index is asked to do, by a payload's number (a payload `p` has hash `hash_of(p)`).
#[derive(Clone, Debug)]
enum Op {
    Insert(u64),
    Remove(u64),
    /// The payload `p` swapped for `p + 115` (of the same hash), in its place.
    Replace(u64),
    Drain,
}

/// Few distinct hashes, most with the same low bits: long probes, runs round the table's end,
/// and several payloads of one hash.
fn hash_of(payload: u64) -> u64 {
    let hash = payload % 23;
    hash.wrapping_mul(0x9E37_79B9_0000_0000) | (hash % 5) | 0xFFFF_FFF0
}

impl Payload for u64 {
    const TAGGED: bool = false;

    fn hash(self) -> u64 {
        hash_of(self)
    }
}

/// A payload of an index with tags.
#[derive(Clone, Copy, PartialEq, Debug)]
struct Tagged(u64);

impl Payload for Tagged {
    const TAGGED: bool = true;

    fn hash(self) -> u64 {
        hash_of(self.0)
    }
}

/// A payload made from its number, for the model tests: with tags and without.
trait Numbered: Payload + core::fmt::Debug {
    fn of(number: u64) -> Self;
    fn number(self) -> u64;
}

impl Numbered for u64 {
    fn of(number: u64) -> Self {
        number
    }

    fn number(self) -> u64 {
        self
    }
}

impl Numbered for Tagged {
    fn of(number: u64) -> Self {
        Tagged(number)
    }

    fn number(self) -> u64 {
        self.0
    }
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => (0u64..60).prop_map(Op::Insert),
        3 => (0u64..60).prop_map(Op::Remove),
        1 => (0u64..60).prop_map(Op::Replace),
        1 => Just(Op::Drain),
    ]
}

/// The position of the payload numbered `payload`, found by its hash.
fn position<P: Numbered>(index: &Index<P>, payload: u64) -> Option<usize> {
    index
        .find(hash_of(payload), |p| p == P::of(payload))
        .map(|(at, _)| at)
}

/// Runs `ops` on an index and on a list of the payloads it should hold: every payload is found
/// by its hash, and only by it. `P`: the payloads (of an index with tags, or without).
fn check_against_a_list<P: Numbered>(
    ops: impl IntoIterator<Item = Op>,
) -> Result<(), TestCaseError> {
    let mut index = Index::<P>::new();
    let mut model: Vec<u64> = Vec::new();
    // Under Miri, which is slow, every payload is looked for after every tenth operation.
    let every = if cfg!(miri) { 10 } else { 1 };
    for (n, op) in ops.into_iter().enumerate() {
        match op {
            Op::Insert(p) if !model.contains(&p) => {
                index.insert(hash_of(p), P::of(p), 4);
                model.push(p);
            }
            Op::Insert(_) => {}
            Op::Remove(p) => {
                if let Some(at) = position(&index, p) {
                    prop_assert_eq!(index.remove_at(at).number(), p);
                    model.retain(|&q| q != p);
                }
            }
            Op::Replace(p) => {
                // `p + 115` has the same hash as `p`.
                if let Some(at) = position(&index, p)
                    && hash_of(p + 115) == hash_of(p)
                    && !model.contains(&(p + 115))
                {
                    prop_assert_eq!(index.replace_at(at, P::of(p + 115)).number(), p);
                    model.retain(|&q| q != p);
                    model.push(p + 115);
                }
            }
            Op::Drain => {
                let mut drained = Vec::new();
                index.drain(|hash, p| drained.push((hash, p.number())));
                drained.sort_unstable();
                let mut expected: Vec<_> = model.iter().map(|&p| (hash_of(p), p)).collect();
                expected.sort_unstable();
                prop_assert_eq!(drained, expected);
                model.clear();
            }
        }
        prop_assert_eq!(index.len(), model.len());
        if n % every != 0 {
            continue;
        }
        for p in 0..200 {
            prop_assert_eq!(
                position(&index, p).is_some(),
                model.contains(&p),
                "payload {}",
                p
            );
        }
    }
    Ok(())
}

proptest! {
    #[test]
    #[cfg_attr(miri, ignore)] // proptest reads the working directory, which Miri refuses
    fn an_index_finds_what_a_list_holds(
        ops in proptest::collection::vec(op(), 0..300),
        tagged in any::<bool>(),
    ) {
        if tagged {
            check_against_a_list::<Tagged>(ops)?;
        } else {
            check_against_a_list::<u64>(ops)?;
        }
    }
}

/// [`an_index_finds_what_a_list_holds`] for one sequence of operations, drawn from a fixed
/// seed: for Miri, which checks the unchecked indexing.
#[test]
fn an_index_finds_what_a_list_holds_in_one_run() {
    let mut seed = 0x2545_F491_4F6C_DD1Du64;
    let mut next = |below: u64| {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed % below
    };
    let ops: Vec<Op> = (0..if cfg!(miri) { 300 } else { 3000 })
        .map(|_| match next(10) {
            0..=4 => Op::Insert(next(60)),
            5..=7 => Op::Remove(next(60)),
            8 => Op::Replace(next(60)),
            _ if next(4) == 0 => Op::Drain,
            _ => Op::Insert(next(60)),
        })
        .collect();
    check_against_a_list::<u64>(ops.clone()).unwrap();
    check_against_a_list::<Tagged>(ops).unwrap();
}

#[test]
fn each_lists_every_payload_of_a_hash() {
    let mut index = Index::<u64>::new();
    for p in 0..40 {
        index.insert(hash_of(p), p, 0);
    }
    let mut of_seven = Vec::new();
    index.each(hash_of(7), |p| of_seven.push(p));
    of_seven.sort_unstable();
    assert_eq!(of_seven, [7, 30]);
    assert!(index.first(1).is_none(), "a hash never inserted");
}

#[test]
fn a_drained_index_keeps_its_table() {
    let mut index = Index::<u64>::new();
    for p in 0..100 {
        index.insert(hash_of(p), p, 0);
    }
    let slots = index.slots.len();
    let mut drained = Vec::new();
    index.drain(|_, p| drained.push(p));
    drained.sort_unstable();
    assert_eq!(drained, (0..100).collect::<Vec<_>>());
    assert_eq!((index.len(), index.slots.len()), (0, slots));
    assert!(index.first(hash_of(3)).is_none());
    index.insert(hash_of(3), 3, 0);
    assert_eq!(index.first(hash_of(3)).map(|(_, p)| p), Some(3));
}

/// A table past [`KEPT_BY_DRAIN`] slots is let go by a drain: the memory a burst of results
/// took is given back.
#[test]
#[cfg_attr(miri, ignore)] // many insertions, and nothing unsafe that the others do not reach
fn a_drained_index_lets_a_large_table_go() {
    /// A payload whose hashes spread over the table.
    #[derive(Clone, Copy, PartialEq)]
    struct Spread(u64);
    impl Payload for Spread {
        const TAGGED: bool = true; // a large table's tags are let go too

        fn hash(self) -> u64 {
            self.0.wrapping_mul(0x9E37_79B9_7F4A_7C15)
        }
    }
    let mut index = Index::<Spread>::new();
    for p in 0..(KEPT_BY_DRAIN as u64) {
        index.insert(Spread(p).hash(), Spread(p), 0);
    }
    assert!(index.slots.len() > KEPT_BY_DRAIN);
    let mut drained = 0;
    index.drain(|_, _| drained += 1);
    assert_eq!((drained, index.slots.len()), (KEPT_BY_DRAIN, 0));
    index.insert(Spread(7).hash(), Spread(7), 0);
    assert!(
        index
            .first(Spread(7).hash())
            .is_some_and(|(_, p)| p == Spread(7))
    );
}

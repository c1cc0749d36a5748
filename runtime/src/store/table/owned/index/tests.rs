use super::*;
use proptest::prelude::*;

/// What an index is asked to do, by a payload's number (a payload `p` has hash `hash_of(p)`).
#[derive(Clone, Debug)]
enum Op {
    Insert(u64),
    Touch(u64),
    /// A touch, then its undoing: as if neither happened.
    TouchUndone(u64),
    Remove(u64),
    RekeyOldest(u64),
    Replace(u64),
    Drain,
}

/// Few distinct hashes, most with the same low bits: long probes, runs round the table's end,
/// and several payloads of one hash.
fn hash_of(payload: u64) -> u64 {
    let hash = payload % 23;
    hash.wrapping_mul(0x9E37_79B9_0000_0000) | (hash % 5) | 0xFFFF_FFF0
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => (0u64..60).prop_map(Op::Insert),
        2 => (0u64..60).prop_map(Op::Touch),
        1 => (0u64..60).prop_map(Op::TouchUndone),
        2 => (0u64..60).prop_map(Op::Remove),
        1 => (60u64..90).prop_map(Op::RekeyOldest),
        1 => (0u64..60).prop_map(Op::Replace),
        1 => Just(Op::Drain),
    ]
}

/// The link of `payload`, found by its hash.
fn link_of(index: &Index<u64>, payload: u64) -> Option<LinkId> {
    index
        .find(hash_of(payload), |p| p == payload)
        .map(|(link, _)| link)
}

/// Runs `ops` on an index and on a list of the payloads from the least recently used: every
/// payload is found by its hash, and only by it; the order of use is the model's.
fn check_against_a_list(ops: impl IntoIterator<Item = Op>) -> Result<(), TestCaseError> {
    let mut index = Index::<u64>::new(true);
    let mut model: Vec<u64> = Vec::new(); // oldest first
    for op in ops {
        match op {
            Op::Insert(p) if !model.contains(&p) => {
                index.insert(hash_of(p), p, 4);
                model.push(p);
            }
            Op::Touch(p) => {
                if let Some(link) = link_of(&index, p) {
                    index.touch(link);
                    model.retain(|&q| q != p);
                    model.push(p);
                }
            }
            Op::TouchUndone(p) => {
                if let Some(link) = link_of(&index, p) {
                    index.touch(link);
                    index.undo_touch(link);
                }
            }
            Op::Remove(p) => {
                if let Some(link) = link_of(&index, p) {
                    prop_assert_eq!(index.remove(link), p);
                    model.retain(|&q| q != p);
                }
            }
            Op::RekeyOldest(p) if !model.contains(&p) => {
                let moved = index.rekey_oldest(hash_of(p));
                if model.is_empty() {
                    prop_assert!(moved.is_none());
                } else {
                    let old = model.remove(0);
                    prop_assert_eq!(moved, Some((old, hash_of(old))));
                    // The link now holds `old` under `p`'s hash: give it `p`.
                    let (link, _) = index.find(hash_of(p), |q| q == old).unwrap();
                    prop_assert_eq!(index.replace(link, p), old);
                    model.push(p);
                }
            }
            Op::Replace(p) => {
                // A payload for itself: the link stays, the order too.
                if let Some(link) = link_of(&index, p) {
                    prop_assert_eq!(index.replace(link, p), p);
                }
            }
            Op::Drain => {
                let mut drained = Vec::new();
                index.drain(|hash, p| drained.push((hash, p)));
                let expected: Vec<_> = model.iter().map(|&p| (hash_of(p), p)).collect();
                prop_assert_eq!(drained, expected);
                model.clear();
            }
            Op::Insert(_) | Op::RekeyOldest(_) => {}
        }
        prop_assert_eq!(index.len(), model.len());
        for p in 0..90 {
            prop_assert_eq!(
                link_of(&index, p).is_some(),
                model.contains(&p),
                "payload {}",
                p
            );
        }
        let oldest = index.oldest().map(|(_, hash, p)| (hash, p));
        prop_assert_eq!(oldest, model.first().map(|&p| (hash_of(p), p)));
    }
    Ok(())
}

proptest! {
    #[test]
    #[cfg_attr(miri, ignore)] // proptest reads the working directory, which Miri refuses
    fn an_index_finds_and_orders_as_a_list_would(ops in proptest::collection::vec(op(), 0..300)) {
        check_against_a_list(ops)?;
    }
}

/// [`an_index_finds_and_orders_as_a_list_would`] for one sequence of operations, drawn from a
/// fixed seed: for Miri, which checks the unchecked indexing.
#[test]
fn an_index_finds_and_orders_as_a_list_would_in_one_run() {
    let mut seed = 0x2545_F491_4F6C_DD1Du64;
    let mut next = |below: u64| {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed % below
    };
    let ops: Vec<Op> = (0..if cfg!(miri) { 300 } else { 3000 })
        .map(|_| match next(12) {
            0..=3 => Op::Insert(next(60)),
            4..=5 => Op::Touch(next(60)),
            11 => Op::TouchUndone(next(60)),
            6..=7 => Op::Remove(next(60)),
            8 => Op::RekeyOldest(60 + next(30)),
            9 => Op::Replace(next(60)),
            _ if next(4) == 0 => Op::Drain,
            _ => Op::Insert(next(60)),
        })
        .collect();
    check_against_a_list(ops).unwrap();
}

/// A touch is undone only if it was the latest move: after another, the order stands.
#[test]
fn a_touch_is_undone_only_if_nothing_moved_since() {
    let mut index = Index::<u64>::new(true);
    let links: Vec<LinkId> = (0..4).map(|p| index.insert(hash_of(p), p, 4)).collect();
    index.touch(links[1]); // 0, 2, 3, 1
    index.touch(links[2]); // 0, 3, 1, 2
    index.undo_touch(links[1]); // not the latest move: nothing
    index.undo_touch(links[2]); // the latest: 0, 2, 3, 1 again
    index.undo_touch(links[2]); // undone already: nothing
    let mut order = Vec::new();
    index.drain(|_, p| order.push(p));
    assert_eq!(order, [0, 2, 3, 1]);
}

#[test]
fn each_lists_every_payload_of_a_hash() {
    let mut index = Index::<u64>::new(false);
    for p in 0..40 {
        index.insert(hash_of(p), p, 0);
    }
    let mut of_seven = Vec::new();
    index.each(hash_of(7), |_, p| of_seven.push(p));
    of_seven.sort_unstable();
    assert_eq!(of_seven, [7, 30]);
    assert!(index.first(1).is_none(), "a hash never inserted");
}

#[test]
fn an_unordered_index_drains_every_payload_and_keeps_its_table() {
    let mut index = Index::<u64>::new(false);
    for p in 0..100 {
        index.insert(hash_of(p), p, 0);
    }
    let slots = index.slots.len();
    let mut drained = Vec::new();
    index.drain(|_, p| drained.push(p));
    drained.sort_unstable();
    assert_eq!(drained, (0..100).collect::<Vec<_>>());
    assert_eq!((index.len(), index.slots.len()), (0, slots));
    assert!(index.oldest().is_none() && index.first(hash_of(3)).is_none());
    index.insert(hash_of(3), 3, 0);
    assert_eq!(index.first(hash_of(3)).map(|(_, p)| p), Some(3));
}

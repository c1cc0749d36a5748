use super::*;
use proptest::prelude::*;

proptest! {
    /// Pops come out oldest first, whatever order the pushes came in.
    #[test]
    fn pops_come_oldest_first(ops in proptest::collection::vec(proptest::option::of(0u64..50), 0..200)) {
        let mut recency = Recency::new();
        let mut model = Vec::new();
        for (i, op) in ops.into_iter().enumerate() {
            match op {
                Some(stamp) => {
                    recency.push(stamp, i as u64);
                    model.push(stamp);
                }
                None => {
                    model.sort_unstable_by(|a, b| b.cmp(a));
                    prop_assert_eq!(recency.pop().map(|(stamp, _)| stamp), model.pop());
                }
            }
            prop_assert_eq!(recency.len(), model.len());
        }
    }
}

use super::{Occupied, TRACKED_UP_TO};

#[test]
fn drain_each_hands_out_the_set_slots_in_order_and_forgets_them() {
    let mut occupied = Occupied::new(512);
    for index in [0, 63, 64, 200, 511, 7, 63] {
        occupied.set(index);
    }
    assert_eq!(occupied.is_set(63), Some(true));
    assert_eq!(occupied.is_set(201), Some(false));
    assert_eq!(drained(&mut occupied), Some(vec![0, 7, 63, 64, 200, 511]));
    assert_eq!(drained(&mut occupied), Some(vec![]));
}

#[test]
fn a_large_table_is_not_tracked_and_drain_each_leaves_the_walk_to_its_caller() {
    let capacity = TRACKED_UP_TO * 2;
    let mut occupied = Occupied::new(capacity);
    occupied.set(5);
    assert_eq!(occupied.is_set(5), None);
    assert_eq!(drained(&mut occupied), None);
}

/// The slots `drain_each` hands out, or `None` if it leaves the walk to its caller.
fn drained(occupied: &mut Occupied) -> Option<Vec<usize>> {
    let mut slots = Vec::new();
    occupied
        .drain_each(|index| slots.push(index))
        .then_some(slots)
}

use super::{Occupied, TRACKED_UP_TO};

#[test]
fn drain_hands_out_the_set_slots_in_order_and_forgets_them() {
    let mut occupied = Occupied::new(512);
    for index in [0, 63, 64, 200, 511, 7] {
        occupied.set(index);
    }
    occupied.unset(200);
    assert_eq!(occupied.is_set(63), Some(true));
    assert_eq!(occupied.is_set(200), Some(false));
    let drained: Vec<usize> = occupied.drain().collect();
    assert_eq!(drained, [0, 7, 63, 64, 511]);
    assert_eq!(occupied.drain().count(), 0);
}

#[test]
fn a_large_table_is_not_tracked_and_drains_every_slot() {
    let capacity = TRACKED_UP_TO * 2;
    let mut occupied = Occupied::new(capacity);
    occupied.set(5);
    occupied.unset(6);
    assert_eq!(occupied.is_set(5), None);
    assert!(occupied.drain().eq(0..capacity));
}

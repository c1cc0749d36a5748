use super::Occupied;

#[test]
fn drain_hands_out_the_set_slots_in_order_and_forgets_them() {
    let mut occupied = Occupied::new(512);
    for index in [0, 63, 64, 200, 511, 7] {
        occupied.set(index);
    }
    occupied.unset(200);
    let drained: Vec<usize> = occupied.drain().collect();
    assert_eq!(drained, [0, 7, 63, 64, 511]);
    assert_eq!(occupied.drain().count(), 0);
}

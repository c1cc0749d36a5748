use super::*;
use core::hash::BuildHasher;

fn hash_of<T: Hash + ?Sized>(value: &T) -> u64 {
    rustc_hash::FxBuildHasher.hash_one(value)
}

#[test]
fn borrowed_and_owned_forms_hash_alike() {
    let name = "Ada Lovelace";
    let n = 36u64;
    let key = (Borrowed(name), Owned(&n));
    let owned = key.to_owned_key();
    assert_eq!(owned, (String::from(name), 36));
    assert_eq!(hash_of(&key), hash_of(&owned));
    assert!(key.matches(&owned));
    assert!(!(Borrowed("Ada"), Owned(&n)).matches(&owned));
}

#[test]
fn slices_are_stored_as_vectors() {
    let items: &[u8] = &[1, 2, 3];
    let key = (Borrowed(items),);
    assert_eq!(key.to_owned_key(), (vec![1u8, 2, 3],));
    assert_eq!(hash_of(&key), hash_of(&key.to_owned_key()));
}

#[test]
fn the_empty_key_matches_itself() {
    assert!(().matches(&()));
}

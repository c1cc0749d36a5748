use super::*;
use crate::key::borrowed;

#[test]
fn a_probe_and_its_stored_key_hash_alike_through_the_map() {
    let text = "some key";
    let hash = hash_of(&(borrowed(text),));
    let probe = Probe {
        hash,
        key: &(borrowed(text),),
    };
    let stored = Hashed {
        hash,
        key: (String::from(text),),
    };
    assert_eq!(PassThrough.hash_one(&probe), PassThrough.hash_one(&stored));
    assert_eq!(hash, hash_of(&stored.key));
    assert!(papaya::Equivalent::equivalent(&probe, &stored));
}

use super::{decode, encode};

#[test]
fn values_round_trip_and_borrowed_keys_encode_as_owned_ones() {
    let key = encode(&(&7_u32, &"text")).unwrap();
    assert_eq!(key, encode(&(7_u32, String::from("text"))).unwrap());
    let value: (u32, String) = decode(&key).unwrap();
    assert_eq!(value, (7, "text".to_owned()));
    let nested = encode(&Some(vec![1.5_f64, -2.0])).unwrap();
    assert_eq!(
        decode::<Option<Vec<f64>>>(&nested).unwrap(),
        Some(vec![1.5, -2.0])
    );
}

#[test]
fn arguments_appended_one_by_one_encode_their_tuple() {
    let parts = super::append(&"text", super::append(&7_u32, super::key_start()).unwrap());
    assert_eq!(parts.unwrap(), encode(&(7_u32, "text")).unwrap());
}

#[test]
fn foreign_bytes_are_an_error_not_a_panic() {
    assert!(decode::<u32>(&[]).is_err());
    assert!(
        decode::<u32>(&[9, 1, 2])
            .unwrap_err()
            .to_string()
            .contains("format 9")
    );
    // A string where a number was stored: the types of two builds disagree.
    let text = encode("not a number at all").unwrap();
    assert!(decode::<(u64, u64, u64)>(&text[..3]).is_err());
    assert!(decode::<bool>(&encode(&7_u8).unwrap()).is_err());
    // Read as a number, a string's length would be a valid value: its text is left over.
    assert!(decode::<u64>(&encode("text").unwrap()).is_err());
}

//! How keys and results are written: [postcard]'s compact serde format (stable since its 1.0),
//! after one byte that names the format, so that a later format can tell old entries apart
//! instead of misreading them.
//!
//! Borrowed and owned forms encode alike (`&str` as `String`, `&[T]` as `Vec<T>`), so a key
//! can be encoded from the arguments as passed, without cloning them.

use serde::Serialize;
use serde::de::DeserializeOwned;

use super::StoreError;

/// The first byte of every encoded key and value: postcard 1.x.
const FORMAT: u8 = 1;

/// `value`, encoded.
///
/// # Errors
/// When `value`'s `Serialize` implementation fails.
pub fn encode<T: Serialize + ?Sized>(value: &T) -> Result<Vec<u8>, StoreError> {
    append(value, vec![FORMAT])
}

/// A key's first bytes, before its parts (see [`append`]).
#[must_use]
pub fn key_start() -> Vec<u8> {
    vec![FORMAT]
}

/// `bytes` followed by `value`'s encoding. A tuple encodes as its fields one after the other,
/// so appending each argument in turn encodes the tuple of the arguments.
///
/// # Errors
/// When `value`'s `Serialize` implementation fails.
pub fn append<T: Serialize + ?Sized>(value: &T, bytes: Vec<u8>) -> Result<Vec<u8>, StoreError> {
    postcard::to_extend(value, bytes)
        .map_err(|error| StoreError::new(format_args!("cannot encode: {error}")))
}

/// The value `bytes` encode.
///
/// # Errors
/// When `bytes` are not a value of type `T` in this format (a foreign or damaged entry).
pub fn decode<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, StoreError> {
    match bytes.split_first() {
        Some((&FORMAT, rest)) => match postcard::take_from_bytes(rest) {
            // Bytes left over: the entry was written as another type.
            Ok((value, [])) => Ok(value),
            Ok((_, left)) => Err(StoreError::new(format_args!(
                "a stored value has {} bytes more than its type reads",
                left.len()
            ))),
            Err(error) => Err(StoreError::new(format_args!(
                "cannot decode a stored value: {error}"
            ))),
        },
        Some((other, _)) => Err(StoreError::new(format_args!(
            "a stored value has format {other}, this build reads format {FORMAT}"
        ))),
        None => Err(StoreError::new("a stored value is empty")),
    }
}

#[cfg(test)]
mod tests {
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
}

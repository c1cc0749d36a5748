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
pub(super) fn encode<T: Serialize + ?Sized>(value: &T) -> Result<Vec<u8>, StoreError> {
    append(value, vec![FORMAT])
}

/// A key's first bytes, before its parts (see [`append`]).
#[must_use]
pub(super) fn key_start() -> Vec<u8> {
    vec![FORMAT]
}

/// `bytes` followed by `value`'s encoding. A tuple encodes as its fields one after the other,
/// so appending each argument in turn encodes the tuple of the arguments.
///
/// # Errors
/// When `value`'s `Serialize` implementation fails.
pub(super) fn append<T: Serialize + ?Sized>(
    value: &T,
    bytes: Vec<u8>,
) -> Result<Vec<u8>, StoreError> {
    postcard::to_extend(value, bytes)
        .map_err(|error| StoreError::new(format_args!("cannot encode: {error}")))
}

/// The value `bytes` encode.
///
/// # Errors
/// When `bytes` are not a value of type `T` in this format (a foreign or damaged entry).
pub(super) fn decode<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, StoreError> {
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
mod tests;

//! What a store contributes to the expansion of `#[memoize]`: the parts of the memoized
//! function and of its controls that differ between the in-memory cache (`memory.rs`) and a
//! store that outlives the process (`persist.rs`).

use proc_macro2::TokenStream;
use syn::Signature;

use super::controls::Cache;

/// One store's parts of the expansion.
pub(crate) struct Variation {
    /// The line the memoized function's docs end with: what is kept, where, and the controls.
    pub(crate) doc: String,
    /// The memoized function's signature, with the bounds the store needs.
    pub(crate) sig: Signature,
    /// The memoized function's body: look the arguments up, run the user's body on a miss.
    pub(crate) body: TokenStream,
    /// The cache the controls reach, and the controls' docs.
    pub(crate) cache: Cache,
    /// `.invalidate(..)`: the call on the cache that removes the entry of the arguments.
    pub(crate) invalidate: TokenStream,
}

//! The paths generated code names the runtime by. Every path is absolute, from `::py38`, so
//! that no name of the user's can shadow it; `__private` holds what generated code calls and
//! users do not.

use proc_macro2::{Span, TokenStream};
use quote::{quote, quote_spanned};

/// `::py38::__private`.
pub(crate) fn private() -> TokenStream {
    quote!(::py38::__private)
}

/// `::py38::__private`, spanned at `span`: in code whose errors are reported there.
pub(crate) fn private_at(span: Span) -> TokenStream {
    quote_spanned!(span=> ::py38::__private)
}

/// `::py38::__private::signature`: what `#[signature]` and `call!` generate code against.
pub(crate) fn signature() -> TokenStream {
    quote!(::py38::__private::signature)
}

/// `::py38::__private::signature`, spanned at `span`.
pub(crate) fn signature_at(span: Span) -> TokenStream {
    quote_spanned!(span=> ::py38::__private::signature)
}

/// `::py38::__private::persist`: the stores that outlive the process.
pub(crate) fn persist() -> TokenStream {
    quote!(::py38::__private::persist)
}

/// `::py38::__private::persist`, spanned at `span`.
pub(crate) fn persist_at(span: Span) -> TokenStream {
    quote_spanned!(span=> ::py38::__private::persist)
}

/// `::py38::__private::limits`, spanned at `span`: the const fns that take `maxsize` and
/// `ttl` given as constants.
pub(crate) fn limits_at(span: Span) -> TokenStream {
    quote_spanned!(span=> ::py38::__private::limits)
}

/// `py38::CacheInfo`, as code text (see `text.rs`).
pub(crate) const CACHE_INFO: &str = "::py38::CacheInfo";

/// `py38::CacheParameters`, as code text (see `text.rs`).
pub(crate) const CACHE_PARAMETERS: &str = "::py38::CacheParameters";

/// `py38::__private::Registry`, the in-memory cache's type, as code text.
pub(crate) const REGISTRY: &str = "::py38::__private::Registry";

/// `py38::__private::UnboundedRegistry`, the in-memory cache's type for `maxsize = None`
/// without `ttl`, as code text.
pub(crate) const UNBOUNDED_REGISTRY: &str = "::py38::__private::UnboundedRegistry";

/// `py38::__private::persist::Persistent`, a persistent cache's type, as code text.
pub(crate) const PERSISTENT: &str = "::py38::__private::persist::Persistent";

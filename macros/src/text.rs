//! Generated code written as text and handed to the compiler's lexer in one piece.
//!
//! The parts of an expansion that are the same text at every use (the controls' bodies, their
//! doc attributes, paths into the runtime) hold no token of the user's, so no span of theirs
//! either: `quote!` would give each token [`Span::call_site`](proc_macro2::Span::call_site),
//! and so does the compiler's lexer. Built with `quote!`, such a part is a few dozen calls
//! across the bridge to the compiler (one per group and per stream spliced in), each made by
//! the macro's unoptimized code in a debug build; lexed, it is one, and the lexing runs in the
//! optimized compiler. A macro runs once per definition at every rebuild, so this is where
//! its time goes.
//!
//! ```text
//! text::tokens("fn cache_clear() { Self::__py38_cache().clear(); }")
//! ```
//! is the same tokens, spans included, as
//! ```text
//! quote!(fn cache_clear() { Self::__py38_cache().clear(); })
//! ```

use proc_macro2::TokenStream;

/// `text` lexed into tokens, each spanned at the macro's call site, as `quote!` spans them.
///
/// Panics if `text` is not valid tokens (unbalanced delimiters, an unterminated literal): the
/// text is the macro's own, never the user's.
pub(crate) fn tokens(text: &str) -> TokenStream {
    if proc_macro::is_available() {
        // The compiler's lexer, without proc_macro2's check of the text by its own lexer
        // first (the text is the macro's, known to lex).
        let lexed: proc_macro::TokenStream = text
            .parse()
            .unwrap_or_else(|_| panic!("generated code does not lex: {text}"));
        lexed.into()
    } else {
        // Outside the compiler (the macros' unit tests, snapshots): proc_macro2's lexer.
        text.parse()
            .unwrap_or_else(|_| panic!("generated code does not lex: {text}"))
    }
}

/// `#[doc = "..."]` for the line `doc`, as `quote!(#[doc = #doc])` makes it.
pub(crate) fn doc_attribute(doc: &str) -> String {
    // `{:?}` writes a string literal the lexer reads back as `doc`.
    format!("#[doc = {doc:?}]")
}

#[cfg(test)]
mod tests {
    use quote::quote;

    use super::*;

    #[test]
    fn text_lexes_into_the_tokens_quote_makes() {
        let text = "fn cache_clear() { Self::__py38_cache().clear(); } ::py38::CacheInfo";
        let quoted = quote! {
            fn cache_clear() { Self::__py38_cache().clear(); } ::py38::CacheInfo
        };
        assert_eq!(tokens(text).to_string(), quoted.to_string());
    }

    #[test]
    fn a_doc_attribute_reads_back_as_its_line() {
        let line = " Hits of `f`, \"quoted\", a \\ and \u{e9}.";
        assert_eq!(
            tokens(&doc_attribute(line)).to_string(),
            quote!(#[doc = #line]).to_string()
        );
    }
}

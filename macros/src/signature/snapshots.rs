//! Expansion snapshots: what `cargo expand` shows for `#[signature]`.
//! Review changes like code; re-bless with `INSTA_UPDATE=always cargo test -p py38-macros`.

use proc_macro2::TokenStream;
use quote::quote;

fn expand(args: TokenStream, item: TokenStream) -> String {
    let tokens = super::signature(args, item);
    prettyplease::unparse(&syn::parse2(tokens).expect("the expansion parses as a file"))
}

#[test]
fn definition() {
    insta::assert_snapshot!(expand(
        quote!(a, b, /, c, d = 4, *, e, f = 6),
        quote! {
            /// Python's `def f(a, b, /, c, d=4, *, e, f=6)`.
            pub fn f(a: i64, b: i64, c: i64, d: i64, e: i64, f: i64) -> i64 {
                a + b + c + d + e + f
            }
        }
    ));
}

#[test]
fn generic_borrowing_async() {
    insta::assert_snapshot!(expand(
        quote!(name, greeting = "Hello", *, times = 1),
        quote! {
            async fn greet<T: core::fmt::Display>(name: &T, greeting: &str, times: usize) -> String {
                format!("{greeting}, {name}").repeat(times)
            }
        }
    ));
}

#[test]
fn impl_trait_parameter_unsafe_fn() {
    insta::assert_snapshot!(expand(
        quote!(items, /, *, sep = ", "),
        quote! {
            unsafe fn list(items: impl IntoIterator<Item = u8>, sep: &str) -> String {
                items.into_iter().map(|i| i.to_string()).collect::<Vec<_>>().join(sep)
            }
        }
    ));
}

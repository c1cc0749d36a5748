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

#[test]
fn impl_block_method_and_associated_function() {
    insta::assert_snapshot!(expand(
        TokenStream::new(),
        quote! {
            impl Point {
                #[signature(x, y = 0)]
                pub fn new(x: i64, y: i64) -> Self {
                    Point { x, y }
                }

                #[signature(dx, /, dy = 0, *, scale = Self::UNIT)]
                pub fn moved(&self, dx: i64, dy: i64, scale: i64) -> Point {
                    Point { x: (self.x + dx) * scale, y: (self.y + dy) * scale }
                }

                fn untouched(&self) {}
            }
        }
    ));
}

#[test]
fn generic_impl_block_borrowing_method() {
    insta::assert_snapshot!(expand(
        TokenStream::new(),
        quote! {
            impl<'a, T: Display> Labels<'a, T> {
                #[signature(index, *, fallback = "")]
                fn label<U: Into<usize>>(&self, index: U, fallback: &'a str) -> &str {
                    self.items.get(index.into()).map_or(fallback, |_| self.prefix)
                }
            }
        }
    ));
}

/// `def read(self, /)` and `def scaled(self, /, k=2)`: a `/` right after the receiver.
#[test]
fn impl_block_slash_after_the_receiver() {
    insta::assert_snapshot!(expand(
        TokenStream::new(),
        quote! {
            impl Gauge {
                #[signature(/)]
                fn read(&self) -> i32 {
                    self.0
                }

                #[signature(/, k = 2)]
                fn scaled(&self, k: i32) -> i32 {
                    self.0 * k
                }
            }
        }
    ));
}

/// A mistake in the list: the function stays as written, with a stand-in signature (each
/// parameter positional or keyword) so that its calls raise no errors of their own.
#[test]
fn stand_in_after_a_mistake() {
    insta::assert_snapshot!(expand(
        quote!(/, a = 1),
        quote! {
            fn free(a: i32) -> i32 {
                a
            }
        }
    ));
}

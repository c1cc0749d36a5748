//! Expansion snapshots: what `cargo expand` shows for `call!`.
//! Review changes like code; re-bless with `INSTA_UPDATE=always cargo test -p py38-macros`.

use quote::quote;

fn expand(input: proc_macro2::TokenStream) -> String {
    let tokens = super::call(input);
    let file: syn::File = syn::parse_quote!(fn caller() { #tokens; });
    prettyplease::unparse(&file)
}

#[test]
fn call_with_keywords_and_defaults() {
    insta::assert_snapshot!(expand(quote!(f(10, 20, 30, e = 50))));
}

#[test]
fn call_through_a_path_with_generics() {
    insta::assert_snapshot!(expand(quote!(crate::shapes::scale::<f64>(2.0, by = 3.0))));
}

#[test]
fn method_call() {
    insta::assert_snapshot!(expand(quote!(point.moved(1, scale = 2))));
}

#[test]
fn associated_function_call() {
    insta::assert_snapshot!(expand(quote!(geo::Point::new(1, y = 2))));
}

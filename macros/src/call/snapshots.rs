//! Expansion snapshots: what `cargo expand` shows for `call!`.
//! Review changes like code; re-bless with `INSTA_UPDATE=always cargo test -p py38-macros`.

use quote::quote;

fn expand(input: proc_macro2::TokenStream) -> String {
    in_a_caller(&super::call(input))
}

/// `tokens` as the body of a function, pretty-printed.
fn in_a_caller(tokens: &proc_macro2::TokenStream) -> String {
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
fn method_called_through_its_type() {
    insta::assert_snapshot!(expand(quote!(Point::<f64>::moved(&p, 1.0, dy = 5.0))));
}

#[test]
fn associated_function_call() {
    insta::assert_snapshot!(expand(quote!(geo::Point::new(1, y = 2))));
}

#[test]
fn call_of_a_function_named_after_a_prelude_macro() {
    // `write` has no call macro (it would be ambiguous with `std::write!`): its call handle.
    insta::assert_snapshot!(expand(quote!(write(out, text, end = "\n"))));
}

/// What a function's macro hands the binder: how it takes defaults, the signature, then the
/// call as written.
fn bind(call: proc_macro2::TokenStream) -> String {
    bind_as(quote!(direct), call)
}

fn bind_as(mode: proc_macro2::TokenStream, call: proc_macro2::TokenStream) -> String {
    in_a_caller(&super::bind(
        quote!(#mode f (a, b, /, c, d = _, *, e, f = _) #call),
    ))
}

#[test]
fn bound_call_with_keywords_and_defaults() {
    insta::assert_snapshot!(bind(quote!(f(10, 20, 30, e = 50))));
}

#[test]
fn bound_call_with_keywords_out_of_order() {
    // Evaluated as written (`next()` before `now()`), passed in the parameters' order.
    insta::assert_snapshot!(bind(quote!(m::f::<u8>(1, 2, e = next(), c = now(), f = 6))));
}

#[test]
fn bound_call_python_refuses() {
    insta::assert_snapshot!(bind(quote!(f(1, 2, 3, g = 1))));
}

#[test]
fn bound_call_defaults_could_affect() {
    // `d`'s default runs in its place, before `e`'s argument: `now()` runs first, as written.
    insta::assert_snapshot!(bind(quote!(f(1, 2, 3, e = now(), f = x))));
}

#[test]
fn bound_call_through_the_forwarding_function() {
    // For a function whose defaults depend on its type parameters.
    insta::assert_snapshot!(bind_as(
        quote!(forward),
        quote!(f::<u8>(1, 2, c = 3, e = 5, f = 6))
    ));
}

//! Expansion snapshots of `dbg_fmt!` and its family: the std call each one becomes.
//! Re-bless with `INSTA_UPDATE=always cargo test -p py38-macros`.

use proc_macro2::TokenStream;
use quote::quote;

use super::{Kind, dbg_fmt};

fn expand(kind: Kind, tokens: TokenStream) -> String {
    let expr = dbg_fmt(kind, tokens);
    let file: syn::File = syn::parse_quote!(fn call() { #expr; });
    prettyplease::unparse(&file)
}

macro_rules! snapshot {
    ($name:ident, $kind:ident, $($input:tt)*) => {
        #[test]
        fn $name() {
            insta::assert_snapshot!(expand(Kind::$kind, quote!($($input)*)));
        }
    };
}

snapshot!(debug_field, Format, "{x=}");
snapshot!(debug_field_with_whitespace, Format, "{ a + b = }");
snapshot!(debug_field_with_spec, Format, "{pi * d=:.2f}, {v=:#?}");
snapshot!(conversions, Format, "{name=!s} {name=!r} {city=!a}");
snapshot!(conversion_with_spec, Format, "{name=!r:^12}");
snapshot!(plain_expression, Format, "{a + b} and {items[0]:>4}");
snapshot!(
    std_fields_with_user_arguments,
    Format,
    "{} {x=} {0:?} {n}",
    5,
    n = 3
);
snapshot!(nested_width, Format, "{x=:{width}}");
snapshot!(
    python_number_options,
    Format,
    "{n=:,} {ratio=:.1%} {x=: } {m=:*=8}"
);
snapshot!(println_family, Println, "{x=}");
snapshot!(write_family, Writeln, out, "{x=}");
snapshot!(no_arguments, Println,);
snapshot!(with_errors, Format, "{=} {x=!z} {x=y}");

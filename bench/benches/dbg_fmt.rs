//! `dbg_fmt!` against the `format!` a person would write for the same output, field kind by
//! field kind: `cargo bench -p py38-bench --bench dbg_fmt`. Each pair expands to the same
//! `format_args!`, so each ratio should be 1.00 within noise.

use std::hint::black_box;

use py38::dbg_fmt;

fn main() {
    divan::main();
}

mod debug_field {
    use super::*;

    #[divan::bench]
    fn dbg_fmt() -> String {
        let x = black_box(5);
        dbg_fmt!("{x=}")
    }
    #[divan::bench]
    fn format() -> String {
        let x = black_box(5);
        format!("x={:?}", x)
    }
}

mod expression_with_spec {
    use super::*;

    #[divan::bench]
    fn dbg_fmt() -> String {
        let (pi, d) = black_box((std::f64::consts::PI, 2.42));
        dbg_fmt!("{pi * d=:.2f}")
    }
    #[divan::bench]
    fn format() -> String {
        let (pi, d) = black_box((std::f64::consts::PI, 2.42));
        format!("pi * d={:.2}", pi * d)
    }
}

mod method_call_and_text {
    use super::*;

    #[divan::bench]
    fn dbg_fmt() -> String {
        let name = black_box("Alice");
        dbg_fmt!("user {name=} has {name.len()=} letters")
    }
    #[divan::bench]
    fn format() -> String {
        let name = black_box("Alice");
        format!(
            "user name={:?} has name.len()={:?} letters",
            name,
            name.len()
        )
    }
}

mod std_fields {
    use super::*;

    #[divan::bench]
    fn dbg_fmt() -> String {
        let (a, b) = black_box((255, "x"));
        dbg_fmt!("{a:#x} {b:>4} {}", 7)
    }
    #[divan::bench]
    fn format() -> String {
        let (a, b) = black_box((255, "x"));
        format!("{a:#x} {b:>4} {}", 7)
    }
}

//! `dbg_fmt!` through the public API: the runtime rows of the conformance table
//! (`shared/conformance/dbg_fmt-cases.tsv`, Python's output taken from CPython), then
//! `dbg_fmt!` against `format!` on calls both accept.
// The conformance calls are kept as the table writes them, idioms clippy would change included.
#![allow(clippy::approx_constant, clippy::eq_op, clippy::nonminimal_bool)]
#![allow(clippy::redundant_closure_call, clippy::useless_vec)]

use py38::dbg_fmt;

/// A01: `x = 5; f"{x=}"` → `x=5` in Python. [core] default is repr -> Debug
#[test]
fn a01() {
    assert_eq!(
        {
            let x = 5;
            dbg_fmt!("{x=}")
        },
        r#"x=5"#
    );
}

/// A02: `name = "Alice"; f"{name=}"` → `name='Alice'` in Python. [core] repr quotes differ: Python single, Rust Debug double
#[test]
fn a02() {
    assert_eq!(
        {
            let name = "Alice";
            dbg_fmt!("{name=}")
        },
        r#"name="Alice""#
    );
}

/// A03: `name = "Alice"; f"{name=!s}"` → `name=Alice` in Python. [core] !s -> Display
#[test]
fn a03() {
    assert_eq!(
        {
            let name = "Alice";
            dbg_fmt!("{name=!s}")
        },
        r#"name=Alice"#
    );
}

/// A04: `name = "Alice"; f"{name=!r}"` → `name='Alice'` in Python. [core] !r -> Debug
#[test]
fn a04() {
    assert_eq!(
        {
            let name = "Alice";
            dbg_fmt!("{name=!r}")
        },
        r#"name="Alice""#
    );
}

/// A05: `city = "Zürich"; f"{city=!a}"` → `city='Z\\xfcrich'` in Python. [ext] !a = Debug text with every non-ASCII char escaped Rust-style (\\u{fc}); Python uses \\xfc
#[test]
fn a05() {
    assert_eq!(
        {
            let city = "Zürich";
            dbg_fmt!("{city=!a}")
        },
        r#"city="Z\u{fc}rich""#
    );
}

/// A07: `flag = True; f"{flag=}"` → `flag=True` in Python. [core] True vs true
#[test]
fn a07() {
    assert_eq!(
        {
            let flag = true;
            dbg_fmt!("{flag=}")
        },
        r#"flag=true"#
    );
}

/// A08: `items = [1, 2, 3]; f"{items=}"` → `items=[1, 2, 3]` in Python. [core]
#[test]
fn a08() {
    assert_eq!(
        {
            let items = vec![1, 2, 3];
            dbg_fmt!("{items=}")
        },
        r#"items=[1, 2, 3]"#
    );
}

/// A10: `ratio = 7.6; f"{ratio=}"` → `ratio=7.6` in Python. [core]
#[test]
fn a10() {
    assert_eq!(
        {
            let ratio = 7.6;
            dbg_fmt!("{ratio=}")
        },
        r#"ratio=7.6"#
    );
}

/// A11: `f = 2.0; f"{f=!s}"` → `f=2.0` in Python. [core] DIVERGES: f64 Display drops .0
#[test]
fn a11() {
    assert_eq!(
        {
            let f = 2.0;
            dbg_fmt!("{f=!s}")
        },
        r#"f=2"#
    );
}

/// A12: `big = 1e16; f"{big=}"` → `big=1e+16` in Python. [core] DIVERGES: exponent style
#[test]
fn a12() {
    assert_eq!(
        {
            let big = 1e16;
            dbg_fmt!("{big=}")
        },
        r#"big=1e16"#
    );
}

/// A14: `from dataclasses import dataclass; @dataclass; class Point:;     x: int;     y: int;     def __str__(self): return f'({self.x}, {self.y})'; p = Point(1, 2); f"{p=!s}"` → `p=(1, 2)` in Python. [core] __str__ vs Display
#[test]
fn a14() {
    assert_eq!(
        {
            #[derive(Debug)]
            struct Point {
                x: i32,
                y: i32,
            }
            impl std::fmt::Display for Point {
                fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                    write!(f, "({}, {})", self.x, self.y)
                }
            }
            let p = Point { x: 1, y: 2 };
            dbg_fmt!("{p=!s}")
        },
        r#"p=(1, 2)"#
    );
}

/// A15: `from dataclasses import dataclass; @dataclass; class Point:;     x: int;     y: int;     def __str__(self): return f'({self.x}, {self.y})'; p = Point(1, 2); f"{p.x=}"` → `p.x=1` in Python. [core] field access
#[test]
fn a15() {
    assert_eq!(
        {
            #[derive(Debug)]
            struct Point {
                x: i32,
                y: i32,
            }
            impl std::fmt::Display for Point {
                fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                    write!(f, "({}, {})", self.x, self.y)
                }
            }
            let p = Point { x: 1, y: 2 };
            dbg_fmt!("{p.x=}")
        },
        r#"p.x=1"#
    );
}

/// B01: `x = 5; f"{x = }"` → `x = 5` in Python. [core]
#[test]
fn b01() {
    assert_eq!(
        {
            let x = 5;
            dbg_fmt!("{x = }")
        },
        r#"x = 5"#
    );
}

/// B02: `x = 5; f"{ x = }"` → ` x = 5` in Python. [core] space after { kept
#[test]
fn b02() {
    assert_eq!(
        {
            let x = 5;
            dbg_fmt!("{ x = }")
        },
        r#" x = 5"#
    );
}

/// B05: `x = 5; f"{x = :>4}"` → `x =    5` in Python. [core] space between = and : kept
#[test]
fn b05() {
    assert_eq!(
        {
            let x = 5;
            dbg_fmt!("{x = :>4}")
        },
        r#"x =    5"#
    );
}

/// C01: `a, b = 2, 3; f"{a + b=}"` → `a + b=5` in Python. [core]
#[test]
fn c01() {
    assert_eq!(
        {
            let (a, b) = (2, 3);
            dbg_fmt!("{a + b=}")
        },
        r#"a + b=5"#
    );
}

/// C02: `from math import pi as PI; diam = 2.42; f"{PI * diam=:.2f}"` → `PI * diam=7.60` in Python. [core] Python .2f -> Rust .2
#[test]
fn c02() {
    assert_eq!(
        {
            use std::f64::consts::PI;
            let diam = 2.42;
            dbg_fmt!("{PI * diam=:.2}")
        },
        r#"PI * diam=7.60"#
    );
}

/// C03: `name = "Alice"; f"{name.upper()=}"` → `name.upper()='ALICE'` in Python. [core] method call
#[test]
fn c03() {
    assert_eq!(
        {
            let name = "Alice";
            dbg_fmt!("{name.to_uppercase()=}")
        },
        r#"name.to_uppercase()="ALICE""#
    );
}

/// C04: `items = [1, 2, 3]; f"{items[0]=}"` → `items[0]=1` in Python. [core] indexing
#[test]
fn c04() {
    assert_eq!(
        {
            let items = vec![1, 2, 3];
            dbg_fmt!("{items[0]=}")
        },
        r#"items[0]=1"#
    );
}

/// C05: `x, y = 5, 7; f"{x==y=}"` → `x==y=False` in Python. [core] == is not the debug =
#[test]
fn c05() {
    assert_eq!(
        {
            let (x, y) = (5, 7);
            dbg_fmt!("{x==y=}")
        },
        r#"x==y=false"#
    );
}

/// C07: `flag = True; f"{not flag=}"` → `not flag=False` in Python. [core] leading ! is unary not, not a conversion
#[test]
fn c07() {
    assert_eq!(
        {
            let flag = true;
            dbg_fmt!("{!flag=}")
        },
        r#"!flag=false"#
    );
}

/// C10: `import math; f"{math.pi=}"` → `math.pi=3.141592653589793` in Python. [core] :: must not start a format spec
#[test]
fn c10() {
    assert_eq!(
        { dbg_fmt!("{std::f64::consts::PI=}") },
        r#"std::f64::consts::PI=3.141592653589793"#
    );
}

/// C12: `f"{(lambda v: v * 2)(3)=}"` → `(lambda v: v * 2)(3)=6` in Python. [core] lambda/closure with : must be parenthesised
#[test]
fn c12() {
    assert_eq!(
        { dbg_fmt!("{(|v: i32| v * 2)(3)=}") },
        r#"(|v: i32| v * 2)(3)=6"#
    );
}

/// C15: `f'''{; 3; =}'''` → `\n3\n=3` in Python. [core] multi-line expression text kept verbatim (CPython test)
#[test]
fn c15() {
    assert_eq!(
        { dbg_fmt!("{\n3\n=}") },
        r#"
3
=3"#
    );
}

/// D01: `a, b = 2, 3; f"{a=}, {b=}"` → `a=2, b=3` in Python. [core]
#[test]
fn d01() {
    assert_eq!(
        {
            let (a, b) = (2, 3);
            dbg_fmt!("{a=}, {b=}")
        },
        r#"a=2, b=3"#
    );
}

/// D02: `x = 5; f"{{x=}} {x=}"` → `{x=} x=5` in Python. [core] {{ }} escapes
#[test]
fn d02() {
    assert_eq!(
        {
            let x = 5;
            dbg_fmt!("{{x=}} {x=}")
        },
        r#"{x=} x=5"#
    );
}

/// D03: `x, y = 5, 7; f"{x!r} {y=}"` → `5 y=7` in Python. [core] plain std fields pass through unchanged
#[test]
fn d03() {
    assert_eq!(
        {
            let (x, y) = (5, 7);
            dbg_fmt!("{x:?} {y=}")
        },
        r#"5 y=7"#
    );
}

/// E01: `x = 2.71828; f"{x=:.2f}"` → `x=2.72` in Python. [core] spec without conversion -> Display
#[test]
fn e01() {
    assert_eq!(
        {
            let x = 2.71828;
            dbg_fmt!("{x=:.2}")
        },
        r#"x=2.72"#
    );
}

/// E02: `x = "A string"; f"{x=:}"` → `x=A string` in Python. [core] empty spec still switches to str/Display
#[test]
fn e02() {
    assert_eq!(
        {
            let x = "A string";
            dbg_fmt!("{x=:}")
        },
        r#"x=A string"#
    );
}

/// E03: `x = "A string"; f"{x=!r:^20}"` → `x=     'A string'     ` in Python. [core] conversion then spec pads the whole text; plain {:^20?} would NOT pad a str
#[test]
fn e03() {
    assert_eq!(
        {
            let x = "A string";
            dbg_fmt!("{x=!r:^20}")
        },
        r#"x=     "A string"     "#
    );
}

/// E04: `x = 2.71828; f"{x=!s:.2}"` → `x=2.` in Python. [core] after a conversion .2 truncates the text (Python rule)
#[test]
fn e04() {
    assert_eq!(
        {
            let x = 2.71828;
            dbg_fmt!("{x=!s:.2}")
        },
        r#"x=2."#
    );
}

/// E07: `-` → `-` in Python. [core] Rust-only: native ? spec passes through; str Debug ignores width
#[test]
fn e07() {
    assert_eq!(
        {
            let name = "Alice";
            dbg_fmt!("{name=:>8?}")
        },
        r#"name="Alice""#
    );
}

/// E08: `-` → `-` in Python. [core] Rust-only: pretty Debug like dbg!
#[test]
fn e08() {
    assert_eq!(
        {
            #[derive(Debug)]
            struct Point {
                x: i32,
                y: i32,
            }
            impl std::fmt::Display for Point {
                fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                    write!(f, "({}, {})", self.x, self.y)
                }
            }
            let p = Point { x: 1, y: 2 };
            dbg_fmt!("{p=:#?}")
        },
        r#"p=Point {
    x: 1,
    y: 2,
}"#
    );
}

/// E09: `x = 5; f"{x=:*^9}"` → `x=****5****` in Python. [core]
#[test]
fn e09() {
    assert_eq!(
        {
            let x = 5;
            dbg_fmt!("{x=:*^9}")
        },
        r#"x=****5****"#
    );
}

/// E11: `n = 255; f"{n=:#X}"` → `n=0XFF` in Python. [core] DIVERGES: 0XFF vs 0xFF
#[test]
fn e11() {
    assert_eq!(
        {
            let n = 255;
            dbg_fmt!("{n=:#X}")
        },
        r#"n=0xFF"#
    );
}

/// E12: `m = -255; f"{m=:x}"` → `m=-ff` in Python. [core] DIVERGES: Rust prints two's complement
#[test]
fn e12() {
    assert_eq!(
        {
            let m: i32 = -255;
            dbg_fmt!("{m=:x}")
        },
        r#"m=ffffff01"#
    );
}

/// E13: `big = 1234.5678; f"{big=:.2e}"` → `big=1.23e+03` in Python. [core] DIVERGES: e+03 vs e3
#[test]
fn e13() {
    assert_eq!(
        {
            let big = 1234.5678;
            dbg_fmt!("{big=:.2e}")
        },
        r#"big=1.23e3"#
    );
}

/// E14: `x = 5; f"{x=:.2}"` → `<raises ValueError: Precision not allowed in integer format specifier>` in Python. [core] DIVERGES: Python rejects precision on int, Rust ignores it
#[test]
fn e14() {
    assert_eq!(
        {
            let x = 5;
            dbg_fmt!("{x=:.2}")
        },
        r#"x=5"#
    );
}

/// E15: `x = 5; width = 8; f"{x=:{width}}"` → `x=       5` in Python. [core] nested width field -> Rust width$
#[test]
fn e15() {
    assert_eq!(
        {
            let x = 5;
            let width = 8;
            dbg_fmt!("{x=:width$}")
        },
        r#"x=       5"#
    );
}

/// F01: `pi = 3.14159; f"{pi=:.2f}"` → `pi=3.14` in Python. [ext] accept Python f type letter as alias
#[test]
fn f01() {
    assert_eq!(
        {
            let pi = 3.14159;
            dbg_fmt!("{pi=:.2f}")
        },
        r#"pi=3.14"#
    );
}

/// F02: `x = 5; width = 8; f"{x=:{width}}"` → `x=       5` in Python. [ext] Python-style nested field in width position
#[test]
fn f02() {
    assert_eq!(
        {
            let x = 5;
            let width = 8;
            dbg_fmt!("{x=:{width}}")
        },
        r#"x=       5"#
    );
}

/// F03: `n = 1234567; f"{n=:,}"` → `n=1,234,567` in Python. [ext] needs runtime helper
#[test]
fn f03() {
    assert_eq!(
        {
            let n = 1234567;
            dbg_fmt!("{n=:,}")
        },
        r#"n=1,234,567"#
    );
}

/// F04: `ratio = 0.256; f"{ratio=:.1%}"` → `ratio=25.6%` in Python. [ext] needs runtime helper
#[test]
fn f04() {
    assert_eq!(
        {
            let ratio = 0.256;
            dbg_fmt!("{ratio=:.1%}")
        },
        r#"ratio=25.6%"#
    );
}

/// F06: `x = 5; f"{x=: }"` → `x= 5` in Python. [ext] space sign: rustc silently ignores ': ' -> macro must emulate or reject
#[test]
fn f06() {
    assert_eq!(
        {
            let x = 5;
            dbg_fmt!("{x=: }")
        },
        r#"x= 5"#
    );
}

/// F07: `a, b = 2, 3; f"{a + b}"` → `5` in Python. [ext] plain (non-debug) expression field
#[test]
fn f07() {
    assert_eq!(
        {
            let (a, b) = (2, 3);
            dbg_fmt!("{a + b}")
        },
        r#"5"#
    );
}

/// Both macros print the same for every call `format!` accepts.
macro_rules! same_as_format {
    ($($call:tt)*) => {
        assert_eq!(dbg_fmt!($($call)*), format!($($call)*), "{}", stringify!($($call)*));
    };
}

#[test]
fn every_format_call_prints_the_same() {
    let (x, y, name, pi) = (5, -7i64, "Alice", std::f64::consts::PI);
    let items = vec![1, 2, 3];
    let width = 9;
    same_as_format!("plain text, no fields");
    same_as_format!("{{escaped}} {{}} }}{{");
    same_as_format!("{} {} {}", 1, "two", 3.0);
    same_as_format!("{0} {1} {0}", "a", "b");
    same_as_format!("{x} {y} {name}");
    same_as_format!("{x:?} {name:?} {items:?} {items:#?}");
    same_as_format!("{:>8}|{:<8}|{:^8}|{:*^9}", x, y, name, "mid");
    same_as_format!("{:+} {:+} {:08.3} {:+08}", x, y, pi, y);
    same_as_format!(
        "{:#x} {:#X} {:o} {:#b} {:x?} {:#X?}",
        255,
        255,
        8,
        5,
        items,
        items
    );
    same_as_format!("{:e} {:E} {:.2e}", 1234.5, 0.00012, pi);
    same_as_format!("{:.3} {:.0} {:10.2}", pi, 2.5, pi);
    same_as_format!("{x:width$} {x:>width$} {:.*}", 2, pi);
    same_as_format!("{:1$} {2:.prec$}", x, 6, pi, prec = 2);
    same_as_format!("{named} {named:?} {0}", 7, named = "n");
    same_as_format!("{:?} {:?}", 'c', "tab\there");
    same_as_format!("{:5}|{:<5}|{:^5}|{:>5}", true, 'x', "ab", 1.5);
    same_as_format!("{:.3}", "truncate me");
    same_as_format!("{pi:>+12.4e}");
    same_as_format!("unicode ✓ {name} ü");
}

#[test]
fn the_whole_family_formats_alike() {
    use std::fmt::Write as _;
    let (a, b) = (2, 3);
    assert_eq!(
        py38::dbg_format_args!("{a + b = }").to_string(),
        " a + b = 5".trim_start()
    );
    let mut out = String::new();
    py38::dbg_write!(out, "{a=}").unwrap();
    py38::dbg_writeln!(out, ", {b=}").unwrap();
    py38::dbg_writeln!(out).unwrap();
    assert_eq!(out, "a=2, b=3\n\n");
    py38::dbg_print!("{a=} ");
    py38::dbg_println!("{b=}");
    py38::dbg_eprint!("{a=} ");
    py38::dbg_eprintln!("{b=}");
    py38::dbg_println!();
    let panic = std::panic::catch_unwind(|| py38::dbg_panic!("{a * b=}"));
    let message = panic.unwrap_err();
    assert_eq!(
        message.downcast_ref::<String>().map(String::as_str),
        Some("a * b=6")
    );
}

#[test]
fn expressions_are_evaluated_once_in_order_after_the_arguments() {
    use std::cell::RefCell;
    let log = RefCell::new(Vec::new());
    let note = |what: &'static str, value: i32| {
        log.borrow_mut().push(what);
        value
    };
    let text = dbg_fmt!(
        "{} {note(\"a\", 1)=} {note(\"b\", 2)} {}",
        note("arg0", 0),
        note("arg1", 9)
    );
    assert_eq!(text, "0 note(\"a\", 1)=1 2 9");
    assert_eq!(*log.borrow(), ["arg0", "arg1", "a", "b"]);
}

#[test]
fn values_are_borrowed_not_moved() {
    let owned = String::from("still mine");
    let shown = dbg_fmt!("{owned=} {owned.len()=}");
    assert_eq!(shown, r#"owned="still mine" owned.len()=10"#);
    assert_eq!(owned, "still mine");
}

#[test]
fn python_number_options() {
    let (n, ratio, x, m) = (1_234_567, 0.256, 5, -42);
    assert_eq!(dbg_fmt!("{n=:,}"), "n=1,234,567");
    assert_eq!(dbg_fmt!("{n=:_}"), "n=1_234_567");
    assert_eq!(dbg_fmt!("{1234.5=:,.2f}"), "1234.5=1,234.50");
    assert_eq!(dbg_fmt!("{ratio=:.1%}"), "ratio=25.6%");
    assert_eq!(dbg_fmt!("{x=: }|{m: }"), "x= 5|-42");
    assert_eq!(dbg_fmt!("{m=:*=8}"), "m=-*****42");
    assert_eq!(dbg_fmt!("{n=:>12,}"), "n=   1,234,567");
}

#[test]
fn nested_width_and_precision_take_expressions() {
    let (x, width, pi) = (5, 6, std::f64::consts::PI);
    assert_eq!(dbg_fmt!("{x=:{width}}"), "x=     5");
    assert_eq!(dbg_fmt!("{x=:>{width + 2}}"), "x=       5");
    assert_eq!(dbg_fmt!("{pi=:{width}.{width - 4}f}"), "pi=  3.14");
}

#[test]
fn more_field_forms() {
    let (x, w, name) = (255, 6, "Alice");
    let map = std::collections::HashMap::from([('k', 1)]);
    assert_eq!(dbg_fmt!("{x = !r}"), "x = 255");
    assert_eq!(dbg_fmt!("{x!r:>6}|"), "   255|");
    assert_eq!(dbg_fmt!("{name=!a:>9}|"), r#"name=  "Alice"|"#);
    assert_eq!(dbg_fmt!("{map[&'k']=}"), "map[&'k']=1");
    assert_eq!(dbg_fmt!("{'{'=} {'}'=}"), "'{'='{' '}'='}'");
    assert_eq!(dbg_fmt!("{\"a:b=c\"=}"), r#""a:b=c"="a:b=c""#);
    assert_eq!(dbg_fmt!("{x=:^#10x}|"), "x=   0xff   |");
    assert_eq!(dbg_fmt!("{x:=^9}"), "===255===");
    assert_eq!(dbg_fmt!("{name=:.3}"), "name=Ali");
    assert_eq!(dbg_fmt!("{name=!r:^{w + 5}}|"), r#"name=  "Alice"  |"#);
    assert_eq!(dbg_fmt!("{0=} {3.5=}"), "0=0 3.5=3.5");
    assert_eq!(dbg_fmt!("{x=} {}", 7), "x=255 7");
    assert_eq!(dbg_fmt!("{x:0$}|{x=}", w), "   255|x=255");
    assert_eq!(dbg_fmt!("\u{41}{x=}\t{{"), "Ax=255\t{");
    assert_eq!(dbg_fmt!("{-x=} {!true=}"), "-x=-255 !true=false");
}

#[test]
fn debug_fields_name_named_arguments_as_std_fields_do() {
    assert_eq!(dbg_fmt!("{x=} {x} {x = :>3}", x = 5), "x=5 5 x =   5");
    assert_eq!(dbg_fmt!("{y=!r}", y = "s"), r#"y="s""#);
}

/// `macro_rules!` fragments reach the macro in invisible groups: the literal and the
/// arguments are read through them.
macro_rules! through_fragments {
    ($format:literal, $arg:expr, $named:expr) => {
        dbg_fmt!($format, $arg, n = $named)
    };
    ($format:expr) => {
        dbg_fmt!($format)
    };
}

#[test]
fn macro_rules_fragments_are_read_through() {
    let (x, v) = (2, [7, 8]);
    assert_eq!(
        through_fragments!("{x=} {} {n}", x + 1, v[1] * 10),
        "x=2 3 80"
    );
    assert_eq!(through_fragments!("{x + v[0] = }"), "x + v[0] = 9");
    assert_eq!(through_fragments!("{} {n}", (|a: i32| a + 1)(1), 2), "2 2");
    // Arguments with a closure or a turbofish (top-level commas and `<`): parsed in full.
    let sum = dbg_fmt!("{} {}", [1u8, 2].iter().map(|b| b * 2).sum::<u8>(), 1);
    assert_eq!(sum, "6 1");
    assert_eq!(
        dbg_fmt!("{[1u8, 2].iter().map(|b| b * 2).sum::<u8>()=}"),
        "[1u8, 2].iter().map(|b| b * 2).sum::<u8>()=6"
    );
}

/// The arguments' temporaries are dropped when the call ends, as `format!`'s are (its block,
/// edition 2024), not at the end of the statement: the `Ref` is gone before `borrow_mut`.
#[test]
fn temporaries_end_with_the_call_as_in_format() {
    let cell = std::cell::RefCell::new(1);
    let std = format!("{:?}", *cell.borrow()) + &cell.borrow_mut().to_string();
    let ours = dbg_fmt!("{*cell.borrow()=}") + &cell.borrow_mut().to_string();
    assert_eq!((std.as_str(), ours.as_str()), ("11", "*cell.borrow()=11"));
}

//! `#[signature]` and `call!`: every accepted call form, through the public API.

use std::cell::RefCell;
use std::fmt::Display;

use py38::{call, signature};

/// Python's `def f(a, b, /, c, d=4, *, e, f=6)`, returning its arguments.
#[signature(a, b, /, c, d = 4, *, e, f = 6)]
fn f(a: i64, b: i64, c: i64, d: i64, e: i64, f: i64) -> [i64; 6] {
    [a, b, c, d, e, f]
}

#[test]
fn conformance_calls_bind_as_python_does() {
    assert_eq!(
        call!(f(10, 20, 30, d = 40, e = 50, f = 60)),
        [10, 20, 30, 40, 50, 60]
    );
    assert_eq!(call!(f(10, 20, 30, e = 50)), [10, 20, 30, 4, 50, 6]);
    assert_eq!(
        call!(f(10, 20, c = 30, d = 40, e = 5)),
        [10, 20, 30, 40, 5, 6]
    );
    assert_eq!(call!(f(10, 20, 30, 40, e = 5)), [10, 20, 30, 40, 5, 6]);
    assert_eq!(call!(f(1, 2, f = 9, e = 8, c = 3)), [1, 2, 3, 4, 8, 9]);
    // The function itself is untouched.
    assert_eq!(f(1, 2, 3, 4, 5, 6), [1, 2, 3, 4, 5, 6]);
}

#[test]
fn arguments_are_evaluated_left_to_right_as_written() {
    let order = RefCell::new(Vec::new());
    let note = |name: &'static str, value: i64| {
        order.borrow_mut().push(name);
        value
    };
    let got = call!(f(
        note("a", 1),
        note("b", 2),
        f = note("f", 6),
        e = note("e", 5),
        c = note("c", 3)
    ));
    assert_eq!(got, [1, 2, 3, 4, 5, 6]);
    assert_eq!(*order.borrow(), ["a", "b", "f", "e", "c"]);
}

/// Defaults may name private items of the defining module, and run on each call that omits them.
mod settings {
    use std::sync::atomic::{AtomicU32, Ordering};

    use py38::signature;

    static CALLS: AtomicU32 = AtomicU32::new(0);

    fn next_id() -> u32 {
        CALLS.fetch_add(1, Ordering::Relaxed) + 1
    }

    #[signature(name, *, id = next_id(), tags = Vec::new())]
    pub(crate) fn make(name: &str, id: u32, tags: Vec<String>) -> (String, u32, Vec<String>) {
        (name.to_owned(), id, tags)
    }
}

#[test]
fn defaults_are_evaluated_per_call_at_the_definition() {
    let (_, first, _) = call!(settings::make("a"));
    let (_, second, _) = call!(settings::make("b"));
    assert_eq!(second, first + 1);
    let (name, id, tags) = call!(settings::make("c", id = 7, tags = vec!["x".into()]));
    assert_eq!((name.as_str(), id, tags), ("c", 7, vec![String::from("x")]));
}

#[test]
fn calls_from_other_modules_through_any_path() {
    use settings::make;
    assert_eq!(call!(make("x", id = 1)).1, 1);
    assert_eq!(call!(crate::signature::settings::make("y", id = 2)).1, 2);
    assert_eq!(call!(self::settings::make("z", id = 3)).1, 3);
}

/// Borrowed parameters: arguments coerce as in a direct call (`&String` to `&str`).
#[signature(text, /, sep = ", ", *, upper = false)]
fn join_words(text: &[&str], sep: &str, upper: bool) -> String {
    let joined = text.join(sep);
    if upper { joined.to_uppercase() } else { joined }
}

/// Named lifetimes: the result borrows from the words, not from the slice holding them.
#[signature(words, index = 0)]
fn pick<'a>(words: &[&'a str], index: usize) -> &'a str {
    words[index]
}

#[test]
fn borrowed_arguments_coerce() {
    let picked = {
        let words = vec!["x", "y"];
        call!(pick(&words, index = 1))
    };
    assert_eq!(picked, "y");
    let words = vec!["a", "b"];
    let sep = String::from("-");
    assert_eq!(call!(join_words(&words, sep = &sep)), "a-b");
    assert_eq!(call!(join_words(&words, upper = true)), "A, B");
}

/// Generic and `impl Trait` parameters are inferred as in a direct call.
#[signature(value, width = 8, *, fill = '.')]
fn pad<T: Display>(value: T, width: usize, fill: char) -> String {
    let text = value.to_string();
    let pad: String = std::iter::repeat_n(fill, width.saturating_sub(text.len())).collect();
    pad + &text
}

#[signature(items, *, sep = ", ")]
fn list(items: impl IntoIterator<Item = impl Display>, sep: &str) -> String {
    items
        .into_iter()
        .map(|i| i.to_string())
        .collect::<Vec<_>>()
        .join(sep)
}

#[signature(text, radix = 10)]
fn parse<T: TryFrom<u64>>(text: &str, radix: u32) -> Option<T> {
    u64::from_str_radix(text, radix)
        .ok()
        .and_then(|n| T::try_from(n).ok())
}

#[test]
fn generics_impl_trait_and_turbofish() {
    assert_eq!(call!(pad(42)), "......42");
    assert_eq!(call!(pad("ab", 4, fill = '*')), "**ab");
    assert_eq!(call!(list([1, 2, 3])), "1, 2, 3");
    assert_eq!(call!(list(vec!["x", "y"], sep = "+")), "x+y");
    assert_eq!(call!(parse::<u8>("ff", radix = 16)), Some(255));
    assert_eq!(call!(parse::<u8>("256")), None);
    let n: Option<u16> = call!(parse("256"));
    assert_eq!(n, Some(256));
}

/// A closure argument gets its signature from the parameter's bound.
#[signature(f, /, times = 1)]
fn apply(f: impl Fn(u32) -> u32, times: usize) -> u32 {
    (0..times).fold(0, |acc, _| f(acc))
}

#[test]
fn closures_infer_from_the_parameter() {
    assert_eq!(call!(apply(|x| x + 2, times = 3)), 6);
}

/// A returned reference borrows from the argument, as in the direct call.
#[signature(text, *, skip = 0)]
fn rest(text: &str, skip: usize) -> &str {
    &text[skip.min(text.len())..]
}

#[test]
fn elided_lifetimes() {
    let owned = String::from("hello");
    assert_eq!(call!(rest(&owned, skip = 2)), "llo");
    assert_eq!(call!(rest("hi")), "hi");
}

#[signature(id, *, retries = 3)]
async fn fetch(id: u32, retries: u32) -> String {
    format!("{id}:{retries}")
}

#[test]
fn async_functions() {
    let got = futures_executor::block_on(async { call!(fetch(7, retries = 1)).await });
    assert_eq!(got, "7:1");
    assert_eq!(futures_executor::block_on(call!(fetch(8))), "8:3");
}

#[signature(n, /, *, by = 1)]
const fn step(n: u64, by: u64) -> u64 {
    n + by
}

#[test]
fn const_fns_stay_const() {
    const DIRECT: u64 = step(1, 2);
    assert_eq!(DIRECT, 3);
    assert_eq!(call!(step(1)), 2);
}

#[test]
fn a_function_inside_a_block() {
    #[signature(x, y = 10)]
    fn add(x: i32, y: i32) -> i32 {
        x + y
    }
    assert_eq!(call!(add(1)), 11);
    assert_eq!(call!(add(y = 1, x = 2)), 3);
}

/// `#[memoize]` and `#[signature]` together, in either order: one cache, keyword calls.
mod memoized {
    use py38::{memoize, signature};

    #[memoize]
    #[signature(n, /, *, offset = 0)]
    pub(crate) fn slow_square(n: u64, offset: u64) -> u64 {
        n * n + offset
    }

    #[signature(n, *, offset = 0)]
    #[memoize(maxsize = 4)]
    pub(crate) fn slow_cube(n: u64, offset: u64) -> u64 {
        n * n * n + offset
    }
}

#[test]
fn with_memoize_in_either_order() {
    use memoized::{slow_cube, slow_square};
    assert_eq!(call!(slow_square(3)), 9);
    assert_eq!(call!(slow_square(3, offset = 0)), 9);
    assert_eq!(call!(slow_square(3, offset = 1)), 10);
    let info = slow_square::cache_info();
    assert_eq!((info.hits, info.misses), (1, 2));
    assert_eq!(call!(memoized::slow_cube(2)), 8);
    assert_eq!(call!(slow_cube(n = 2)), 8);
    assert_eq!(slow_cube::cache_info().hits, 1);
    assert_eq!(slow_cube::cache_parameters().maxsize, Some(4));
}

/// An `unsafe fn` stays unsafe to call through `call!`.
#[allow(
    unsafe_code,
    reason = "the point of the test: an unsafe function with a signature"
)]
mod unsafe_fn {
    use py38::{call, signature};

    #[signature(bytes, /, *, at = 0)]
    unsafe fn byte_at(bytes: &[u8], at: usize) -> u8 {
        // SAFETY: the caller keeps `at` in bounds.
        unsafe { *bytes.get_unchecked(at) }
    }

    #[test]
    fn unsafe_functions_need_unsafe() {
        let bytes = [7, 8, 9];
        // SAFETY: indices 0 and 2 are in bounds.
        let (first, last) = unsafe { (call!(byte_at(&bytes)), call!(byte_at(&bytes, at = 2))) };
        assert_eq!((first, last), (7, 9));
    }
}

#[test]
fn calls_from_another_crate_through_any_path() {
    use py38_tests::shapes::area;
    assert_eq!(call!(py38_tests::shapes::area(2, 3)), 6);
    assert_eq!(call!(area(2, 3, scale = 2)), 24);
    assert_eq!(call!(::py38_tests::shapes::area(1, 1, scale = 3)), 9);
}

#[test]
fn methods_from_another_crate() {
    use py38_tests::geometry::Point;
    let p = call!(Point::new(1, y = 2));
    assert_eq!(call!(p.moved(1, scale = 10)), Point { x: 20, y: 20 });
    assert_eq!(
        call!(py38_tests::geometry::Point::new(3)),
        Point { x: 3, y: 0 }
    );
}

/// Functions named after a macro of the prelude (`write!`, `format!`) have no macro of their
/// name, which rustc would find ambiguous with the prelude's; `call!` reaches them through
/// their call handle instead, by any path, and the prelude's macros keep working beside them.
mod named_like_prelude_macros {
    use std::fmt::Write as _;

    use py38::{call, signature};

    #[signature(template, /, *, name = "world")]
    pub(crate) fn format(template: &str, name: &str) -> String {
        let mut out = String::new();
        write!(out, "{}", template.replace("{}", name)).expect("writing to a String");
        out
    }

    #[test]
    fn called_here_with_the_prelude_macros_beside_them() {
        assert_eq!(call!(format("hello {}")), "hello world");
        assert_eq!(
            call!(format("bye {}", name = "all")),
            format!("bye {}", "all")
        );
        let mut out = String::new();
        call!(py38_tests::shapes::write(&mut out, "a"));
        call!(py38_tests::shapes::write(&mut out, "b", end = "."));
        assert_eq!(out, "a\nb.");
    }

    #[test]
    fn called_through_an_import() {
        use py38_tests::shapes::write;
        let mut out = String::new();
        call!(write(&mut out, "c", end = ""));
        write!(out, "{}", 1).expect("writing to a String");
        assert_eq!(out, "c1");
    }
}

#[test]
fn format_from_another_module() {
    use named_like_prelude_macros::format;
    assert_eq!(call!(format("hi {}", name = "you")), "hi you");
}

#[signature(text, *, prefix = "", suffix = "")]
fn wrap(text: &str, prefix: &str, suffix: &str) -> String {
    format!("{prefix}{text}{suffix}")
}

#[test]
fn keywords_out_of_order_keep_their_temporaries_alive() {
    // Evaluated first, as written, yet borrowed until the call returns.
    let got = call!(wrap(
        "x",
        suffix = String::from("!").as_str(),
        prefix = &format!("{}>", 1)
    ));
    assert_eq!(got, "1>x!");
}

/// Defaults that depend on the function's type parameters.
#[signature(items, /, len, fill = T::default())]
fn padded<T: Default + Clone>(mut items: Vec<T>, len: usize, fill: T) -> Vec<T> {
    items.resize(len.max(items.len()), fill);
    items
}

#[signature(*, first = Vec::<T>::new(), second = N)]
fn counted<T, const N: usize>(first: Vec<T>, second: usize) -> usize {
    first.len() + second
}

#[test]
fn defaults_that_depend_on_type_parameters() {
    assert_eq!(call!(padded(vec![1_u8], 3)), [1, 0, 0]);
    assert_eq!(call!(padded(vec!['a'], len = 2, fill = 'z')), ['a', 'z']);
    assert_eq!(call!(padded::<String>(vec![], 1)), [String::new()]);
    assert_eq!(call!(counted::<u8, 3>()), 3);
    assert_eq!(call!(counted::<u8, 3>(second = 1, first = vec![7])), 2);
}

/// A default is evaluated after every argument of the call, whatever its parameter's place.
mod evaluation {
    use std::sync::atomic::{AtomicU32, Ordering};

    use py38::{call, signature};

    static COUNTER: AtomicU32 = AtomicU32::new(0);

    fn bump() -> u32 {
        COUNTER.fetch_add(1, Ordering::SeqCst) + 1
    }

    fn read() -> u32 {
        COUNTER.load(Ordering::SeqCst)
    }

    #[signature(seen_before, id = bump(), *, seen_after)]
    fn record(seen_before: u32, id: u32, seen_after: u32) -> (u32, u32, u32) {
        (seen_before, id, seen_after)
    }

    #[signature(seen_before, id = { bump(); T::default() }, *, seen_after)]
    fn record_generic<T: Default>(seen_before: u32, id: T, seen_after: u32) -> (u32, T, u32) {
        (seen_before, id, seen_after)
    }

    #[test]
    fn defaults_come_after_the_arguments() {
        let start = read();
        let (before, id, after) = call!(record(read(), seen_after = read()));
        assert_eq!((before, id, after), (start, start + 1, start));
        let start = read();
        let (before, (), after) = call!(record_generic(read(), seen_after = read()));
        assert_eq!((before, after, read()), (start, start, start + 1));
    }
}

/// Two public functions of one name and signature in one file: each exports a call macro at
/// the crate's root, under a name told apart by where the function is.
pub mod same_name_and_signature {
    /// The first.
    pub mod first {
        /// `x` advanced by `step`.
        #[py38::signature(x, step = 1)]
        pub fn advance(x: u32, step: u32) -> u32 {
            x + step
        }
    }

    /// The second.
    pub mod second {
        /// `x` scaled, then advanced by `step`.
        #[py38::signature(x, step = 1)]
        pub fn advance(x: u32, step: u32) -> u32 {
            x * 10 + step
        }
    }

    #[test]
    fn both_bind_through_their_own_path() {
        assert_eq!(py38::call!(first::advance(4)), 5);
        assert_eq!(py38::call!(second::advance(4, step = 2)), 42);
    }
}

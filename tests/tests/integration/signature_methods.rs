//! `#[signature]` on `impl` blocks: methods (`call!(point.moved(..))`) and associated functions
//! (`call!(Point::new(..))`), through the public API.

use std::borrow::Cow;
use std::cell::RefCell;
use std::fmt::Display;

use py38::{call, signature};

#[derive(Debug, Clone, Copy, PartialEq)]
struct Point {
    x: i64,
    y: i64,
}

const ORIGIN_Y: i64 = 0;

#[signature]
impl Point {
    /// Python's `def new(x, y=0)`, a static method.
    #[signature(x, y = ORIGIN_Y)]
    fn new(x: i64, y: i64) -> Self {
        Point { x, y }
    }

    /// `def moved(self, dx, /, dy=0, *, scale=1)`.
    #[signature(dx, /, dy = 0, *, scale = Self::UNIT)]
    fn moved(&self, dx: i64, dy: i64, scale: i64) -> Point {
        Point {
            x: (self.x + dx) * scale,
            y: (self.y + dy) * scale,
        }
    }

    /// `&mut self`, returning a borrow of the receiver.
    #[signature(dx = 1, dy = 1)]
    fn shift(&mut self, dx: i64, dy: i64) -> &mut Self {
        self.x += dx;
        self.y += dy;
        self
    }

    /// By value.
    #[signature(factor)]
    fn scaled(self, factor: i64) -> Point {
        Point {
            x: self.x * factor,
            y: self.y * factor,
        }
    }

    /// A plain method with no `#[signature]` stays as it is.
    fn sum(&self) -> i64 {
        self.x + self.y
    }

    const UNIT: i64 = 1;
}

#[test]
fn associated_functions_bind_as_python_does() {
    assert_eq!(call!(Point::new(1)), Point { x: 1, y: 0 });
    assert_eq!(call!(Point::new(1, 2)), Point { x: 1, y: 2 });
    assert_eq!(call!(Point::new(y = 2, x = 1)), Point { x: 1, y: 2 });
    assert_eq!(call!(Point::new(1, y = 5)).sum(), 6);
}

#[test]
fn methods_bind_as_python_does() {
    let p = Point::new(1, 2);
    assert_eq!(call!(p.moved(1)), Point { x: 2, y: 2 });
    assert_eq!(call!(p.moved(1, 3)), Point { x: 2, y: 5 });
    assert_eq!(call!(p.moved(1, dy = 3, scale = 2)), Point { x: 4, y: 10 });
    assert_eq!(call!(p.moved(1, scale = 2)), Point { x: 4, y: 4 });
    // The method itself is untouched.
    assert_eq!(p.moved(1, 0, 1), Point { x: 2, y: 2 });
}

#[test]
fn receivers_by_mutable_reference_and_by_value() {
    let mut p = Point::new(0, 0);
    call!(p.shift(dy = 5)).x += 10;
    assert_eq!(p, Point { x: 11, y: 5 });
    assert_eq!(call!(p.scaled(2)), Point { x: 22, y: 10 });
    // Auto-referencing and dereferencing work as in a method call.
    let boxed = Box::new(p);
    assert_eq!(call!(boxed.moved(1)), Point { x: 12, y: 5 });
    let by_ref = &&p;
    assert_eq!(call!(by_ref.moved(1, dy = 1)), Point { x: 12, y: 6 });
}

#[test]
fn the_receiver_is_evaluated_first_then_the_arguments_left_to_right() {
    let order = RefCell::new(Vec::new());
    let note = |name: &'static str, value: i64| {
        order.borrow_mut().push(name);
        value
    };
    let point = || {
        order.borrow_mut().push("receiver");
        Point::new(0, 0)
    };
    let got = call!(point().moved(note("dx", 1), scale = note("scale", 3), dy = note("dy", 2)));
    assert_eq!(got, Point { x: 3, y: 6 });
    assert_eq!(*order.borrow(), ["receiver", "dx", "scale", "dy"]);
}

/// A generic type, with lifetimes, `impl Trait`, generic methods and `async`.
struct Labels<'a, T> {
    prefix: &'a str,
    items: Vec<T>,
}

#[signature]
impl<'a, T: Display + Clone> Labels<'a, T> {
    #[signature(prefix, items = Vec::new())]
    fn new(prefix: &'a str, items: Vec<T>) -> Self {
        Labels { prefix, items }
    }

    #[signature(index, /, *, upper = false)]
    fn label(&self, index: usize, upper: bool) -> String {
        let text = format!("{}{}", self.prefix, self.items[index]);
        if upper { text.to_uppercase() } else { text }
    }

    /// An output borrowing the receiver, under elision.
    #[signature(fallback = "")]
    fn prefix_or(&self, fallback: &'a str) -> &str {
        if self.prefix.is_empty() {
            fallback
        } else {
            self.prefix
        }
    }

    #[signature(item, times = 1)]
    fn push<U: Into<T>>(&mut self, item: U, times: usize) -> usize {
        let item = item.into();
        for _ in 0..times {
            self.items.push(item.clone());
        }
        self.items.len()
    }

    #[signature(separator = ", ", *, then)]
    fn joined(&self, separator: &str, then: impl Fn(String) -> String) -> String {
        let parts: Vec<String> = self.items.iter().map(ToString::to_string).collect();
        then(parts.join(separator))
    }

    #[signature(index, suffix = Cow::Borrowed("!"))]
    async fn shout(&self, index: usize, suffix: Cow<'static, str>) -> String {
        format!("{}{suffix}", self.label(index, true))
    }
}

#[test]
fn generic_types_lifetimes_generic_methods_and_impl_trait() {
    let prefix = String::from("#");
    let mut labels: Labels<'_, u8> = call!(Labels::new(&prefix));
    assert_eq!(call!(labels.push(7u8, times = 2)), 2);
    assert_eq!(call!(labels.push::<u8>(8)), 3);
    assert_eq!(call!(labels.label(0)), "#7");
    assert_eq!(call!(labels.label(2, upper = true)), "#8");
    assert_eq!(call!(labels.prefix_or()), "#");
    assert_eq!(call!(labels.joined(then = |s| s)), "7, 7, 8");
    assert_eq!(
        call!(labels.joined(separator = "-", then = |s: String| format!("[{s}]"))),
        "[7-7-8]"
    );
    let turbofished = call!(Labels::<char>::new("x", items = vec!['a']));
    assert_eq!(call!(turbofished.label(0)), "xa");
}

#[test]
fn async_methods_are_awaited_like_the_method() {
    let labels = call!(Labels::new("$", items = vec![1, 2]));
    let future = call!(labels.shout(1));
    assert_eq!(futures_executor::block_on(future), "$2!");
    let future = call!(labels.shout(0, suffix = Cow::Owned("?".repeat(2))));
    assert_eq!(futures_executor::block_on(future), "$1??");
}

/// `Self::` inside the impl block, and `call!` from another module through a path.
mod shapes {
    use py38::{call, signature};

    pub(crate) struct Square(pub(crate) u32);

    #[signature]
    impl Square {
        #[signature(side = 1)]
        pub(crate) fn new(side: u32) -> Self {
            Square(side)
        }

        #[signature(by = 2)]
        pub(crate) fn grown(&self, by: u32) -> Self {
            call!(Self::new(self.0 + by))
        }

        /// `Self::grown(self, ..)`: the method through `Self`, the receiver first.
        #[signature()]
        pub(crate) fn twice_grown(&self) -> Self {
            let once = call!(Self::grown(self));
            call!(Self::grown(&once, by = 2))
        }
    }
}

#[test]
fn self_paths_and_other_modules() {
    let square = call!(shapes::Square::new());
    assert_eq!(square.0, 1);
    assert_eq!(call!(square.grown()).0, 3);
    assert_eq!(call!(square.grown(by = 5)).0, 6);
}

/// `def method(self, /)`: the receiver precedes the `/` (CPython's `test_super` has one).
#[derive(Debug, PartialEq)]
struct Gauge(i32);

#[signature]
impl Gauge {
    /// `def read(self, /)`.
    #[signature(/)]
    fn read(&self) -> i32 {
        self.0
    }

    /// `def scaled(self, /, k=2)`: `k` may still be passed by keyword.
    #[signature(/, k = 2)]
    fn scaled(&self, k: i32) -> i32 {
        self.0 * k
    }
}

#[test]
fn a_slash_right_after_the_receiver() {
    let gauge = Gauge(5);
    assert_eq!(call!(gauge.read()), 5);
    assert_eq!(call!(gauge.scaled()), 10);
    assert_eq!(call!(gauge.scaled(3)), 15);
    assert_eq!(call!(gauge.scaled(k = 4)), 20);
}

/// A default that names `Self` in a generic `impl`: as an expression, `Self(..)` is the tuple
/// struct's constructor, which outside the block is `Tagged::<T>(..)`, not `Tagged<T>(..)`.
mod self_in_a_generic_default {
    use core::marker::PhantomData;

    use py38::{call, signature};

    #[derive(Debug, PartialEq)]
    pub(crate) struct Tagged<T>(pub(crate) u32, PhantomData<T>);

    #[signature]
    impl<T> Tagged<T> {
        #[signature(start = Self(7, PhantomData))]
        pub(crate) fn restarted(start: Self) -> u32 {
            start.0
        }

        #[signature(by = Self::STEP, floor = Self(0, PhantomData))]
        pub(crate) fn stepped(&self, by: u32, floor: Self) -> Self {
            Tagged((self.0 + by).max(floor.0), PhantomData)
        }

        const STEP: u32 = 2;
    }

    #[test]
    fn a_default_self_constructor_works_in_a_generic_impl() {
        assert_eq!(call!(Tagged::<u8>::restarted()), 7);
        assert_eq!(
            call!(Tagged::<u8>::restarted(start = Tagged(1, PhantomData))),
            1
        );
        let tagged = Tagged::<i64>(3, PhantomData);
        assert_eq!(call!(tagged.stepped()).0, 5);
        assert_eq!(
            call!(tagged.stepped(by = 1, floor = Tagged(9, PhantomData))).0,
            9
        );
    }
}

/// Python's `Point.moved(p, 1, dy=5)`: a method called through its type, the receiver first.
#[test]
fn methods_called_through_their_type_bind_as_through_a_receiver() {
    let p = Point::new(1, 2);
    assert_eq!(
        call!(Point::moved(&p, 1, dy = 5)),
        call!(p.moved(1, dy = 5))
    );
    assert_eq!(
        call!(Point::moved(&p, 1, 2, scale = 3)),
        Point { x: 6, y: 12 }
    );
    let mut q = p;
    assert_eq!(*call!(Point::shift(&mut q)), Point { x: 2, y: 3 });
    assert_eq!(*call!(Point::shift(&mut q, dy = 10)), Point { x: 3, y: 13 });
    assert_eq!(call!(Point::scaled(p, 3)), Point { x: 3, y: 6 });
    assert_eq!(call!(Point::scaled(p, factor = 2)), Point { x: 2, y: 4 });
    let gauge = Gauge(5);
    assert_eq!(call!(Gauge::read(&gauge)), 5);
    assert_eq!(call!(Gauge::scaled(&gauge, k = 4)), 20);
}

/// The receiver is evaluated first, as the first positional argument.
#[test]
fn through_the_type_the_receiver_is_evaluated_first() {
    let order = RefCell::new(Vec::new());
    let note = |name: &'static str, value: i64| {
        order.borrow_mut().push(name);
        value
    };
    let point = || {
        order.borrow_mut().push("receiver");
        Point::new(0, 0)
    };
    let got = call!(Point::moved(
        &point(),
        note("dx", 1),
        scale = note("scale", 3)
    ));
    assert_eq!(got, Point { x: 3, y: 0 });
    assert_eq!(*order.borrow(), ["receiver", "dx", "scale"]);
}

/// Generic types with their arguments written (`Labels::<u8>::label(&l, 0)`), generic methods,
/// and `Self::m(self, ..)` inside the impl block.
#[test]
fn generic_types_and_self_through_the_type() {
    let mut labels: Labels<'_, u8> = call!(Labels::new("#"));
    assert_eq!(call!(Labels::<u8>::push(&mut labels, 7u8, times = 2)), 2);
    assert_eq!(call!(Labels::push::<u8>(&mut labels, 8)), 3);
    assert_eq!(
        call!(Labels::<'_, u8>::label(&labels, 2, upper = true)),
        "#8"
    );
    assert_eq!(call!(Labels::label(&labels, 0)), "#7");
    let future = call!(Labels::shout(&labels, 0));
    assert_eq!(futures_executor::block_on(future), "#7!");
    let square = call!(shapes::Square::new(2));
    assert_eq!(call!(shapes::Square::twice_grown(&square)).0, 6);
}

//! Integration tests of `py38` live in `tests/`. This library holds only what they need from
//! another crate: `#[signature]` functions called across a crate boundary.

/// Functions with signatures, for `tests/integration/signature.rs` to call from its own crate.
pub mod shapes {
    use py38::signature;

    /// Python's `def area(width, height, /, *, scale=1)`.
    #[signature(width, height, /, *, scale = 1)]
    #[must_use]
    pub fn area(width: u32, height: u32, scale: u32) -> u32 {
        width * height * scale * scale
    }

    /// A public function named after a prelude macro: it has no call macro of its name.
    #[signature(out, text, *, end = "\n")]
    pub fn write(out: &mut String, text: &str, end: &str) {
        out.push_str(text);
        out.push_str(end);
    }
}

/// A type with `#[signature]` methods, for calls from another crate.
pub mod geometry {
    use py38::signature;

    /// A point on the plane.
    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    pub struct Point {
        /// Horizontal.
        pub x: i64,
        /// Vertical.
        pub y: i64,
    }

    #[signature]
    impl Point {
        /// Python's `def new(x, /, y=0)`.
        #[signature(x, /, y = 0)]
        #[must_use]
        pub fn new(x: i64, y: i64) -> Self {
            Point { x, y }
        }

        /// Python's `def moved(self, dx, dy=0, *, scale=1)`.
        #[signature(dx, dy = 0, *, scale = 1)]
        #[must_use]
        pub fn moved(&self, dx: i64, dy: i64, scale: i64) -> Self {
            Point {
                x: (self.x + dx) * scale,
                y: (self.y + dy) * scale,
            }
        }
    }
}

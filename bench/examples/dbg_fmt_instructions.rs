//! Formats 200,000 times with `dbg_fmt!` or with the equivalent `format!`, for counting
//! instructions (repeatable where timings are noisy):
//!
//! ```sh
//! cargo build --release -p py38-bench --example dbg_fmt_instructions
//! for v in dbg_debug fmt_debug dbg_spec fmt_spec dbg_method fmt_method; do
//!     valgrind --tool=callgrind --callgrind-out-file=/dev/null \
//!         target/release/examples/dbg_fmt_instructions $v 2>&1 | grep refs
//! done
//! ```

use std::hint::black_box;

use py38::dbg_fmt;

fn main() {
    let which = std::env::args().nth(1).unwrap_or_default();
    let mut total = 0;
    for _ in 0..200_000 {
        let (x, pi, d, name) = black_box((5, std::f64::consts::PI, 2.42, "Alice"));
        let text = match which.as_str() {
            "dbg_debug" => dbg_fmt!("{x=}"),
            "fmt_debug" => format!("x={x:?}"),
            "dbg_spec" => dbg_fmt!("{pi * d=:.2f}"),
            "fmt_spec" => format!("pi * d={:.2}", pi * d),
            "dbg_method" => dbg_fmt!("user {name=} has {name.len()=} letters"),
            "fmt_method" => format!("user name={name:?} has name.len()={:?} letters", name.len()),
            _ => {
                eprintln!(
                    "which? dbg_debug, fmt_debug, dbg_spec, fmt_spec, dbg_method, fmt_method"
                );
                return;
            }
        };
        total += text.len();
    }
    println!("{}", black_box(total));
}

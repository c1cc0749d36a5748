#!/usr/bin/env bash
# Compile time of 500 `dbg_fmt!` calls against the same 500 calls written with `format!`.
# Usage: bench/compile-time/run.sh [runs]   (times each debug build of the file with
# /usr/bin/time after touching it, without incremental compilation; the dependencies are
# built once, first)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
work=$root/target/compile-time
runs=${1:-5}
mkdir -p "$work"
for flavour in dbg_fmt format; do
    crate=$work/$flavour
    mkdir -p "$crate/src"
    cat > "$crate/Cargo.toml" <<TOML
[package]
name = "compile-time-$flavour"
version = "0.0.0"
edition = "2024"
publish = false
[workspace]
[dependencies]
py38 = { path = "$root/runtime" }
TOML
    {
        echo 'fn main() {'
        echo '    let (a, b, name, pi) = (2_i64, 3_i64, "Alice", std::f64::consts::PI);'
        echo '    let mut total = 0;'
        for i in $(seq 1 100); do
            if [ "$flavour" = dbg_fmt ]; then
                echo "    total += py38::dbg_fmt!(\"{a + b + $i = }\").len();"
                echo "    total += py38::dbg_fmt!(\"{name=} {name.len()=} $i\").len();"
                echo "    total += py38::dbg_fmt!(\"{pi * $i.0=:.2f}\").len();"
                echo "    total += py38::dbg_fmt!(\"{a=!s} {b=:>6} $i\").len();"
                echo "    total += py38::dbg_fmt!(\"{} {a:?} {b}\", $i).len();"
            else
                echo "    total += format!(\"a + b + $i = {:?}\", a + b + $i).len();"
                echo "    total += format!(\"name={:?} name.len()={:?} $i\", name, name.len()).len();"
                echo "    total += format!(\"pi * $i.0={:.2}\", pi * $i.0).len();"
                echo "    total += format!(\"a={} b={:>6} $i\", a, b).len();"
                echo "    total += format!(\"{} {a:?} {b}\", $i).len();"
            fi
        done
        echo '    println!("{total}");'
        echo '}'
    } > "$crate/src/main.rs"
    (cd "$crate" && CARGO_INCREMENTAL=0 cargo build -q 2>/dev/null)
done
for flavour in dbg_fmt format; do
    crate=$work/$flavour
    printf '%s:' "$flavour"
    for _ in $(seq 1 "$runs"); do
        touch "$crate/src/main.rs"
        (cd "$crate" && CARGO_INCREMENTAL=0 /usr/bin/time -f ' %e' cargo build -q 2>&1 >/dev/null | tail -1 | tr -d '\n')
    done
    echo ' seconds'
done

#!/usr/bin/env bash
# Compile time of `#[signature]` + `call!` against plain functions and bon's `#[builder]`:
# 50 functions of 6 parameters (`a, b, /, c, d = 4, *, e, f = 6`), then the same with 500
# call sites. Each crate is a debug build without incremental compilation, timed with
# /usr/bin/time after touching its source; dependencies are built once, first.
# Usage: bench/compile-time/signature.sh [runs]   (prints the median of the runs, then the
# cost per definition and per call site, each over the plain functions)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
work=$root/target/compile-time-signature
runs=${1:-5}
fns=50
calls_per_fn=10
mkdir -p "$work"

definition() { # flavour i
    case $1 in
    plain) echo "pub fn f$2(a: i64, b: i64, c: i64, d: i64, e: i64, f: i64) -> i64 { a + b * c - d + e * f }" ;;
    py38) echo "#[py38::signature(a, b, /, c, d = 4, *, e, f = 6)]"
          echo "pub fn f$2(a: i64, b: i64, c: i64, d: i64, e: i64, f: i64) -> i64 { a + b * c - d + e * f }" ;;
    bon) echo "#[bon::builder]"
         echo "pub fn f$2(#[builder(start_fn)] a: i64, #[builder(start_fn)] b: i64, c: i64, #[builder(default = 4)] d: i64, e: i64, #[builder(default = 6)] f: i64) -> i64 { a + b * c - d + e * f }" ;;
    esac
}

call() { # flavour i j
    local n=$(( $3 % 2 ))
    case $1 in
    plain) if [ $n = 0 ]; then echo "    t += f$2($3, 2, 3, 4, 5, 6);"; else echo "    t += f$2($3, 2, 3, 40, 5, 60);"; fi ;;
    py38) if [ $n = 0 ]; then echo "    t += py38::call!(f$2($3, 2, 3, e = 5));"; else echo "    t += py38::call!(f$2($3, 2, c = 3, d = 40, e = 5, f = 60));"; fi ;;
    bon) if [ $n = 0 ]; then echo "    t += f$2($3, 2).c(3).e(5).call();"; else echo "    t += f$2($3, 2).c(3).d(40).e(5).f(60).call();"; fi ;;
    esac
}

for flavour in plain py38 bon; do
    for shape in defs calls; do
        crate=$work/$flavour-$shape
        mkdir -p "$crate/src"
        cat > "$crate/Cargo.toml" <<TOML
[package]
name = "compile-time-$flavour-$shape"
version = "0.0.0"
edition = "2024"
publish = false
[workspace]
[dependencies]
py38 = { path = "$root/runtime" }
bon = "=3.10.3"
TOML
        {
            echo '#![allow(dead_code, unused_imports)]'
            for i in $(seq 1 $fns); do definition $flavour $i; done
            echo 'fn main() {'
            echo '    let mut t = 0_i64;'
            if [ $shape = calls ]; then
                for i in $(seq 1 $fns); do
                    for j in $(seq 1 $calls_per_fn); do call $flavour $i $j; done
                done
            fi
            echo '    println!("{t}");'
            echo '}'
        } > "$crate/src/main.rs"
        (cd "$crate" && CARGO_INCREMENTAL=0 cargo build -q 2>&1 | tail -5)
    done
done

median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
declare -A t
for flavour in plain py38 bon; do
    for shape in defs calls; do
        crate=$work/$flavour-$shape
        samples=""
        for _ in $(seq 1 "$runs"); do
            touch "$crate/src/main.rs"
            s=$(cd "$crate" && CARGO_INCREMENTAL=0 /usr/bin/time -f '%e' cargo build -q 2>&1 >/dev/null | tail -1)
            samples="$samples $s"
        done
        t[$flavour-$shape]=$(echo $samples | tr ' ' '\n' | median)
        echo "$flavour, $fns definitions$([ $shape = calls ] && echo ", $((fns * calls_per_fn)) calls"): ${t[$flavour-$shape]} s (runs:$samples)"
    done
done
calls=$((fns * calls_per_fn))
for flavour in plain py38 bon; do
    awk -v d="${t[$flavour-defs]}" -v c="${t[$flavour-calls]}" -v pd="${t[plain-defs]}" \
        -v fns=$fns -v calls=$calls -v name=$flavour 'BEGIN {
        printf "%-6s per definition: %6.2f ms   per call site: %5.2f ms\n", name, (d - pd) * 1000 / fns, (c - d) * 1000 / calls }'
done

#!/usr/bin/env bash
# Compile time of `#[signature]` + `call!` against plain functions and bon's `#[builder]`:
# 50 functions of 6 parameters (`a, b, /, c, d = 4, *, e, f = 6`), then the same with 500
# call sites; the cost per definition and per call site, each over the plain functions'.
# Usage: bench/compile-time/signature.sh [run.sh's options]   (the same as
# `bench/compile-time/run.sh [options] signature`)

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
    exec "$(dirname "$0")/run.sh" "$@" signature
fi

signature_fns=50
signature_calls_per_fn=10

signature_definition() { # flavour i
    case $1 in
    plain) echo "pub fn f$2(a: i64, b: i64, c: i64, d: i64, e: i64, f: i64) -> i64 { a + b * c - d + e * f }" ;;
    py38) echo "#[py38::signature(a, b, /, c, d = 4, *, e, f = 6)]"
          echo "pub fn f$2(a: i64, b: i64, c: i64, d: i64, e: i64, f: i64) -> i64 { a + b * c - d + e * f }" ;;
    bon) echo "#[bon::builder]"
         echo "pub fn f$2(#[builder(start_fn)] a: i64, #[builder(start_fn)] b: i64, c: i64, #[builder(default = 4)] d: i64, e: i64, #[builder(default = 6)] f: i64) -> i64 { a + b * c - d + e * f }" ;;
    esac
}

signature_call() { # flavour i j
    local n=$(( $3 % 2 ))
    case $1 in
    plain) if [ $n = 0 ]; then echo "    t += f$2($3, 2, 3, 4, 5, 6);"; else echo "    t += f$2($3, 2, 3, 40, 5, 60);"; fi ;;
    py38) if [ $n = 0 ]; then echo "    t += py38::call!(f$2($3, 2, 3, e = 5));"; else echo "    t += py38::call!(f$2($3, 2, c = 3, d = 40, e = 5, f = 60));"; fi ;;
    bon) if [ $n = 0 ]; then echo "    t += f$2($3, 2).c(3).e(5).call();"; else echo "    t += f$2($3, 2).c(3).d(40).e(5).f(60).call();"; fi ;;
    esac
}

signature_main() { # flavour defs|calls
    local i j
    echo '#![allow(dead_code, unused_imports)]'
    for i in $(seq 1 $signature_fns); do signature_definition "$1" "$i"; done
    echo 'fn main() {'
    echo '    let mut t = 0_i64;'
    if [ "$2" = calls ]; then
        for i in $(seq 1 $signature_fns); do
            for j in $(seq 1 $signature_calls_per_fn); do signature_call "$1" "$i" "$j"; done
        done
    fi
    echo '    println!("{t}");'
    echo '}'
}

for flavour in plain py38 bon; do
    for shape in defs calls; do
        ct_crate "signature-$flavour-$shape" 'bon = "=3.10.3"' < <(signature_main $flavour $shape)
    done
done

signature_report() {
    local calls=$((signature_fns * signature_calls_per_fn)) flavour
    ct_table "#[signature] + call! against plain functions and bon's #[builder]: $signature_fns definitions, then $calls call sites" \
        signature-{plain,py38,bon}-{defs,calls}
    for flavour in py38 bon; do
        ct_each "$flavour per definition, over plain" signature-$flavour-defs signature-plain-defs $signature_fns
    done
    ct_over "#[signature] over #[builder], per definition" signature-py38-defs signature-plain-defs \
        signature-bon-defs signature-plain-defs
    for flavour in plain py38 bon; do
        ct_each "$flavour per call site" signature-$flavour-calls signature-$flavour-defs $calls
    done
    ct_each_over "call! per call site, over a plain call" signature-py38-calls signature-py38-defs \
        signature-plain-calls signature-plain-defs $calls
    ct_over "call! over bon, per call site" signature-py38-calls signature-py38-defs \
        signature-bon-calls signature-bon-defs
}

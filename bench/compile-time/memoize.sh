#!/usr/bin/env bash
# Compile time of `#[memoize]` against cached's `#[cached(max_size = 128)]` (an LRU of 128, as
# `#[memoize]`'s default): 100 functions `(u64, String) -> u64`, each called once, against the
# same plain functions.
# Usage: bench/compile-time/memoize.sh [run.sh's options]   (the same as
# `bench/compile-time/run.sh [options] memoize`)

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
    exec "$(dirname "$0")/run.sh" "$@" memoize
fi

memoize_fns=100

memoize_main() { # flavour
    echo '#![allow(dead_code)]'
    local i
    for i in $(seq 1 $memoize_fns); do
        case $1 in
        py38) echo '#[py38::memoize]' ;;
        cached) echo '#[cached::proc_macro::cached(max_size = 128)]' ;;
        esac
        echo "fn f$i(n: u64, s: String) -> u64 { n * $i + s.len() as u64 }"
    done
    echo 'fn main() {'
    echo '    let mut t = 0_u64;'
    for i in $(seq 1 $memoize_fns); do
        echo "    t += f$i($i, String::from(\"x\"));"
    done
    echo '    println!("{t}");'
    echo '}'
}

ct_crate memoize-plain < <(memoize_main plain)
ct_crate memoize-py38 < <(memoize_main py38)
ct_crate memoize-cached 'cached = "=4.1.0"' < <(memoize_main cached)

memoize_report() {
    ct_table "#[memoize] against #[cached(max_size = 128)], $memoize_fns functions called once each" \
        memoize-plain memoize-py38 memoize-cached
    ct_each "#[memoize] per definition" memoize-py38 memoize-plain $memoize_fns
    ct_each "#[cached] per definition" memoize-cached memoize-plain $memoize_fns
    ct_over "#[memoize] over #[cached], per definition" memoize-py38 memoize-plain memoize-cached memoize-plain
}

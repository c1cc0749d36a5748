#!/usr/bin/env bash
# Compile time of `#[memoize]` against cached's `#[cached(max_size = 128)]` (an LRU of 128, as
# `#[memoize]`'s default): 100 functions `(u64, String) -> u64`, each called once, against the
# same plain functions. The same crates with one function tell apart what the first definition
# costs (the runtime's generic code, instantiated once per key and value types) from what each
# further definition of the same types adds.
# Usage: bench/compile-time/memoize.sh [run.sh's options]   (the same as
# `bench/compile-time/run.sh [options] memoize`)

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
    exec "$(dirname "$0")/run.sh" "$@" memoize
fi

memoize_fns=100

memoize_main() { # flavour [functions]
    local fns=${2:-$memoize_fns}
    echo '#![allow(dead_code)]'
    local i
    for i in $(seq 1 "$fns"); do
        case $1 in
        py38) echo '#[py38::memoize]' ;;
        cached) echo '#[cached::proc_macro::cached(max_size = 128)]' ;;
        esac
        echo "fn f$i(n: u64, s: String) -> u64 { n * $i + s.len() as u64 }"
    done
    echo 'fn main() {'
    echo '    let mut t = 0_u64;'
    for i in $(seq 1 "$fns"); do
        echo "    t += f$i($i, String::from(\"x\"));"
    done
    echo '    println!("{t}");'
    echo '}'
}

ct_crate memoize-plain < <(memoize_main plain)
ct_crate memoize-py38 < <(memoize_main py38)
ct_crate memoize-cached 'cached = "=4.1.0"' < <(memoize_main cached)
ct_crate memoize1-plain < <(memoize_main plain 1)
ct_crate memoize1-py38 < <(memoize_main py38 1)
ct_crate memoize1-cached 'cached = "=4.1.0"' < <(memoize_main cached 1)

memoize_report() {
    ct_table "#[memoize] against #[cached(max_size = 128)], $memoize_fns functions called once each" \
        memoize-plain memoize-py38 memoize-cached
    ct_each "#[memoize] per definition" memoize-py38 memoize-plain $memoize_fns
    ct_each "#[cached] per definition" memoize-cached memoize-plain $memoize_fns
    ct_over "#[memoize] over #[cached], per definition" memoize-py38 memoize-plain memoize-cached memoize-plain
    ct_table "The same crates with one function" memoize1-plain memoize1-py38 memoize1-cached
    ct_each "#[memoize] first definition" memoize1-py38 memoize1-plain 1
    ct_each "#[cached] first definition" memoize1-cached memoize1-plain 1
    local further=$((memoize_fns - 1))
    ct_each_over "#[memoize] each further definition" \
        memoize-py38 memoize1-py38 memoize-plain memoize1-plain $further
    ct_each_over "#[cached] each further definition" \
        memoize-cached memoize1-cached memoize-plain memoize1-plain $further
    ct_show "#[memoize] over #[cached], further definitions" x \
        '((x1 - x2) - (x5 - x6)) / ((x3 - x4) - (x5 - x6))' \
        memoize-py38 memoize1-py38 memoize-cached memoize1-cached memoize-plain memoize1-plain
}

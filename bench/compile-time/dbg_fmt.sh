#!/usr/bin/env bash
# Compile time of 500 `dbg_fmt!` calls against the same 500 calls written with `format!`, and
# of one call of each (what loading the macro costs, apart from the calls).
# Usage: bench/compile-time/dbg_fmt.sh [run.sh's options]   (the same as
# `bench/compile-time/run.sh [options] dbg_fmt`; sourced by run.sh, which reads the usage)

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
    exec "$(dirname "$0")/run.sh" "$@" dbg_fmt
fi

dbg_fmt_main() { # flavour calls/5
    echo 'fn main() {'
    echo '    let (a, b, name, pi) = (2_i64, 3_i64, "Alice", std::f64::consts::PI);'
    echo '    let mut total = 0;'
    local i
    for i in $(seq 1 "$2"); do
        if [ "$1" = dbg_fmt ]; then
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
}

ct_crate dbg_fmt-500 < <(dbg_fmt_main dbg_fmt 100)
ct_crate format-500 < <(dbg_fmt_main format 100)
ct_crate dbg_fmt-5 < <(dbg_fmt_main dbg_fmt 1)
ct_crate format-5 < <(dbg_fmt_main format 1)

dbg_fmt_report() {
    ct_table "dbg_fmt! against format! (median seconds of whole builds, min in brackets)" \
        dbg_fmt-500 format-500 dbg_fmt-5 format-5
    ct_ratio "500 dbg_fmt! over 500 format!" dbg_fmt-500 format-500
    ct_ratio "5 dbg_fmt! over 5 format!" dbg_fmt-5 format-5
    ct_each "per dbg_fmt! call, over 5 calls" dbg_fmt-500 dbg_fmt-5 495
    ct_each "per format! call, over 5 calls" format-500 format-5 495
}

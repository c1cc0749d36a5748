#!/usr/bin/env bash
# Compile time of py38's macros against what users would write instead, in one run:
#   dbg_fmt    500 `dbg_fmt!` calls against the same 500 `format!` calls (dbg_fmt.sh)
#   signature  `#[signature]` + `call!` against plain functions and bon's `#[builder]`, per
#              definition and per call site (signature.sh)
#   memoize    `#[memoize]` against cached's `#[cached(max_size = 128)]`, per definition (memoize.sh)
# Each is a throwaway crate (under the cargo target dir's compile-time/, or $CT_WORK), built
# as a debug build after touching its source, as a user rebuilds after saving a file: with
# Cargo's default dev profile (incremental) and with CARGO_INCREMENTAL=0. Dependencies (py38
# by path; bon and cached from crates.io) are built once first and not timed.
#
# Usage: bench/compile-time/run.sh [-n RUNS] [--ir] [SUITE...]   (default: 5 runs, every suite)
#   -n RUNS  timed rebuilds of each crate in each mode; the crates take turns, run by run
#   --ir     also count the instructions of the rustc process that rebuilds each crate, under
#            callgrind (repeatable where wall time is noisy; adds about 50 builds' time)
# Prints, per crate and mode, the median wall time of the whole `cargo build` (min in
# brackets) and the instructions in millions (MIr), then the ratios and per-item costs.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
runs=5
ir=0
suites=()
while [ $# -gt 0 ]; do
    case $1 in
    -n) runs=$2; shift 2 ;;
    --ir) ir=1; shift ;;
    dbg_fmt | signature | memoize) suites+=("$1"); shift ;;
    -h | --help) sed -n '2,/^set -euo/p' "$0" | sed '$d'; exit 0 ;;
    *) sed -n '2,/^set -euo/p' "$0" | sed '$d' >&2; exit 2 ;;
    esac
done
[ ${#suites[@]} -gt 0 ] || suites=(dbg_fmt signature memoize)

# shellcheck source=lib.sh
source "$here/lib.sh"
for suite in "${suites[@]}"; do
    # shellcheck disable=SC1090
    source "$here/$suite.sh"
done
echo "building the crates and their dependencies, both modes ($CT_WORK)"
ct_prepare
echo "timing $runs rebuilds of each crate in each mode"
ct_time "$runs"
if [ $ir = 1 ]; then
    echo "counting instructions under callgrind"
    ct_count
fi
echo "rustc $(rustc --version | cut -d' ' -f2-), $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
for suite in "${suites[@]}"; do
    "${suite}_report"
done

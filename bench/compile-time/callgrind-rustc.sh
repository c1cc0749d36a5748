#!/usr/bin/env bash
# RUSTC_WRAPPER of lib.sh's ct_count: runs rustc on a throwaway crate (`--crate-name ct_...`)
# under callgrind, its log (with the instruction count, "Collected : N") in $CT_IR_LOG; any
# other rustc runs plainly. (Not RUSTC_WORKSPACE_WRAPPER: Cargo hashes that into the crate's
# metadata, which starts a new incremental session.) $CT_IR_OUT, if set, keeps the profile for
# callgrind_annotate. Without Cargo's jobserver: under valgrind, which runs one thread at a
# time, waiting on it costs billions of instructions.
rustc=$1
shift
if [ -n "${CT_IR_LOG:-}" ] && [[ " $* " == *" --crate-name ct_"* ]]; then
    exec env -u CARGO_MAKEFLAGS valgrind --tool=callgrind --callgrind-out-file="${CT_IR_OUT:-/dev/null}" \
        --log-file="$CT_IR_LOG" "$rustc" "$@"
fi
exec "$rustc" "$@"

# Shared by the compile-time scripts (sourced, not run): throwaway crates, their builds in
# both modes, timings and instruction counts. See run.sh for usage.
#
# Each crate is a workspace of its own under $CT_WORK (default: the cargo target dir's
# compile-time/), with one source file, src/main.rs. Every crate of a mode shares one target
# dir, so the dependencies are built once per mode:
#   inc    Cargo's default dev profile (incremental compilation on), CARGO_INCREMENTAL unset
#   noinc  CARGO_INCREMENTAL=0
# A measurement touches src/main.rs and rebuilds, as a user does after saving the file.

ct_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
ct_here=$ct_root/bench/compile-time
CT_WORK=${CT_WORK:-${CARGO_TARGET_DIR:-$ct_root/target}/compile-time}
# The project's pinned compiler (rust-toolchain.toml), unless RUSTUP_TOOLCHAIN says another.
RUSTUP_TOOLCHAIN=${RUSTUP_TOOLCHAIN:-$(sed -n 's/^channel = "\(.*\)"/\1/p' "$ct_root/rust-toolchain.toml")}
export RUSTUP_TOOLCHAIN
mkdir -p "$CT_WORK"

declare -A ct_samples # [crate,mode] -> "seconds seconds ..."
declare -A ct_ir      # [crate,mode] -> instructions of the rustc process that built the crate
ct_crates=()

# ct_crate NAME 'EXTRA DEPENDENCY LINES' < main.rs: writes the crate (if its text changed) and
# registers it (not in a pipeline, which would run it in a subshell: use `< <(generator)`).
ct_crate() {
    local dir=$CT_WORK/$1
    mkdir -p "$dir/src"
    local manifest
    manifest=$(printf '[package]\nname = "ct-%s"\nversion = "0.0.0"\nedition = "2024"\npublish = false\n[workspace]\n[dependencies]\npy38 = { path = "%s/runtime" }\n%s\n' "$1" "$ct_root" "${2:-}")
    [ "$(cat "$dir/Cargo.toml" 2>/dev/null)" = "$manifest" ] || echo "$manifest" > "$dir/Cargo.toml"
    local source
    source=$(cat)
    [ "$(cat "$dir/src/main.rs" 2>/dev/null)" = "$source" ] || echo "$source" > "$dir/src/main.rs"
    ct_crates+=("$1")
}

# ct_cargo MODE CRATE [ARGS]: `cargo build` of the crate in that mode.
ct_cargo() {
    local mode=$1 crate=$2
    shift 2
    if [ "$mode" = inc ]; then
        (cd "$CT_WORK/$crate" && env -u CARGO_INCREMENTAL CARGO_TARGET_DIR="$CT_WORK/target-inc" \
            cargo build -q "$@")
    else
        (cd "$CT_WORK/$crate" && CARGO_INCREMENTAL=0 CARGO_TARGET_DIR="$CT_WORK/target-noinc" \
            cargo build -q "$@")
    fi
}

# ct_prepare: builds every crate in both modes, dependencies included; stops on an error.
ct_prepare() {
    local crate mode
    for mode in inc noinc; do
        for crate in "${ct_crates[@]}"; do
            if ! ct_cargo "$mode" "$crate" 2>"$CT_WORK/$crate.log"; then
                head -40 "$CT_WORK/$crate.log" >&2
                echo "$crate does not build ($mode); see above" >&2
                exit 1
            fi
        done
    done
}

# ct_time RUNS: touches and rebuilds each crate RUNS times, the crates in turn (so a drift of
# the machine's speed falls on all of them alike), both modes.
ct_time() {
    local run crate mode start
    for run in $(seq 1 "$1"); do
        for mode in inc noinc; do
            for crate in "${ct_crates[@]}"; do
                touch "$CT_WORK/$crate/src/main.rs"
                start=$EPOCHREALTIME
                ct_cargo "$mode" "$crate" 2>/dev/null
                ct_samples[$crate,$mode]+=" $(awk -v a="$start" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.4f", b - a }')"
            done
        done
    done
}

# ct_count: instructions of the rustc process that rebuilds each crate after a touch, both
# modes, under callgrind (slow: about 50 times the build; the count repeats run to run).
ct_count() {
    local crate mode log
    for mode in inc noinc; do
        for crate in "${ct_crates[@]}"; do
            log=$CT_WORK/$crate.$mode.callgrind
            touch "$CT_WORK/$crate/src/main.rs"
            CT_IR_LOG=$log RUSTC_WRAPPER=$ct_here/callgrind-rustc.sh \
                ct_cargo "$mode" "$crate" 2>/dev/null
            ct_ir[$crate,$mode]=$(sed -n 's/.*Collected : \([0-9]*\).*/\1/p' "$log" | tail -1)
        done
    done
}

# ct_median CRATE MODE / ct_min CRATE MODE: seconds.
ct_median() { tr ' ' '\n' <<<"${ct_samples[$1,$2]}" | sed '/^$/d' | sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }
ct_min() { tr ' ' '\n' <<<"${ct_samples[$1,$2]}" | sed '/^$/d' | sort -n | head -1; }

# ct_table TITLE CRATE...: median (min) seconds and instructions of each crate, both modes.
ct_table() {
    local crate mode time ir
    echo
    echo "## $1"
    printf '%-22s %-32s %-32s\n' '' 'incremental' 'CARGO_INCREMENTAL=0'
    for crate in "${@:2}"; do
        printf '%-22s' "$crate"
        for mode in inc noinc; do
            time=- ir=-
            if [ -n "${ct_samples[$crate,$mode]:-}" ]; then
                time=$(printf '%.3f s (%.3f)' "$(ct_median "$crate" "$mode")" "$(ct_min "$crate" "$mode")")
            fi
            if [ -n "${ct_ir[$crate,$mode]:-}" ]; then
                ir=$(awk -v i="${ct_ir[$crate,$mode]}" 'BEGIN { printf "%.1f MIr", i / 1e6 }')
            fi
            printf ' %-18s %-13s' "$time" "$ir"
        done
        echo
    done
}

# ct_value CRATE MODE s|i: the median seconds, or the instructions; empty if not measured.
ct_value() {
    if [ "$3" = s ]; then
        [ -z "${ct_samples[$1,$2]:-}" ] || ct_median "$1" "$2"
    else
        echo "${ct_ir[$1,$2]:-}"
    fi
}

# ct_show LABEL x|each EXPRESSION CRATE...: a figure computed from the crates' figures (x1,
# x2, ... in awk, the median seconds, then the instructions), in both modes. `x` prints a
# ratio; `each` a cost, in ms of wall time and millions of instructions.
ct_show() {
    local label=$1 unit=$2 expression=$3 mode what crate k vars value line=""
    shift 3
    for mode in inc noinc; do
        line+=$([ $mode = inc ] && echo "  incremental" || echo "  non-incremental")
        for what in s i; do
            vars="" k=0
            for crate in "$@"; do
                k=$((k + 1))
                value=$(ct_value "$crate" "$mode" "$what")
                [ -n "$value" ] || continue 2
                vars+=" -v x$k=$value"
            done
            # shellcheck disable=SC2086
            line+=$(awk $vars -v u="$unit" -v w="$what" "BEGIN { v = $expression
                if (u == \"x\") printf \" %.2fx %s\", v, (w == \"s\" ? \"wall\" : \"Ir\")
                else if (w == \"s\") printf \" %.3f ms\", v * 1000
                else printf \" %.3f MIr\", v / 1e6 }")
        done
    done
    printf '%-46s%s\n' "$label" "$line"
}

# ct_ratio LABEL A B: A over B.
ct_ratio() { ct_show "$1" x 'x1 / x2' "$2" "$3"; }
# ct_each LABEL A B N: what each of N items costs in A over B.
ct_each() { ct_show "$1" each "(x1 - x2) / $4" "$2" "$3"; }
# ct_over LABEL A A0 B B0: what A adds to A0 over what B adds to B0.
ct_over() { ct_show "$1" x '(x1 - x2) / (x3 - x4)' "$2" "$3" "$4" "$5"; }
# ct_each_over LABEL A A0 B B0 N: what each of N items adds to A0 in A, over the same in B.
ct_each_over() { ct_show "$1" each "((x1 - x2) - (x3 - x4)) / $6" "$2" "$3" "$4" "$5"; }

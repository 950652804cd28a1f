# shellcheck shell=bash
# Shared helpers for bench/compare.sh and bench/history.sh. Source it, don't run it.
#
# Provides: tool resolution (env override -> PATH, unwrapping pip wrapper
# scripts to the real binary), the timing loop (warm-up + RUNS timed runs under
# GNU time), result bookkeeping and the final table.

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_ROOT=$(cd "$BENCH_DIR/.." && pwd)
TIME_BIN=${TIME_BIN:-/usr/bin/time}

die() { echo "error: $*" >&2; exit 2; }
note() { echo "# $*" >&2; }

check_runs() {
    [[ $1 =~ ^[1-9][0-9]*$ ]] || die "RUNS must be a positive integer, got '$1'"
}

check_time() {
    [[ -c /dev/null ]] || die "/dev/null is not a character device (was it clobbered by a tool's report path?)"
    "$TIME_BIN" -f '%e' true >/dev/null 2>&1 \
        || die "GNU time not usable at '$TIME_BIN' (apt-get install time, or set TIME_BIN)"
}

# If $1 is a pip console-script wrapper (python shebang) for a package that
# bundles a native binary, print the bundled binary's path; else print $1.
# Timing the wrapper would add Python start-up (~30-50 ms, ~10 MiB) to every run.
unwrap_pip_wrapper() {
    local bin=$1 interp mod
    if [[ $(head -c 2 "$bin" 2>/dev/null || true) == '#!' ]]; then
        interp=$(head -n 1 "$bin" | sed 's/^#![[:space:]]*//; s/[[:space:]].*$//')
        mod=$(sed -n 's/^from \([A-Za-z0-9_]*\)[A-Za-z0-9_.]* import main$/\1/p' "$bin" | head -n 1)
        if [[ -n $mod && $interp == *python* ]]; then
            local real
            real=$("$interp" -c "import $mod as m; print(m.get_binary_path())" 2>/dev/null || true)
            if [[ -n $real && -x $real ]]; then
                echo "$real"
                return
            fi
        fi
    fi
    echo "$bin"
}

# resolve_tool ENV_VALUE NAME -> prints the executable path, or nothing if absent.
resolve_tool() {
    local override=$1 name=$2 bin=""
    if [[ -n $override ]]; then
        if [[ -x $override && ! -d $override ]]; then
            bin=$override
        else
            bin=$(command -v "$override" 2>/dev/null || true)
        fi
        [[ -n $bin ]] || { note "$name: '$override' (from env) is not executable"; return 0; }
    else
        bin=$(command -v "$name" 2>/dev/null || true)
        [[ -n $bin ]] || return 0
    fi
    unwrap_pip_wrapper "$bin"
}

# Results, indexed by position.
R_NAME=() R_WALL=() R_CPU=() R_RSS=() R_STATUS=()

record_skip() { # NAME REASON
    R_NAME+=("$1") R_WALL+=("") R_CPU+=("") R_RSS+=("") R_STATUS+=("$2")
    note "$1: skipped ($2)"
}

# median of numbers on stdin (mean of the two middle values when even)
median() {
    sort -g | awk '{ v[NR] = $1 } END {
        if (NR == 0) { print ""; exit }
        if (NR % 2) printf "%.3f\n", v[(NR + 1) / 2]
        else printf "%.3f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

# code_ok RC "0 1" -> success if RC is in the list
code_ok() {
    local rc=$1 c
    for c in $2; do [[ $rc == "$c" ]] && return 0; done
    return 1
}

# bench_tool NAME "OK_CODES" CMD... : one warm-up run, then RUNS timed runs.
# Needs RUNS and TMP set. stdout of the tool goes to /dev/null, stderr to a log.
# Tools write their report to "$TMP/NAME.report" (see report_path), removed
# after every run. Never hand a tool /dev/null as its report path: gitleaks
# 8.30 creates, *unlinks* and re-creates --report-path, which deletes the
# system's /dev/null (and leaves a regular file there).
report_path() { echo "$TMP/$1.report"; }
bench_tool() {
    local name=$1 okcodes=$2
    shift 2
    local log="$TMP/$name.stderr" rc=0 i tf t0 t1
    note "$name: $(printf '%q ' "$@")"
    note "$name: warm-up"
    "$@" >/dev/null 2>"$log" || rc=$?
    rm -f "$(report_path "$name")"
    if ! code_ok "$rc" "$okcodes"; then
        echo "FAILED: $name exited with status $rc (accepted: $okcodes); last lines of stderr:" >&2
        tail -n 15 "$log" | sed 's/^/    /' >&2
        R_NAME+=("$name") R_WALL+=("") R_CPU+=("") R_RSS+=("") R_STATUS+=("failed (exit $rc)")
        return 0
    fi
    for ((i = 1; i <= RUNS; i++)); do
        tf="$TMP/$name.$i.time"
        rc=0
        t0=$(date +%s%N)
        "$TIME_BIN" -f '%e %U %S %M' -o "$tf" -- "$@" >/dev/null 2>"$log" || rc=$?
        t1=$(date +%s%N)
        rm -f "$(report_path "$name")"
        if ! code_ok "$rc" "$okcodes"; then
            echo "FAILED: $name run $i exited with status $rc; last lines of stderr:" >&2
            tail -n 15 "$log" | sed 's/^/    /' >&2
            R_NAME+=("$name") R_WALL+=("") R_CPU+=("") R_RSS+=("") R_STATUS+=("failed (exit $rc)")
            return 0
        fi
        # GNU time prepends "Command exited with non-zero status N" on rc != 0:
        # the measurement is always the last line.
        # The wall time from the clock, to the nanosecond: GNU time's `%e` has two decimals,
        # a step of 10 ms, 5% of a 0.2 s run.
        tail -n 1 "$tf" | awk -v ns=$((t1 - t0)) '{ $1 = sprintf("%.3f", ns / 1e9); print }' >"$tf.last"
        note "$name: run $i/$RUNS: $(awk '{ printf "wall %ss cpu %.2fs rss %.0fMiB", $1, $2 + $3, $4 / 1024 }' "$tf.last")"
    done
    local wall cpu rss
    wall=$(cat "$TMP/$name".*.time.last | awk '{ print $1 }' | median)
    cpu=$(cat "$TMP/$name".*.time.last | awk '{ print $2 + $3 }' | median)
    rss=$(cat "$TMP/$name".*.time.last | awk 'BEGIN { m = 0 } { if ($4 > m) m = $4 } END { printf "%.1f\n", m / 1024 }')
    R_NAME+=("$name") R_WALL+=("$wall") R_CPU+=("$cpu") R_RSS+=("$rss") R_STATUS+=("ok")
}

# wall time of a recorded tool, or empty
wall_of() {
    local i
    for i in "${!R_NAME[@]}"; do
        if [[ ${R_NAME[$i]} == "$1" && ${R_STATUS[$i]} == ok ]]; then
            echo "${R_WALL[$i]}"
            return
        fi
    done
}

ratio() { # A B -> A/B with 2 decimals, or n/a
    if [[ -n $1 && -n $2 ]] && awk -v b="$2" 'BEGIN { exit !(b > 0) }'; then
        awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'
    else
        echo "n/a"
    fi
}

# print_table SIZE_UNITS UNIT_LABEL : SIZE_UNITS is the amount of work (MB of
# files, or commits) used for the per-tool throughput column.
print_table() {
    local units=$1 label=$2 kh i tput vs
    kh=$(wall_of keyhound)
    echo
    printf '%-16s %10s %10s %10s %12s %14s  %s\n' tool "wall s" "cpu s" "peak MiB" "x keyhound" "$label" status
    printf '%-16s %10s %10s %10s %12s %14s  %s\n' ---- ------ ----- -------- ---------- "${label//?/-}" ------
    for i in "${!R_NAME[@]}"; do
        if [[ ${R_STATUS[$i]} == ok ]]; then
            tput=$(ratio "$units" "${R_WALL[$i]}")
            vs=$(ratio "${R_WALL[$i]}" "$kh")
            printf '%-16s %10s %10s %10s %12s %14s  %s\n' "${R_NAME[$i]}" "${R_WALL[$i]}" \
                "${R_CPU[$i]}" "${R_RSS[$i]}" "$vs" "$tput" ok
        else
            printf '%-16s %10s %10s %10s %12s %14s  %s\n' "${R_NAME[$i]}" - - - - - "${R_STATUS[$i]}"
        fi
    done
    echo
    echo "wall = median of $RUNS runs after 1 warm-up; cpu = median user+sys; peak MiB = max RSS over runs."
    echo "x keyhound = tool wall / keyhound wall (> 1 means keyhound is faster)."
}

# build_keyhound: sets KEYHOUND_BIN (empty if unavailable).
build_keyhound() {
    KEYHOUND_BIN=""
    if [[ -n ${KEYHOUND:-} ]]; then
        KEYHOUND_BIN=$(resolve_tool "$KEYHOUND" keyhound)
        return 0
    fi
    if ! command -v cargo >/dev/null 2>&1; then
        note "keyhound: cargo not found and KEYHOUND not set"
        return 0
    fi
    note "keyhound: cargo build --release (in $REPO_ROOT)"
    if (cd "$REPO_ROOT" && cargo build --release --quiet) >&2; then
        KEYHOUND_BIN=$REPO_ROOT/target/release/keyhound
        [[ -x $KEYHOUND_BIN ]] || KEYHOUND_BIN=""
    else
        note "keyhound: release build failed"
    fi
}

print_versions() {
    local n=$1 b=$2
    [[ -n $b ]] || return 0
    note "$n: $b ($("$b" --version 2>/dev/null | head -n 1 || true))"
}

#!/usr/bin/env bash
# Hostile inputs at size N and 2N: keyhound's wall time and peak memory on each, and the
# 2N/N ratio of the time, to show that the cost grows linearly (a ratio near 2) and not with
# the square of the input (near 4).
#
# Usage: bench/adversarial.sh [SCALE]        (SCALE multiplies every N; default 1)
#
# Each case is written by bench/adversarial.py (fake credentials from a seeded generator)
# into a temp dir at N and 2N, then run once under `/usr/bin/time -f '%e %M'` and a time
# limit (TIMEOUT seconds, default 120; a run that hits it shows as ">TIMEOUT"):
# `keyhound scan --no-verify --format json -o REPORT ...`, or `keyhound rules check FILE`.
# The N of each case (at SCALE 1) finishes in a few seconds on a busy 2-core machine.
#
#   KEYHOUND  the binary to measure; else `cargo build --release` and target/release/keyhound
#   BEFORE    optional: another keyhound binary, run on the same inputs, in the same table
#   CASES     "pairs-json keyids-line ..." selects a subset (see bench/adversarial.py)
#
# Last, the pre-commit check: `keyhound scan --staged` in a small repository with one staged
# file, median wall time of RUNS_STAGED runs (default 30), for each binary: what starting up
# (loading the rules above all) costs a commit.
set -euo pipefail

# shellcheck source=bench/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

[[ $# -le 1 ]] || { awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "${BASH_SOURCE[0]}" >&2; exit 2; }
SCALE=${1:-1}
[[ $SCALE =~ ^[1-9][0-9]*$ ]] || die "SCALE must be a positive integer, got '$SCALE'"
TIMEOUT=${TIMEOUT:-120}
RUNS_STAGED=${RUNS_STAGED:-30}
check_time
command -v python3 >/dev/null 2>&1 || die "python3 is needed to write the inputs"

TMP=$(mktemp -d "${TMPDIR:-/tmp}/keyhound-adversarial.XXXXXX")
trap 'rm -rf "$TMP"' EXIT

# case and its N at SCALE 1
DEFAULT_CASES="pairs-json:4000 keyids-line:8000 postgres-line:24000 secret-key-line:24000
asia-tokens:4000 base64-blob:4000 urls-and-keys:8000 rules:16000 rules-in-tree:8000 rules-check:8000 allowlist-globs:5000 threads:500 keyword-runs:2000"

build_keyhound
[[ -n $KEYHOUND_BIN ]] || die "no keyhound binary (set KEYHOUND=path or fix the build)"
BINS=("$(readlink -f "$KEYHOUND_BIN")")
NAMES=(keyhound)
if [[ -n ${BEFORE:-} ]]; then
    [[ -x $BEFORE && ! -d $BEFORE ]] || die "BEFORE=$BEFORE is not executable"
    BINS+=("$(readlink -f "$BEFORE")")
    NAMES+=(before)
fi
for i in "${!BINS[@]}"; do print_versions "${NAMES[$i]}" "${BINS[$i]}"; done
note "scale $SCALE, timeout ${TIMEOUT}s, cpus: $(nproc)"

# run_case BIN DIR ARGS... : prints "WALL MIB FINDINGS" ("-" for what is unknown; WALL is
# ">TIMEOUT" for a run stopped, "error" for exit status 2).
run_case() {
    local bin=$1 dir=$2 rc=0 tf=$2/time.out report=$2/report.json
    shift 2
    rm -f "$report" "$tf"
    if [[ $1 == rules ]]; then
        "$TIME_BIN" -f '%e %M' -o "$tf" timeout "$TIMEOUT" "$bin" "$@" >/dev/null 2>"$dir/stderr" || rc=$?
    else
        "$TIME_BIN" -f '%e %M' -o "$tf" timeout "$TIMEOUT" "$bin" scan --no-verify --format json \
            -o "$report" "$@" >/dev/null 2>"$dir/stderr" || rc=$?
    fi
    if [[ $rc == 124 ]]; then
        echo ">$TIMEOUT - -"
        return
    fi
    if [[ $rc -gt 2 ]]; then
        note "$bin $*: exit $rc: $(tail -n 1 "$dir/stderr")"
        echo "failed - -"
        return
    fi
    if [[ $rc == 2 ]]; then
        note "$bin: exit 2 after $(tail -n 1 "$tf" | cut -d' ' -f1)s: $(tail -n 1 "$dir/stderr" | cut -c1-160)"
        echo "error - -"
        return
    fi
    local findings=-
    if [[ -s $report ]]; then
        findings=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["summary"]["findings"])' "$report")
    fi
    tail -n 1 "$tf" | awk -v f="$findings" '{ printf "%s %.0f %s\n", $1, $2 / 1024, f }'
}

cell() { # WALL MIB FINDINGS -> a table cell
    if [[ $1 =~ ^[0-9.]+$ ]]; then
        echo "$1 s, $2 MiB"
    elif [[ $1 == '>'* ]]; then
        echo "$1 s"
    else
        echo "$1"
    fi
}

ratio_of() { # A B -> B/A, or - when either is not a time
    if [[ $1 =~ ^[0-9.]+$ && $2 =~ ^[0-9.]+$ ]] && awk -v a="$1" 'BEGIN { exit !(a > 0) }'; then
        awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", b / a }'
    else
        echo -
    fi
}

ROWS=()
for spec in $DEFAULT_CASES; do
    name=${spec%%:*}
    n=$(( ${spec##*:} * SCALE ))
    if [[ -n ${CASES:-} && " $CASES " != *" $name "* ]]; then
        continue
    fi
    for size in "$n" $((2 * n)); do
        dir=$TMP/$name-$size
        mapfile -t args < <(python3 "$BENCH_DIR/adversarial.py" "$name" "$size" "$dir/input")
        bytes=$(du -sb "$dir/input" | cut -f1)
        note "$name N=$size ($(awk -v b="$bytes" 'BEGIN { printf "%.1f MB", b / 1e6 }'))"
        for i in "${!BINS[@]}"; do
            read -r wall mib found < <(run_case "${BINS[$i]}" "$dir" "${args[@]}")
            note "  ${NAMES[$i]}: ${wall}s ${mib} MiB, findings: $found"
            eval "R_${i}_${size}=\"$wall $mib $found\""
        done
    done
    row="| $name | $n | $(awk -v b="$bytes" 'BEGIN { printf "%.1f MB", b / 1e6 }')"
    for i in "${!BINS[@]}"; do
        eval "a=(\$R_${i}_${n})"
        eval "b=(\$R_${i}_$((2 * n)))"
        row+=" | $(cell "${a[@]}") | $(cell "${b[@]}") | $(ratio_of "${a[0]}" "${b[0]}")"
    done
    ROWS+=("$row |")
done

# The pre-commit check: one staged file in a small repository.
staged_median() { # BIN -> median wall seconds of RUNS_STAGED runs of `scan --staged`
    python3 - "$1" "$TMP/repo" "$RUNS_STAGED" <<'PY'
import statistics, subprocess, sys, time
bin, repo, runs = sys.argv[1], sys.argv[2], int(sys.argv[3])
times = []
for i in range(runs + 3):
    t = time.perf_counter()
    subprocess.run([bin, "scan", "--staged", "--no-verify", "-q"], cwd=repo,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    if i >= 3:  # warm-up
        times.append(time.perf_counter() - t)
print("%.1f" % (statistics.median(times) * 1000))
PY
}
if [[ -z ${CASES:-} || " $CASES " == *" staged "* ]]; then
    mkdir -p "$TMP/repo"
    git -C "$TMP/repo" init -q
    for i in $(seq 1 200); do printf 'def f%s():\n    return %s\n' "$i" "$i" >"$TMP/repo/mod$i.py"; done
    git -C "$TMP/repo" add . && git -C "$TMP/repo" -c user.name=b -c user.email=b@b.invalid commit -qm init
    printf 'print("hello")\n' >"$TMP/repo/new.py"
    git -C "$TMP/repo" add new.py
    STAGED=()
    for i in "${!BINS[@]}"; do
        STAGED+=("$(staged_median "${BINS[$i]}")")
        note "scan --staged, ${NAMES[$i]}: ${STAGED[$i]} ms (median of $RUNS_STAGED)"
    done
fi

echo
header="| case | N | 2N input"
rule="|---|---|---"
for i in "${!BINS[@]}"; do
    header+=" | ${NAMES[$i]} N | ${NAMES[$i]} 2N | ratio"
    rule+="|---|---|---"
done
echo "$header |"
echo "$rule|"
printf '%s\n' "${ROWS[@]}"
echo
echo "ratio = wall at 2N / wall at N: about 2 is linear, about 4 quadratic (\">${TIMEOUT}\": stopped; error: exit status 2)."
echo "N and 2N runs: one each; peak memory is the maximum resident set size (GNU time)."
if [[ -n ${STAGED+x} ]]; then
    for i in "${!BINS[@]}"; do
        echo "keyhound scan --staged (one staged file, 200 committed), ${NAMES[$i]}: ${STAGED[$i]} ms median of $RUNS_STAGED runs"
    done
fi

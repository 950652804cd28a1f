#!/usr/bin/env bash
# Works out what the keyhound GitHub Action scans, from the event that started the workflow.
# Writes `mode` (range, full or none) and `since` (A..B, for `keyhound scan --since`) to
# $GITHUB_OUTPUT, and says why on standard output as workflow commands.
#
#   pull_request(_target): base..head of the pull request.
#   push: before..after when `before` is in the clone; when it is not (a force-push), the merge
#     base of `after` with the default branch; a new branch (`before` all zeros): the commits
#     not on the default branch; a deleted branch: nothing. Otherwise a full scan, with a
#     warning.
#   anything else (workflow_dispatch, schedule, ...): a full scan.
#   INPUT_BASE / INPUT_HEAD (the action's base and head inputs) override all of this.
#
# A shallow clone is an error: its history is cut, so a range or full scan would pass over
# commits it never saw. Run actions/checkout with `fetch-depth: 0`.
set -euo pipefail

out=${GITHUB_OUTPUT:?GITHUB_OUTPUT is not set}
event=${GITHUB_EVENT_NAME:-}
payload=${GITHUB_EVENT_PATH:-}
zeros=0000000000000000000000000000000000000000

emit() { printf '%s=%s\n' "$1" "$2" >>"$out"; }
notice() { echo "::notice title=keyhound::$*"; }
warning() { echo "::warning title=keyhound::$*"; }
error() { echo "::error title=keyhound::$*"; exit 2; }
range() {
  emit mode range
  emit since "$1..$2"
  notice "scanning the commits in $1..$2 ($3)"
  exit 0
}
full() {
  emit mode full
  emit since ""
  [ -n "$1" ] && warning "$1" || notice "full scan ($event)"
  exit 0
}

# A field of the event payload (dotted path), or empty.
field() {
  [ -n "$payload" ] && [ -f "$payload" ] || return 0
  python3 - "$payload" "$1" <<'PY'
import json, sys
value = json.load(open(sys.argv[1], encoding="utf-8"))
for key in sys.argv[2].split("."):
    value = value.get(key) if isinstance(value, dict) else None
if value is None:
    value = ""
print(str(value).lower() if isinstance(value, bool) else value)
PY
}

is_commit() { [ -n "$1" ] && git cat-file -e "$1^{commit}" 2>/dev/null; }

if [ "$(git rev-parse --is-shallow-repository)" = "true" ]; then
  error "this clone is shallow, so commits would be left unscanned: use actions/checkout with fetch-depth: 0"
fi

if [ -n "${INPUT_BASE:-}" ] || [ -n "${INPUT_HEAD:-}" ]; then
  base=${INPUT_BASE:-}
  head=${INPUT_HEAD:-HEAD}
  is_commit "$base" || error "base '$base' is not a commit in this clone"
  is_commit "$head" || error "head '$head' is not a commit in this clone"
  range "$base" "$head" "the base and head inputs"
fi

default_branch=$(field repository.default_branch)
default_ref=""
if [ -n "$default_branch" ] && is_commit "refs/remotes/origin/$default_branch"; then
  default_ref="refs/remotes/origin/$default_branch"
fi

case "$event" in
  pull_request | pull_request_target)
    base=$(field pull_request.base.sha)
    head=$(field pull_request.head.sha)
    is_commit "$head" || error "the pull request head $head is not in this clone"
    is_commit "$base" || error "the pull request base $base is not in this clone: use fetch-depth: 0"
    range "$base" "$head" "pull request"
    ;;
  push)
    if [ "$(field deleted)" = "true" ]; then
      emit mode none
      emit since ""
      notice "the branch was deleted: nothing to scan"
      exit 0
    fi
    before=$(field before)
    after=$(field after)
    [ -n "$after" ] || after=${GITHUB_SHA:-HEAD}
    is_commit "$after" || error "the pushed commit $after is not in this clone"
    if [ "$before" = "$zeros" ] || [ -z "$before" ]; then
      # A new branch: what it holds that the default branch does not.
      if [ -n "$default_ref" ] && [ "$(git rev-parse "$default_ref")" != "$(git rev-parse "$after")" ]; then
        range "$(git rev-parse "$default_ref")" "$after" "new branch: commits not on $default_branch"
      fi
      full "a new branch with no default branch to compare with: scanning everything"
    fi
    if is_commit "$before"; then
      range "$before" "$after" "push"
    fi
    # `before` is not in the clone: a force-push replaced it.
    if [ -n "$default_ref" ]; then
      base=$(git merge-base "$after" "$default_ref" || true)
      if [ -n "$base" ] && [ "$base" != "$(git rev-parse "$after")" ]; then
        warning "the previous tip $before is not in this clone (a force-push?): scanning the commits since the merge base with $default_branch"
        range "$base" "$after" "force-push: since the merge base with $default_branch"
      fi
    fi
    full "the previous tip $before is not in this clone (a force-push?) and there is no merge base to start from: scanning everything"
    ;;
  *)
    full ""
    ;;
esac

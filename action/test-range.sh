#!/usr/bin/env bash
# Tests action/range.sh the way GitHub runs it: a clone made like actions/checkout with
# fetch-depth: 0 (and one with depth 1), GITHUB_* variables and an event payload for each case
# (pull request, push, force-push with `before` missing, new branch, deleted branch, manual
# run, shallow clone). With KEYHOUND=path/to/keyhound it also scans the pull request's range
# and checks that the pair committed there is found. Run by .ci/run.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export GIT_AUTHOR_NAME=tester GIT_AUTHOR_EMAIL=tester@example.invalid
export GIT_COMMITTER_NAME=tester GIT_COMMITTER_EMAIL=tester@example.invalid
export GIT_CONFIG_GLOBAL=/dev/null GIT_CONFIG_NOSYSTEM=1
failures=0

# The "GitHub" side: main with two commits, a feature branch with a key pair in it.
git init -q -b main "$work/origin"
cd "$work/origin"
echo one >a.txt && git add a.txt && git commit -qm one
echo two >>a.txt && git commit -qam two
main_tip=$(git rev-parse HEAD)
git checkout -qb feature
demo=$here/../fixtures/demo/config/app.ini
grep '^aws_' "$demo" >settings.ini
git add settings.ini && git commit -qm "add settings"
echo three >>a.txt && git commit -qam three
feature_tip=$(git rev-parse HEAD)
git checkout -q main
echo four >>a.txt && git commit -qam four
main_new=$(git rev-parse HEAD)

# The runner's side: a full clone, as actions/checkout with fetch-depth: 0 makes it.
git clone -q "file://$work/origin" "$work/clone"
git -C "$work/clone" checkout -q "$feature_tip"

# run_case NAME EVENT PAYLOAD_JSON [DIR] -> sets rc, mode, since, log
run_case() {
  local name=$1 event=$2 json=$3 dir=${4:-$work/clone}
  printf '%s' "$json" >"$work/event.json"
  : >"$work/output"
  set +e
  log=$(cd "$dir" && GITHUB_EVENT_NAME=$event GITHUB_EVENT_PATH=$work/event.json \
    GITHUB_OUTPUT=$work/output GITHUB_SHA=$feature_tip "$here/range.sh" 2>&1)
  rc=$?
  set -e
  mode=$(sed -n 's/^mode=//p' "$work/output")
  since=$(sed -n 's/^since=//p' "$work/output")
  current=$name
}
expect() {
  local want_rc=$1 want_mode=$2 want_since=$3 want_log=${4:-}
  if [ "$rc" != "$want_rc" ] || [ "$mode" != "$want_mode" ] || [ "$since" != "$want_since" ] ||
    { [ -n "$want_log" ] && ! grep -q "$want_log" <<<"$log"; }; then
    echo "FAIL $current: rc=$rc mode=$mode since=$since (want $want_rc $want_mode $want_since '$want_log')"
    echo "$log" | sed 's/^/    /'
    failures=$((failures + 1))
  else
    echo "ok   $current"
  fi
}
repo='"repository": {"default_branch": "main"}'

run_case "pull request" pull_request \
  "{\"pull_request\": {\"base\": {\"sha\": \"$main_tip\"}, \"head\": {\"sha\": \"$feature_tip\"}}, $repo}"
expect 0 range "$main_tip..$feature_tip" "::notice"
pr_range=$since

first=$(git -C "$work/clone" rev-parse "$feature_tip~1")
run_case "push" push "{\"before\": \"$first\", \"after\": \"$feature_tip\", $repo}"
expect 0 range "$first..$feature_tip"

run_case "force-push, before not in the clone" push \
  "{\"before\": \"1234567890abcdef1234567890abcdef12345678\", \"after\": \"$feature_tip\", \"forced\": true, $repo}"
expect 0 range "$main_tip..$feature_tip" "::warning.*force-push"

run_case "force-push to the default branch itself" push \
  "{\"before\": \"1234567890abcdef1234567890abcdef12345678\", \"after\": \"$main_new\", \"forced\": true, $repo}"
expect 0 full "" "::warning.*scanning everything"

run_case "new branch" push \
  "{\"before\": \"0000000000000000000000000000000000000000\", \"after\": \"$feature_tip\", \"created\": true, $repo}"
expect 0 range "$main_new..$feature_tip" "not on main"

run_case "deleted branch" push \
  "{\"before\": \"$feature_tip\", \"after\": \"0000000000000000000000000000000000000000\", \"deleted\": true, $repo}"
expect 0 none ""

run_case "manual run" workflow_dispatch "{$repo}"
expect 0 full ""

git clone -q --depth 1 --branch feature "file://$work/origin" "$work/shallow"
run_case "shallow clone" pull_request \
  "{\"pull_request\": {\"base\": {\"sha\": \"$main_tip\"}, \"head\": {\"sha\": \"$feature_tip\"}}, $repo}" \
  "$work/shallow"
expect 2 "" "" "::error.*fetch-depth: 0"

if [ -n "${KEYHOUND:-}" ]; then
  set +e
  (cd "$work/clone" && "$KEYHOUND" scan --no-verify -q --format github --since "$pr_range" .) >"$work/scan.out"
  rc=$?
  set -e
  if [ "$rc" = 1 ] && grep -q '^::error file=settings.ini,' "$work/scan.out"; then
    echo "ok   keyhound scans the pull request's range and annotates the pair"
  else
    echo "FAIL keyhound on $pr_range: exit $rc"
    sed 's/^/    /' "$work/scan.out"
    failures=$((failures + 1))
  fi
fi

# The README's GitLab job script: each `- ` item of `script:` (a `- |` block as one), as
# GitLab runs them, stopping at the first that fails.
gitlab_script() {
  python3 - "$here/../README.md" <<'PY'
import re, sys
text = open(sys.argv[1], encoding="utf-8").read()
block = text.split("### GitLab CI", 1)[1].split("```yaml", 1)[1].split("```", 1)[0]
lines = block.splitlines()
start = next(i for i, l in enumerate(lines) if l.strip() == "script:")
items, current = [], None
for line in lines[start + 1:]:
    if re.match(r"^  \S", line):  # the next key of the job
        break
    m = re.match(r"^    - (.*)$", line)
    if m:
        current = [] if m.group(1) == "|" else [m.group(1)]
        items.append(current)
    elif current is not None and line.startswith("      "):
        current.append(line[6:])
print("set -eo pipefail")
for item in items:
    if item and not item[0].startswith("pip install"):
        print("\n".join(item))
PY
}
if [ -n "${KEYHOUND:-}" ]; then
  gitlab_script >"$work/gitlab.sh"
  grep -q "secret_detection\|--format gitlab" "$work/gitlab.sh" || { echo "FAIL no GitLab script in README"; exit 1; }
  kdir=$(dirname "$KEYHOUND")
  gitlab_case() {
    local name=$1 want=$2
    shift 2
    rm -f "$work/clone/gl-secret-detection-report.json"
    set +e
    (cd "$work/clone" && env PATH="$kdir:$PATH" CI_DEFAULT_BRANCH=main CI_COMMIT_SHA="$feature_tip" \
      AWS_ENDPOINT_URL_STS=http://127.0.0.1:9 "$@" bash "$work/gitlab.sh") >"$work/gitlab.log" 2>&1
    rc=$?
    set -e
    if [ "$rc" = "$want" ] && grep -q '"file": "settings.ini"' "$work/clone/gl-secret-detection-report.json"; then
      echo "ok   GitLab recipe: $name"
    else
      echo "FAIL GitLab recipe: $name: exit $rc, want $want"
      sed 's/^/    /' "$work/gitlab.log"
      failures=$((failures + 1))
    fi
  }
  gitlab_case "merge request" 1 CI_MERGE_REQUEST_DIFF_BASE_SHA="$main_tip"
  gitlab_case "force-push, old tip gone" 1 CI_COMMIT_BEFORE_SHA=1234567890abcdef1234567890abcdef12345678
  gitlab_case "new branch" 1 CI_COMMIT_BEFORE_SHA=0000000000000000000000000000000000000000
  # A push of the clean last commit only: the range holds no pair, the job passes.
  gitlab_case "push of a clean commit" 0 CI_COMMIT_BEFORE_SHA="$first"
fi

if [ "$failures" -ne 0 ]; then
  echo "test-range: $failures case(s) failed"
  exit 1
fi
echo "test-range: all cases passed"

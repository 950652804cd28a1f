#!/usr/bin/env bash
# The install paths a user takes, end to end, on this machine:
#  1. builds the wheel with maturin from PyPI (one release build), installs it in a fresh
#     virtual environment, and checks `keyhound --version` and a scan that finds a pair;
#  2. packs a release archive from it (packaging/archive.sh) and runs the binary inside;
#  3. stamps the pre-commit hook repository from packaging/pre-commit/ as a scratch git
#     repository, and runs the real pre-commit (from PyPI) in a scratch project with pip
#     pointed at the local wheel directory only (PIP_NO_INDEX, PIP_FIND_LINKS): a commit with
#     a key pair is blocked, a clean one passes, `pre-commit run --all-files` finds a pair
#     committed earlier, and the pre-push hook blocks a push of it.
# It prints how long the first `pre-commit install-hooks` took. With --cargo it also times the
# keyhound-cargo hook (language: rust, a source build) the same way, for comparison.
# Needs Python 3 with venv, git, and network access to PyPI for maturin and pre-commit.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
measure_cargo=0
[ "${1:-}" = "--cargo" ] && measure_cargo=1
work="$root/target/wheel-test"
rm -rf "$work"
mkdir -p "$work/wheels"
version=$(sed -n 's/^version = "\(.*\)"$/\1/p' "$root/Cargo.toml" | head -n1)
export GIT_AUTHOR_NAME=tester GIT_AUTHOR_EMAIL=tester@example.invalid
export GIT_COMMITTER_NAME=tester GIT_COMMITTER_EMAIL=tester@example.invalid
# Keep the fake pairs away from AWS whatever happens.
export AWS_ENDPOINT_URL_STS=http://127.0.0.1:9 NO_COLOR=1

step() { echo "== $*"; }
fail() { echo "test-wheel: FAILED: $*" >&2; exit 1; }

step "maturin from PyPI"
python3 -m venv "$work/build-venv"
"$work/build-venv/bin/python" -m pip install --quiet --upgrade pip
"$work/build-venv/bin/python" -m pip install --quiet "maturin>=1.5,<2" pre-commit
step "maturin build --release"
(cd "$root" && "$work/build-venv/bin/maturin" build --release --locked --out "$work/wheels")
wheel=$(ls "$work"/wheels/keyhound-"$version"-*.whl)

step "install the wheel in a fresh venv"
python3 -m venv "$work/user-venv"
"$work/user-venv/bin/python" -m pip install --quiet --no-index --find-links "$work/wheels" keyhound
kh="$work/user-venv/bin/keyhound"
"$kh" --version | grep -qx "keyhound $version" || fail "keyhound --version: $("$kh" --version)"
[ -f "$work/user-venv/share/man/man1/keyhound.1" ] || fail "the wheel did not install the man page"
[ -f "$work/user-venv/share/bash-completion/completions/keyhound" ] || fail "no bash completion"
# The demo inputs hold generated (fake) key pairs (this repository's .keyhound.toml
# allowlists fixtures/, hence --no-config).
set +e
"$kh" scan --no-verify --no-config -q --format json "$root/fixtures/demo/config/app.ini" >"$work/scan.json"
rc=$?
set -e
[ "$rc" -eq 1 ] || fail "a scan of a generated pair exited $rc, not 1"
grep -q '"rule_id": "aws-access-key-pair"' "$work/scan.json" || fail "the pair was not found"

step "release archive"
target=$(uname -m)-unknown-linux-musl
archive=$("$root/packaging/archive.sh" "$wheel" "$target" "$work/archives")
tar -C "$work/archives" -xzf "$archive"
"$work/archives/keyhound-v$version-$target/keyhound" --version | grep -q "$version" || fail "archive binary"
[ -f "$work/archives/keyhound-v$version-$target/share/man/man1/keyhound.1" ] || fail "archive man page"

step "pre-commit hook repository from the template"
"$root/packaging/pre-commit/stamp.sh" "$version" "$work/hook-repo"
# The hook repository is built with setuptools: it, too, comes from the local directory.
"$work/build-venv/bin/python" -m pip download --quiet --dest "$work/wheels" "setuptools>=61" wheel

# The README's pre-commit snippet for the wheel, as written, pointed at the local hook
# repository.
readme_config() {
  awk '/from the prebuilt wheel \(no Rust\):/ {found=1} found && /^```yaml/ {inside=1; next}
       inside && /^```/ {exit} inside {print}' "$root/README.md"
}
readme_config | grep -q "id: keyhound$" || fail "no pre-commit snippet for the wheel in README.md"

new_project() {
  local dir=$1 repo=$2 rev=$3 id=$4
  mkdir -p "$dir"
  git -C "$dir" init -q
  readme_config |
    sed -e "s|repo: https://github.com/keyhound/keyhound-pre-commit|repo: $repo|" \
      -e "s|rev: v[0-9.]*|rev: $rev|" -e "s|id: keyhound$|id: $id|" \
      >"$dir/.pre-commit-config.yaml"
  grep -q "repo: $repo" "$dir/.pre-commit-config.yaml" || fail "README snippet not usable"
  echo "hello" >"$dir/README.md"
  git -C "$dir" add -A
}

pc="$work/build-venv/bin/pre-commit"
export PRE_COMMIT_HOME="$work/pre-commit-home"
export PIP_NO_INDEX=1 PIP_FIND_LINKS="$work/wheels"
project="$work/project"
new_project "$project" "$work/hook-repo" "v$version" keyhound
cd "$project"
step "pre-commit install-hooks (the wheel)"
start=$(date +%s.%N)
"$pc" install-hooks
wheel_seconds=$(python3 -c "import time; print(f'{time.time() - $start:.1f}')")
"$pc" install --install-hooks >/dev/null
git commit -q -m "clean start" || fail "a clean commit was blocked"

key=$(sed -n 's/^aws_access_key_id *= *//p' "$root/fixtures/demo/config/app.ini" | head -n1)
sec=$(sed -n 's/^aws_secret_access_key *= *//p' "$root/fixtures/demo/config/app.ini" | head -n1)
[ -n "$key" ] && [ -n "$sec" ] || fail "no pair in fixtures/demo/config/app.ini"
printf 'aws_access_key_id = %s\naws_secret_access_key = %s\n' "$key" "$sec" >settings.ini
git add settings.ini
if git commit -q -m "add settings" >"$work/commit.log" 2>&1; then
  fail "a commit with a key pair passed"
fi
grep -q "aws-access-key-pair\|AWS access key pair" "$work/commit.log" || fail "the blocked commit did not name the pair"
git rm -q --cached settings.ini
rm settings.ini
echo "more" >>README.md
git commit -qam "clean change" || fail "a clean commit was blocked"

step "pre-commit run --all-files finds a pair committed earlier"
printf 'aws_access_key_id = %s\naws_secret_access_key = %s\n' "$key" "$sec" >old.ini
git add old.ini
git commit -q --no-verify -m "slipped past the hook"
if "$pc" run --all-files >"$work/all-files.log" 2>&1; then
  fail "pre-commit run --all-files passed with a committed pair"
fi

step "pre-push blocks a push of that commit"
git init -q --bare "$work/remote.git"
git remote add origin "$work/remote.git"
if git push -q origin HEAD:refs/heads/main >"$work/push.log" 2>&1; then
  fail "a push holding a key pair passed the pre-push hook"
fi
cd "$root"
echo "first pre-commit install-hooks with the wheel: ${wheel_seconds}s"

if [ "$measure_cargo" -eq 1 ]; then
  step "pre-commit install-hooks (keyhound-cargo, a source build)"
  unset PIP_NO_INDEX PIP_FIND_LINKS
  git clone -q "$root" "$work/source-repo"
  rev=$(git -C "$work/source-repo" rev-parse HEAD)
  new_project "$work/cargo-project" "$work/source-repo" "$rev" keyhound-cargo
  export PRE_COMMIT_HOME="$work/pre-commit-home-cargo"
  cd "$work/cargo-project"
  start=$(date +%s.%N)
  "$pc" install-hooks
  cargo_seconds=$(python3 -c "import time; print(f'{time.time() - $start:.1f}')")
  cd "$root"
  echo "first pre-commit install-hooks with the source build: ${cargo_seconds}s"
fi
echo "test-wheel: passed"

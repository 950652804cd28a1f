#!/usr/bin/env bash
# Makes the pre-commit hook repository for keyhound VERSION from this template: the files with
# @VERSION@ replaced, in OUT_DIR, committed and tagged vVERSION when OUT_DIR is a new git
# repository (the release pushes it to keyhound/keyhound-pre-commit).
#   packaging/pre-commit/stamp.sh VERSION OUT_DIR
set -euo pipefail
if [ $# -ne 2 ]; then
  echo "usage: $0 VERSION OUT_DIR" >&2
  exit 2
fi
version=$1 out=$2
if ! [[ $version =~ ^[0-9]+\.[0-9]+\.[0-9]+([.-]?[A-Za-z0-9.]+)?$ ]]; then
  echo "stamp.sh: not a version: $version" >&2
  exit 2
fi
here=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$out"
for f in .pre-commit-hooks.yaml pyproject.toml README.md; do
  sed "s/@VERSION@/$version/g" "$here/$f" >"$out/$f"
done
if [ ! -e "$out/.git" ]; then
  git -C "$out" init -q
fi
git -C "$out" add .pre-commit-hooks.yaml pyproject.toml README.md
if ! git -C "$out" diff --cached --quiet; then
  git -C "$out" -c user.name="keyhound release" -c user.email="release@keyhound.invalid" \
    commit -q -m "keyhound $version"
fi
git -C "$out" tag -f "v$version" >/dev/null
echo "stamped keyhound-pre-commit v$version in $out"

#!/usr/bin/env bash
# Packs the keyhound binary of a built wheel as a release archive:
# keyhound-vVERSION-TARGET.tar.gz (.zip for Windows) holding keyhound-vVERSION-TARGET/ with the
# binary, README.md and share/ (man pages, shell completions), and its .sha256 beside it.
# The layout is what Cargo.toml's [package.metadata.binstall] expects.
#   packaging/archive.sh WHEEL TARGET OUT_DIR
set -euo pipefail
if [ $# -ne 3 ]; then
  echo "usage: $0 WHEEL TARGET OUT_DIR" >&2
  exit 2
fi
wheel=$1 target=$2 out=$3
root=$(cd "$(dirname "$0")/.." && pwd)
py=$(command -v python3 || command -v python)
version=$(basename "$wheel" | cut -d- -f2)
name="keyhound-v$version-$target"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$py" -m zipfile -e "$wheel" "$work/wheel"
mkdir -p "$work/stage/$name" "$out"
found=0
for exe in "$work"/wheel/keyhound-*.data/scripts/keyhound "$work"/wheel/keyhound-*.data/scripts/keyhound.exe; do
  if [ -f "$exe" ]; then
    cp "$exe" "$work/stage/$name/"
    chmod +x "$work/stage/$name/$(basename "$exe")"
    found=1
  fi
done
if [ "$found" -ne 1 ]; then
  echo "archive.sh: no keyhound binary in $wheel" >&2
  exit 1
fi
cp -R "$root/packaging/wheel-data/data/share" "$work/stage/$name/share"
cp "$root/README.md" "$work/stage/$name/"
case "$target" in
  *windows*)
    archive="$out/$name.zip"
    (cd "$work/stage" && "$py" -m zipfile -c "$name.zip" "$name")
    mv "$work/stage/$name.zip" "$archive"
    ;;
  *)
    archive="$out/$name.tar.gz"
    tar -C "$work/stage" -czf "$archive" "$name"
    ;;
esac
"$py" - "$archive" <<'PY'
import hashlib, os, sys
path = sys.argv[1]
digest = hashlib.sha256(open(path, "rb").read()).hexdigest()
with open(path + ".sha256", "w") as f:
    f.write(f"{digest}  {os.path.basename(path)}\n")
PY
echo "$archive"

#!/usr/bin/env bash
# Build the archive corpus for bench/archives.sh: real archives, not generated ones.
#
# Usage: bench/archive-corpus.sh OUT_DIR
#
# Writes under OUT_DIR:
#   wheels/   wheels from PyPI (`pip download --only-binary :all: --no-deps`)
#   sdists/   source distributions from PyPI (.tar.gz; `pip download --no-binary :all:`)
#   jars/     the jar files of Debian Java library packages (`apt-get download`, then the
#             regular .jar files of each package's data)
#   image.tar a `docker save`-format tarball assembled here: a root filesystem of Debian
#             packages as the first layer, Python packages installed with pip as the second,
#             a third layer that deletes a file (a whiteout), a config JSON and manifest.json
# Needs network access to PyPI and Debian's mirrors, pip, apt-get, dpkg-deb and python3.
set -euo pipefail

[[ $# -eq 1 ]] || { awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "${BASH_SOURCE[0]}" >&2; exit 2; }
OUT=$(mkdir -p "$1" && cd "$1" && pwd)
WORK=$(mktemp -d "${TMPDIR:-/tmp}/keyhound-corpus.XXXXXX")
trap 'rm -rf "$WORK"' EXIT

WHEELS="boto3 botocore s3transfer requests urllib3 idna certifi charset-normalizer click flask
werkzeug jinja2 markupsafe itsdangerous django sqlalchemy attrs packaging setuptools pip wheel
rich pygments docutils pytest pluggy cryptography cffi pycparser jmespath python-dateutil six
pyyaml numpy"
SDISTS="requests flask click six attrs jmespath pyyaml itsdangerous markupsafe"
JAVA="libcommons-lang3-java libguava-java libjackson2-core-java libjackson2-databind-java
liblog4j2-java libslf4j-java libcommons-io-java libcommons-codec-java libhttpclient-java
libhttpcore-java libcommons-compress-java libjsoup-java"
BASE="base-files bash coreutils libc6 tzdata ca-certificates python3-minimal"

mkdir -p "$OUT/wheels" "$OUT/sdists" "$OUT/jars"
# shellcheck disable=SC2086
pip download -q --no-deps --only-binary :all: -d "$OUT/wheels" $WHEELS
# The sdist files themselves, from PyPI's JSON API (`pip download --no-binary` would build
# each package's build backend from source first).
# shellcheck disable=SC2086
python3 - "$OUT/sdists" $SDISTS <<'PY'
import json, os, sys, urllib.parse, urllib.request
out = sys.argv[1]
for name in sys.argv[2:]:
    api = f"https://pypi.org/pypi/{name}/json"
    with urllib.request.urlopen(api) as r:
        meta = json.load(r)
    sdists = [u for u in meta["urls"] if u["packagetype"] == "sdist"]
    if not sdists:
        print(f"no sdist of {name}", file=sys.stderr)
        continue
    dest = os.path.join(out, sdists[0]["filename"])
    if not os.path.exists(dest):
        urllib.request.urlretrieve(urllib.parse.urljoin(api, sdists[0]["url"]), dest)
PY

mkdir -p "$WORK/debs" "$WORK/java" "$WORK/rootfs"
# shellcheck disable=SC2086
(cd "$WORK/debs" && apt-get download -q $JAVA $BASE >/dev/null)
for p in $JAVA; do
    dpkg-deb -x "$WORK"/debs/"$p"_*.deb "$WORK/java"
done
find "$WORK/java" -type f -name '*.jar' -exec cp {} "$OUT/jars/" \;
for p in $BASE; do
    dpkg-deb -x "$WORK"/debs/"$p"_*.deb "$WORK/rootfs"
done
mkdir -p "$WORK/app/usr/lib/python3/dist-packages"
# shellcheck disable=SC2086
pip install -q --no-deps --no-compile --target "$WORK/app/usr/lib/python3/dist-packages" \
    "$OUT"/wheels/boto3-*.whl "$OUT"/wheels/botocore-*.whl "$OUT"/wheels/requests-*.whl \
    "$OUT"/wheels/urllib3-*.whl "$OUT"/wheels/flask-*.whl
cp "$OUT"/jars/*.jar "$WORK/app/usr/lib/python3/dist-packages/" 2>/dev/null || true

python3 - "$WORK/rootfs" "$WORK/app" "$OUT/image.tar" <<'EOF'
import hashlib, io, json, os, sys, tarfile
rootfs, app, out = sys.argv[1:4]

def layer_from(dir_):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as t:
        for name in sorted(os.listdir(dir_)):
            t.add(os.path.join(dir_, name), arcname=name)
    return buf.getvalue()

def layer_of(files):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as t:
        for name, data in files:
            info = tarfile.TarInfo(name)
            info.size = len(data)
            t.addfile(info, io.BytesIO(data))
    return buf.getvalue()

layers = [layer_from(rootfs), layer_from(app), layer_of([("etc/.wh.motd", b"")])]
digests = [hashlib.sha256(l).hexdigest() for l in layers]
config = json.dumps({
    "architecture": "amd64", "os": "linux",
    "config": {"Env": ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
                       "PYTHONPATH=/usr/lib/python3/dist-packages"],
               "Cmd": ["python3"], "Labels": {"org.opencontainers.image.title": "bench"}},
    "rootfs": {"type": "layers", "diff_ids": ["sha256:" + d for d in digests]},
    "history": [{"created_by": "ADD rootfs /"}, {"created_by": "RUN pip install ..."},
                {"created_by": "RUN rm /etc/motd"}],
}).encode()
config_name = hashlib.sha256(config).hexdigest() + ".json"
manifest = json.dumps([{"Config": config_name, "RepoTags": ["bench/app:latest"],
                        "Layers": [d + "/layer.tar" for d in digests]}]).encode()
with tarfile.open(out, "w") as t:
    def put(name, data):
        info = tarfile.TarInfo(name)
        info.size = len(data)
        t.addfile(info, io.BytesIO(data))
    for d, l in zip(digests, layers):
        put(d + "/layer.tar", l)
    put(config_name, config)
    put("manifest.json", manifest)
EOF

echo "$OUT: $(find "$OUT" -type f | wc -l) files, $(du -sh "$OUT" | cut -f1)"

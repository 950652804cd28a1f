#!/usr/bin/env bash
# Time --aws-triage of many live keys against a local moto IAM (authentication on), with
# verification alone in the same run for comparison.
#
# Usage: bench/triage.sh [KEYS] [RUNS]      (defaults: 50 keys, 3 runs)
#
# Needs the moto venv the tests create (target/moto-venv, or $KEYHOUND_MOTO_VENV: run
# `cargo test --test it moto` once). keyhound is $KEYHOUND, else `cargo build --release` and
# target/release/keyhound. The server is fixtures/sts/moto_sts.py --triage --bulk KEYS on a
# free loopback port; it stops when this script closes its input (and by PID on exit).
# Reported: the median wall time of each mode over RUNS runs (after a warm-up), the moto
# requests of one triage run, and the ratio triage / verification only. Default concurrency.
set -euo pipefail
cd "$(dirname "$0")/.."
KEYS=${1:-50}
RUNS=${2:-3}
VENV=${KEYHOUND_MOTO_VENV:-target/moto-venv}
[[ -x $VENV/bin/python ]] || { echo "no moto venv at $VENV (run: cargo test --test it moto)" >&2; exit 2; }
if [[ -z ${KEYHOUND:-} ]]; then
  cargo build --release --quiet
  KEYHOUND=target/release/keyhound
fi
WORK=$(mktemp -d)
SERVER_PID=""
cleanup() {
  exec 3>&- 2>/dev/null || true
  if [[ -n $SERVER_PID ]] && kill -0 "$SERVER_PID" 2>/dev/null; then
    sleep 1
    kill "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
  fi
  rm -rf "$WORK"
}
trap cleanup EXIT
mkfifo "$WORK/in" "$WORK/out"
"$VENV/bin/python" fixtures/sts/moto_sts.py --triage --bulk "$KEYS" <"$WORK/in" >"$WORK/out" 2>"$WORK/moto.log" &
SERVER_PID=$!
exec 3>"$WORK/in" 4<"$WORK/out"
read -r INFO <&4
mkdir "$WORK/tree"
ENDPOINT=$("$VENV/bin/python" - "$WORK/tree" "$INFO" <<'PY'
import json, sys
tree, info = sys.argv[1], json.loads(sys.argv[2])
for name, k in info["triage"].items():
    if name.startswith("bulk-"):
        with open(f"{tree}/{name}.env", "w") as f:
            f.write(f"AWS_ACCESS_KEY_ID={k['akid']}\nAWS_SECRET_ACCESS_KEY={k['secret']}\n")
print(info["endpoint"])
PY
)
run() {  # mode: prints wall seconds
  local start end
  start=$(date +%s.%N)
  "$KEYHOUND" scan --no-config -q --format json --sts-endpoint "$ENDPOINT" "$@" "$WORK/tree" \
    >"$WORK/report.json" || [[ $? == 1 ]]
  end=$(date +%s.%N)
  echo "$end - $start" | bc
}
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
echo "keys: $KEYS live (moto, loopback), runs: $RUNS, keyhound: $KEYHOUND"
run >/dev/null; run --aws-triage --iam-endpoint "$ENDPOINT" >/dev/null   # warm-up
verify=$(for _ in $(seq "$RUNS"); do run; done | median)
echo counts >&3; read -r _ <&4; echo reset >&3; read -r _ <&4
triage=$(for _ in $(seq "$RUNS"); do run --aws-triage --iam-endpoint "$ENDPOINT"; done | median)
echo counts >&3; read -r COUNTS <&4
risks=$("$VENV/bin/python" -c 'import json,sys,collections; d=json.load(open(sys.argv[1])); print(dict(collections.Counter(f["verification"]["triage"]["risk"] for f in d["findings"])))' "$WORK/report.json")
printf 'verification only   %6.2f s\n' "$verify"
printf 'with --aws-triage   %6.2f s   (%.1fx)\n' "$triage" "$(echo "$triage / $verify" | bc -l)"
echo "risks of the last run: $risks"
echo "requests over $RUNS triage runs: $COUNTS" | cut -c1-400

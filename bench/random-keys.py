#!/usr/bin/env python3
"""Random keys through the real detector: how many values of each rule's own format keyhound
finds, compared between binaries. For every rule with an entropy floor, its first two
examples are rewritten N times with the secret's random parts (runs of letters and digits
after the rule's keyword prefix) redrawn from a seeded generator (no value is real), one file
per variant; each binary scans them all, and the share of variants its rule reports is
printed per value shape (`hex32`, `a6220`: 20 of 62 letters and digits, `hex8+hex4+…`).

Usage: bench/random-keys.py N MODE DIR KEYHOUND...
  MODE  `same`: each run redrawn in the alphabet the example uses (runs of 8 or more);
        `hex`: every run of 4 or more redrawn as lowercase hex, for the rules whose pattern
        accepts it (many providers issue hex keys that a rule's wider class also admits).
  DIR   where the variants are written (replaced).
Variants whose rewritten secret the pattern (read with Python's `re`) no longer captures are
left out, and so are rules whose pattern Python cannot read. A variant can be missed on
purpose: a checksum format (GitHub, npm) fails its checksum with a random body, and values
under 16 characters (12 for hex) keep the rule's floor as written.
"""
import collections
import glob
import json
import os
import random
import re
import shutil
import subprocess
import sys
import tomllib

ALPHABETS = {
    "hex": "0123456789abcdef",
    "HEX": "0123456789ABCDEF",
    "digits": "0123456789",
    "l36": "0123456789abcdefghijklmnopqrstuvwxyz",
    "u36": "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ",
    "a62": "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ",
}


def kind(run):
    for name, pattern in [("digits", "[0-9]+"), ("hex", "[0-9a-f]+"), ("HEX", "[0-9A-F]+"),
                          ("l36", "[0-9a-z]+"), ("u36", "[0-9A-Z]+")]:
        if re.fullmatch(pattern, run):
            return name
    return "a62"


def variants(n, mode, out):
    rng = random.Random(42)
    shutil.rmtree(out, ignore_errors=True)
    os.makedirs(out)
    shape_of = (lambda run: "hex") if mode == "hex" else kind
    least = 4 if mode == "hex" else 8
    meta = {}
    for path in sorted(glob.glob("rules/*.toml")):
        for rule in tomllib.load(open(path, "rb")).get("rules", []):
            if rule.get("entropy") is None:
                continue
            try:
                rx = re.compile(rule["pattern"].encode())
            except re.error:
                continue
            group = rule.get("secret_group") or 1
            for e, example in enumerate(rule.get("examples", [])[:2]):
                m = rx.search(example.encode())
                if not m or m.lastindex is None or group > m.lastindex:
                    continue
                secret = m.group(group).decode(errors="replace")
                start, end = m.span(group)
                skip = max((len(k) for k in rule.get("keywords", []) if secret.startswith(k)), default=0)
                runs = [(max(a.start(), skip), a.end())
                        for a in re.finditer("[A-Za-z0-9]{%d,}" % least, secret) if a.end() > skip]
                if not runs:
                    continue
                shape = "+".join(f"{shape_of(secret[a:b])}{b - a}" for a, b in runs)
                for i in range(n):
                    new = list(secret)
                    for a, b in runs:
                        alphabet = ALPHABETS[shape_of(secret[a:b])]
                        for j in range(a, b):
                            new[j] = rng.choice(alphabet)
                    new = "".join(new)
                    text = example[:start] + new + example[end:]
                    m2 = rx.search(text.encode())
                    if not m2 or m2.group(group).decode() != new:
                        continue
                    name = f"{rule['id']}__{e}_{i}.txt"
                    with open(os.path.join(out, name), "w") as f:
                        f.write(text + "\n")
                    meta[name] = (rule["id"], shape)
    return meta


def main():
    if len(sys.argv) < 5 or sys.argv[2] not in ("same", "hex"):
        sys.exit(__doc__)
    n, mode, out, binaries = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4:]
    meta = variants(n, mode, out)
    print(f"{len(meta)} variants of {len({r for r, _ in meta.values()})} rules")
    report = out.rstrip("/") + ".report.json"
    for binary in binaries:
        subprocess.run([binary, "scan", "--no-history", "--no-verify", "--no-config",
                        "--format", "json", "-o", report, out], capture_output=True)
        found = collections.defaultdict(set)
        for finding in json.load(open(report))["findings"]:
            found[os.path.basename(finding["path"])].add(finding["rule_id"])
        total, hit = collections.Counter(), collections.Counter()
        for name, (rule, shape) in meta.items():
            total[shape] += 1
            hit[shape] += rule in found.get(name, ())
        print(f"{binary}: {sum(hit.values())}/{len(meta)} = "
              f"{100 * sum(hit.values()) / len(meta):.1f}% of variants reported by their rule")
        for shape, count in total.most_common(15):
            print(f"   {shape:<28} {hit[shape]:6}/{count:<6} {100 * hit[shape] / count:5.1f}%")


if __name__ == "__main__":
    main()

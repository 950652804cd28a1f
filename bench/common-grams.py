#!/usr/bin/env python3
"""Count the four-byte sequences of source trees and write the most frequent ones as the
Rust table `src/detect/grams.rs`, which the keyword sieve uses to pick, for each keyword, the
four bytes least frequent in real code as its fingerprint (see `src/detect/sieve.rs`).

Usage: bench/common-grams.py [--top N] DIR... > src/detect/grams.rs

Text files only (no NUL byte in their first 8 KiB), at most 1 MiB of each, case as written.
The table that is committed was made from the HEAD trees of spring-projects/spring-framework,
expressjs/express, psf/requests and prometheus/prometheus (Java, JavaScript, Python, Go,
YAML, Markdown), not from the benchmark corpus, so that it describes code in general.
"""
import argparse
import collections
import os
import sys


def files(roots):
    for root in roots:
        for d, dirs, names in os.walk(root):
            dirs[:] = [x for x in dirs if x != ".git"]
            for n in names:
                p = os.path.join(d, n)
                if os.path.isfile(p) and not os.path.islink(p):
                    yield p


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--top", type=int, default=4096)
    ap.add_argument("dirs", nargs="+")
    a = ap.parse_args()
    counts = collections.Counter()
    total = 0
    for p in files(a.dirs):
        try:
            with open(p, "rb") as f:
                data = f.read(1 << 20)
        except OSError:
            continue
        if b"\0" in data[:8192]:
            continue
        counts.update(data[i:i + 4] for i in range(len(data) - 3))
        total += max(len(data) - 3, 0)
    if total == 0:
        sys.exit("no text found")
    top = counts.most_common(a.top)
    out = sys.stdout
    out.write("//! The most frequent four-byte sequences of source code, with how often each occurs\n")
    out.write("//! (per million positions, at least 1), most frequent first. Made by\n")
    out.write("//! `bench/common-grams.py`; see there for the trees it counted. Do not edit by hand.\n\n")
    out.write(f"// {total} positions counted; the last entry occurs {top[-1][1]} times.\n")
    out.write(f"pub(super) static COMMON: [([u8; 4], u16); {len(top)}] = [\n")
    for g, c in top:
        per_million = max(1, min(65535, round(c * 1_000_000 / total)))
        lit = "".join(chr(b) if 0x20 <= b < 0x7F and chr(b) not in "\\\"" else f"\\x{b:02x}" for b in g)
        out.write(f'    (*b"{lit}", {per_million}),\n')
    out.write("];\n")


if __name__ == "__main__":
    main()

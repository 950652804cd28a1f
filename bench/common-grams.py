#!/usr/bin/env python3
"""Count the four-byte sequences of source trees and write the most frequent ones as
the Rust table `src/detect/grams.rs`, which the keyword sieve uses to pick, for each keyword,
the bytes least frequent in real code as its fingerprints (see `src/detect/sieve.rs`). Also
the frequency of every pair of ASCII bytes that occurs, from which the sieve estimates how
often a sequence rarer than the table's last entry occurs (`command` makes `mand` common
although it is not in the table; `ckha` of `stackhawk` is rare).

Bytes are counted folded, as the sieve hashes them: each with its case bit (0x20) set, so that
`Tion`, `TION` and `tion` are one sequence (and a newline counts as `*`, a tab as `)`).

Usage: bench/common-grams.py [--top N] [--rules DIR] DIR... > src/detect/grams.rs

With --rules (rules/ of the repository), also how often every four bytes of every built-in
keyword occur (folded), those the trees hold at all: the
sieve then knows that `docu` of `docusign` is common (`document`) and `cusi` rare, where the
pairs alone cannot tell.

Text files only (no NUL byte in their first 8 KiB), at most 1 MiB of each.
The table that is committed was made from the HEAD trees of spring-projects/spring-framework,
expressjs/express, psf/requests and prometheus/prometheus (Java, JavaScript, Python, Go,
YAML, Markdown), not from the benchmark corpus, so that it describes code in general.
"""
import argparse
import collections
import glob
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


def literal(g):
    return "".join(chr(b) if 0x20 <= b < 0x7F and chr(b) not in "\\\"" else f"\\x{b:02x}" for b in g)


FOLD = bytes(b | 0x20 for b in range(256))


def fold(data):
    """Every byte with its case bit set, as the sieve hashes them."""
    return data.translate(FOLD)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--top", type=int, default=4096)
    ap.add_argument("--rules", help="rules directory whose keywords' four-byte sequences to count")
    ap.add_argument("dirs", nargs="+")
    a = ap.parse_args()
    counts = collections.Counter()
    pairs = collections.Counter()
    total = 0
    pair_total = 0
    for p in files(a.dirs):
        try:
            with open(p, "rb") as f:
                data = f.read(1 << 20)
        except OSError:
            continue
        if b"\0" in data[:8192]:
            continue
        data = fold(data)
        counts.update(data[i:i + 4] for i in range(len(data) - 3))
        total += max(len(data) - 3, 0)
        pairs.update(data[i:i + 2] for i in range(len(data) - 1))
        pair_total += max(len(data) - 1, 0)
    if total == 0:
        sys.exit("no text found")
    top = counts.most_common(a.top)
    out = sys.stdout
    out.write("//! How often sequences of bytes occur in source code, folded (every byte with its case\n")
    out.write("//! bit 0x20 set): the most frequent four-byte sequences, those of the built-in rules'\n")
    out.write("//! keywords, and every pair of ASCII bytes.\n")
    out.write("//! Made by `bench/common-grams.py`; see there for the trees it counted. Do not edit by\n")
    out.write("//! hand.\n\n")
    out.write(f"// {total} positions counted; the last entry occurs {top[-1][1]} times.\n")
    out.write(f"pub(super) static COMMON: [([u8; 4], u16); {len(top)}] = [\n")
    for g, c in top:
        per_million = max(1, min(65535, round(c * 1_000_000 / total)))
        out.write(f'    (*b"{literal(g)}", {per_million}),\n')
    out.write("];\n")
    if a.rules:
        import tomllib  # Python 3.11 or later, needed only to read the rules

        top_set = {g for g, _ in top}
        wanted = set()
        for path in sorted(glob.glob(os.path.join(a.rules, "*.toml"))):
            with open(path, "rb") as f:
                doc = tomllib.load(f)
            for rule in doc.get("rules", []):
                for k in rule.get("keywords", []):
                    k = fold(k.encode())
                    wanted.update(k[i:i + 4] for i in range(len(k) - 3))
        found = sorted((g, counts[g]) for g in wanted if counts.get(g) and g not in top_set)
        out.write("\n// How often the four-byte sequences of the built-in rules' keywords that are not in\n")
        out.write("// COMMON occur, per billion positions (those that occur at all), by sequence.\n")
        out.write(f"pub(super) static KEYWORD_GRAMS: [([u8; 4], u32); {len(found)}] = [\n")
        for g, c in found:
            out.write(f'    (*b"{literal(g)}", {round(c * 1_000_000_000 / total)}),\n')
        out.write("];\n")
    out.write("\n// How often each pair of ASCII bytes occurs, per billion positions, indexed by\n")
    out.write(f"// 128 * first + second ({pair_total} positions counted).\n")
    out.write("#[rustfmt::skip]\n")
    out.write("pub(super) static PAIRS: [u32; 128 * 128] = [\n")
    dense = [round(pairs.get(bytes([a, b]), 0) * 1_000_000_000 / pair_total) for a in range(128) for b in range(128)]
    for i in range(0, len(dense), 16):
        out.write("    " + ", ".join(str(x) for x in dense[i:i + 16]) + ",\n")
    out.write("];\n")


if __name__ == "__main__":
    main()

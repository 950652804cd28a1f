#!/usr/bin/env python3
"""Pathological inputs for bench/adversarial.sh: each case at a given size, made of fake
credentials from a seeded generator (none is real).

Usage: bench/adversarial.py CASE N DIR

Writes the input of CASE at size N under DIR (created) and prints the arguments to give
`keyhound` (one per line) after `scan --no-verify --format json -o REPORT`, or, for `rules
check`, the whole command line after the binary. The issue each case comes from is in
brackets. Cases:

  pairs-json      one line of minified JSON holding N {accessKeyId, secretAccessKey} records [4]
  keyids-line     one line holding N key IDs, about 310 bytes apart [5]
  postgres-line   one line holding N postgres://user:password@host URLs [5]
  secret-key-line one line holding N secret_key="..." assignments [5]
  asia-tokens     one line holding N temporary keys, each with its secret and session token
  base64-blob     one base64 value (1.6 MB per 4,000) holding N key IDs
  urls-and-keys   one line holding N postgres:// URLs whose passwords are AWS secrets, each
                  after a key ID (the AWS finding replaces the URL rule's)
  rules           a configuration of N rules (distinct keywords), given with --config, over
                  one small file [6]
  rules-in-tree   the same configuration as .keyhound.toml in the scanned tree: one blob
                  holds every rule's keyword and example
  rules-check     `keyhound rules check FILE` on a rule file of N rules with examples [6]
  allowlist-globs a .keyhound.toml whose allowlist holds N path globs, over one small file [6]
  threads         one small file scanned with -j N [7]
  keyword-runs    N lines of 2,000 `A`s (base64 of zeros), where a rule keyword (Dropbox's
                  `AAAAAAAAAA`) occurs at every byte, with a Dropbox token every 100 lines
"""

import random
import sys
from pathlib import Path

BASE32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
MODERN_FIFTH = "QRSTUVWXYZ234567"
B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"

rng = random.Random(20240601)


def no_runs(s, n=3):
    return not any(len(set(s[i : i + n])) == 1 for i in range(len(s) - n + 1))


def key_id(prefix="AKIA"):
    while True:
        k = prefix + rng.choice(MODERN_FIFTH) + "".join(rng.choice(BASE32) for _ in range(15))
        if no_runs(k) and "EXAMPLE" not in k and len(set(k[4:])) >= 10:
            return k


def secret():
    while True:
        s = "".join(rng.choice(B64) for _ in range(40))
        low = s.lower()
        if (
            s[0].isalnum()
            and s[-1].isalnum()
            and no_runs(s)
            and any(c.isdigit() for c in s)
            and any(c.isupper() for c in s)
            and any(c.islower() for c in s)
            and s.count("/") < 2
            and not any(w in low for w in ("example", "secret", "xxxx", "your", "fake", "dummy"))
        ):
            return s


def token():
    while True:
        t = "IQoJb3JpZ2luX2Vj" + "".join(rng.choice(B64) for _ in range(284))
        low = t.lower()
        if no_runs(t) and not any(w in low for w in ("example", "secret", "session", "token", "xxxx")):
            return t


def word(n):
    return "".join(rng.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(n))


def one_line(dir, name, parts):
    (dir / name).write_text("".join(parts) + "\n")
    return [str(dir / name)]


def pairs_json(n, dir):
    recs = [
        '{"id":%d,"region":"us-east-1","accessKeyId":"%s","secretAccessKey":"%s","enabled":true}'
        % (i, key_id(), secret())
        for i in range(n)
    ]
    return one_line(dir, "records.min.json", ["[", ",".join(recs), "]"])


def keyids_line(n, dir):
    filler = " ".join(word(7) for _ in range(36))
    return one_line(dir, "ids.txt", ['"%s": "%s", ' % (filler, key_id()) for _ in range(n)])


def postgres_line(n, dir):
    return one_line(
        dir,
        "urls.txt",
        ["postgres://u%d:%s@h%d.db.internal/app " % (i, "".join(rng.choice(ALNUM) for _ in range(16)), i) for i in range(n)],
    )


def secret_key_line(n, dir):
    return one_line(dir, "settings.cfg", ['secret_key="%s" ' % secret() for _ in range(n)])


def asia_tokens(n, dir):
    return one_line(
        dir,
        "session.json",
        [
            '{"AccessKeyId":"%s","SecretAccessKey":"%s","SessionToken":"%s"},' % (key_id("ASIA"), secret(), token())
            for _ in range(n)
        ],
    )


def base64_blob(n, dir):
    import base64

    filler = "lorem ipsum dolor sit amet, consectetur adipiscing elit\n" * 5
    text = "".join("%sid = %s\n" % (filler, key_id()) for _ in range(n))
    return one_line(dir, "blob.b64", ["data: ", base64.b64encode(text.encode()).decode()])


def urls_and_keys(n, dir):
    return one_line(
        dir,
        "urls.txt",
        ["id=%s url=postgres://u%d:%s@h%d.db.internal/app " % (key_id(), i, secret(), i) for i in range(n)],
    )


def rule(i, examples):
    r = [
        "[[rules]]",
        'id = "bench-token-%d"' % i,
        'name = "Bench token %d"' % i,
        'severity = "low"',
        "pattern = '''\\b(bt%dx_[a-z0-9]{20})\\b'''" % i,
        'keywords = ["bt%dx_"]' % i,
    ]
    if examples:
        r += [
            "examples = ['''t = bt%dx_%s''']" % (i, "".join(rng.choice("abcdefghijklmnopqrstuvwxyz0123456789") for _ in range(20))),
            "negative_examples = ['''nothing here''']",
        ]
    return "\n".join(r) + "\n"


def small_file(dir):
    (dir / "app.py").write_text("import os\nprint('hello')\n" * 20)


def rules_config(n, dir):
    (dir / "tree").mkdir()
    small_file(dir / "tree")
    (dir / "rules.toml").write_text("\n".join(rule(i, True) for i in range(n)))
    return ["--no-builtin-rules", "--config", str(dir / "rules.toml"), str(dir / "tree")]


def rules_in_tree(n, dir):
    small_file(dir)
    (dir / ".keyhound.toml").write_text("\n".join(rule(i, True) for i in range(n)))
    return ["--no-builtin-rules", str(dir)]


def rules_check(n, dir):
    (dir / "bench.toml").write_text("\n".join(rule(i, True) for i in range(n)))
    return ["rules", "check", str(dir / "bench.toml")]


def allowlist_globs(n, dir):
    small_file(dir)
    globs = ",\n".join("  'build%d/**/*.min.js'" % i for i in range(n))
    (dir / ".keyhound.toml").write_text("[allowlist]\npaths = [\n%s,\n]\n" % globs)
    return [str(dir)]


def threads(n, dir):
    small_file(dir)
    return ["-j", str(n), str(dir)]


def keyword_runs(n, dir):
    def dropbox():
        pick = lambda k: "".join(rng.choice(ALNUM) for _ in range(k))
        return pick(11) + "A" * 10 + pick(43)

    run = "A" * 2000
    lines = [
        ("token = %s\n" % dropbox()) if i % 100 == 0 else run + "\n" for i in range(n)
    ]
    (dir / "zeros.b64").write_text("".join(lines))
    return [str(dir / "zeros.b64")]


CASES = {
    "pairs-json": pairs_json,
    "keyids-line": keyids_line,
    "postgres-line": postgres_line,
    "secret-key-line": secret_key_line,
    "asia-tokens": asia_tokens,
    "base64-blob": base64_blob,
    "urls-and-keys": urls_and_keys,
    "rules": rules_config,
    "rules-in-tree": rules_in_tree,
    "rules-check": rules_check,
    "allowlist-globs": allowlist_globs,
    "threads": threads,
    "keyword-runs": keyword_runs,
}


def main():
    if len(sys.argv) != 4 or sys.argv[1] not in CASES:
        sys.stderr.write(__doc__)
        sys.exit(2)
    case, n, dir = sys.argv[1], int(sys.argv[2]), Path(sys.argv[3])
    dir.mkdir(parents=True, exist_ok=True)
    print("\n".join(CASES[case](n, dir)))


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
# NOTE: this suite is written under the name "gitleaks" (gitleaks/ and gitleaks.labels.json) only so
# that ../shared/suites/score.py, which knows the suites "gitleaks" and "kingfisher", can score it
# unchanged. Its cases come from trufflehog, not from gitleaks. Keep it in its own --out directory.
"""Extract trufflehog's own detector pattern tests into one file per case.

What it extracts
----------------
trufflehog (github:trufflesecurity/trufflehog) tests each detector's regular expressions in
`pkg/detectors/<name>/<name>_test.go` (sometimes `pkg/detectors/<name>/v2/...` or
`pkg/detectors/<name>/<sub>/...`) with a function `Test<Name>_Pattern`. It holds a table:

    tests := []struct{ name string; input string; want []string }{
        {name: "valid pattern",   input: fmt.Sprintf("%s = '%s'", keyword, validPattern), want: []string{validPattern}},
        {name: "invalid pattern", input: ..., want: nil},
    }

For each table element this script evaluates the input text with golite.py (the small Go
expression evaluator of ../shared/suites, imported at run time; package-level `const`/`var`
blocks of the detector's directory and locals assigned before the table are evaluated too) and
writes it to a case file. An element whose expected matches (`want`, `expected`, ...) are
non-empty, or whose `shouldMatch`-style flag is true, is a true-positive case ("tp"); one with
nil or empty expectations is a false-positive case ("fp"). Elements that cannot be evaluated
(inputs built by helper functions, random generators, loops, unsupported Go) are skipped and
counted by reason; so are pattern tests with no table. `*_integration_test.go` files are not read.

Labels: provider = the directory right under pkg/detectors (so `github/v2` is provider `github`);
rule = the detector's directory path under pkg/detectors joined with "-" (e.g. `github-v2`), plus
".<TestFunction>" where one directory has more than one pattern test function.

usage
-----
    python3 bench/extract_trufflehog.py --mirror TRUFFLEHOG_GITDIR [--out DIR] [--suites-dir DIR]

TRUFFLEHOG_GITDIR is a bare git directory of trufflesecurity/trufflehog (the `fetch` tool gives
one); HEAD is read (`git --git-dir=... cat-file --batch` on HEAD:<path>, the text that
`git show HEAD:<path>` prints), nothing is checked out; the commit read is printed. It writes
DIR/gitleaks/<provider>/<rule>__{tp,fp}_<n>.txt and DIR/gitleaks.labels.json (DIR defaults to
./suite-cases-trufflehog), replacing DIR/gitleaks/. Then score it with

    python3 ../shared/suites/score.py --keyhound target/release/keyhound --cases DIR --suites gitleaks

The cases are full of secret-shaped text (some of it real-looking keys from trufflehog's tests):
write them to an ignored scratch directory (keyhound's .gitignore ignores /suite-cases-*), never
commit them, and do not copy them into keyhound's own tests.

Python 3.11+, standard library only (plus golite.py from --suites-dir).
"""
import argparse
import collections
import json
import os
import random
import re
import shutil
import subprocess
import sys

SUITE = "gitleaks"  # see the note at the top of this file
DETECTORS = "pkg/detectors/"
REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# struct field names, in order of preference
INPUT_FIELDS = ["input", "data", "text", "payload", "content", "chunk"]
BOOL_MATCH_FIELDS = ["shouldMatch", "wantMatched", "wantMatch", "shouldFind", "match", "valid", "isValid"]
SKIP_FIELDS = ["skip"]

golite = None  # the module, imported in main() from --suites-dir


def git(mirror, *args):
    return subprocess.run(["git", "--git-dir", mirror] + list(args), check=True,
                          capture_output=True, text=True).stdout


class Unresolved(Exception):
    """An expression we do not (or cannot) evaluate; str() is the reason used in the report."""


# ------------------------------------------------------------------ token helpers

OPEN = {"(": ")", "[": "]", "{": "}"}


def is_op(tok, v):
    return tok[0] == "op" and tok[1] == v


def match_close(toks, i):
    """toks[i] is an opening bracket; index of its matching closing bracket."""
    depth = 0
    for j in range(i, len(toks)):
        k, v = toks[j]
        if k == "op" and v in OPEN:
            depth += 1
        elif k == "op" and v in (")", "]", "}"):
            depth -= 1
            if depth == 0:
                return j
    raise Unresolved("unbalanced brackets")


def split_depth0(toks, sep):
    """Split a token list at depth-0 occurrences of op `sep`; ';' tokens at depth 0 are dropped."""
    parts, cur, depth = [], [], 0
    for tok in toks:
        k, v = tok
        if k == "op" and v in OPEN:
            depth += 1
        elif k == "op" and v in (")", "]", "}"):
            depth -= 1
        if depth == 0 and k == "op" and v == sep:
            parts.append(cur)
            cur = []
        elif depth == 0 and k == "op" and v == ";":
            continue
        else:
            cur.append(tok)
    if cur:
        parts.append(cur)
    return parts


def split_statements(toks):
    """Split a block body at depth-0 ';' (golite's tokenizer inserts Go's automatic semicolons)."""
    return [part for part in split_depth0(toks, ";") if part]


def top_level(toks):
    """Yields ('func', name, body_tokens), ('decl', kind, stmt_tokens) for each const/var spec,
    and ('type', name, type_tokens) for package-level declarations of one Go file."""
    i, n = 0, len(toks)
    while i < n:
        k, v = toks[i]
        if k == "id" and v == "func":
            j = i + 1
            name = None
            if is_op(toks[j], "("):  # method receiver
                j = match_close(toks, j) + 1
            if toks[j][0] == "id":
                name = toks[j][1]
                j += 1
            # parameters, then results, then the body's '{' at depth 0
            while j < n and not is_op(toks[j], "{"):
                if toks[j][0] == "op" and toks[j][1] in ("(", "["):
                    j = match_close(toks, j)
                elif toks[j] in (("id", "struct"), ("id", "interface")) and is_op(toks[j + 1], "{"):
                    j = match_close(toks, j + 1)
                j += 1
            if j >= n:
                return
            end = match_close(toks, j)
            yield ("func", name, toks[j + 1:end])
            i = end + 1
        elif k == "id" and v in ("var", "const", "type"):
            if is_op(toks[i + 1], "("):
                end = match_close(toks, i + 1)
                body = toks[i + 2:end]
                i = end + 1
            else:
                j = i + 1
                depth = 0
                while j < n:
                    kk, vv = toks[j]
                    if kk == "op" and vv in OPEN:
                        depth += 1
                    elif kk == "op" and vv in (")", "]", "}"):
                        depth -= 1
                    elif kk == "op" and vv == ";" and depth == 0:
                        break
                    j += 1
                body = toks[i + 1:j] + [("op", ";")]
                i = j + 1
            for st in split_statements(body):
                if v == "type":
                    if st and st[0][0] == "id":
                        rest = st[1:]
                        if rest and is_op(rest[0], "="):
                            rest = rest[1:]
                        yield ("type", st[0][1], rest)
                else:
                    yield ("decl", v, st)
        else:
            i += 1


# ------------------------------------------------------------------ evaluation


def go_value_str(x, verb):
    if isinstance(x, bool):
        return "true" if x else "false"
    if isinstance(x, list):
        return "[" + " ".join(go_value_str(e, verb) for e in x) + "]"
    if isinstance(x, dict):
        return "map[" + " ".join("%s:%s" % (go_value_str(k, verb), go_value_str(v, verb))
                                 for k, v in sorted(x.items())) + "]"
    return str(x)


def go_quote(s):
    out = ['"']
    for c in s:
        if c in '"\\':
            out.append("\\" + c)
        elif c == "\n":
            out.append("\\n")
        elif c == "\t":
            out.append("\\t")
        elif c == "\r":
            out.append("\\r")
        elif ord(c) < 0x20 or ord(c) == 0x7f:
            out.append("\\x%02x" % ord(c))
        else:
            out.append(c)
    out.append('"')
    return "".join(out)


_VERB = re.compile(r"%([-+# 0]*)(\d*)(?:\.(\d+))?([a-zA-Z%])")


def go_sprintf(fmt, args):
    """fmt.Sprintf for the verbs the pattern tests use (%s %v %d %q %x %X %t %c), with width/flags."""
    out, pos, ai = [], 0, 0
    for m in _VERB.finditer(fmt):
        out.append(fmt[pos:m.start()])
        pos = m.end()
        flags, width, prec, verb = m.groups()
        if verb == "%":
            out.append("%")
            continue
        if ai >= len(args):
            raise Unresolved("Sprintf: missing argument")
        a = args[ai]
        ai += 1
        if verb in "sv":
            s = go_value_str(a, verb)
            if prec:
                s = s[:int(prec)]
        elif verb == "d":
            if not isinstance(a, int) or isinstance(a, bool):
                raise Unresolved("Sprintf: %d of a non-integer")
            s = str(a)
        elif verb == "q":
            if not isinstance(a, str):
                raise Unresolved("Sprintf: %q of a non-string")
            s = go_quote(a)
        elif verb in "xX":
            if isinstance(a, int):
                s = format(a, "x")
            elif isinstance(a, str):
                s = a.encode("utf-8").hex()
            else:
                raise Unresolved("Sprintf: %x of this type")
            if verb == "X":
                s = s.upper()
        elif verb == "t" and isinstance(a, bool):
            s = "true" if a else "false"
        elif verb == "c" and isinstance(a, int):
            s = chr(a)
        else:
            raise Unresolved("Sprintf verb %" + verb)
        if width and len(s) < int(width):
            pad = int(width) - len(s)
            if "-" in flags:
                s = s + " " * pad
            elif "0" in flags and verb in "dxX":
                s = "0" * pad + s
            else:
                s = " " * pad + s
        out.append(s)
    out.append(fmt[pos:])
    if ai != len(args):
        raise Unresolved("Sprintf: extra arguments")
    return "".join(out)


def make_evaluator_class():
    base = golite.Evaluator

    class Evaluator(base):
        """golite's evaluator, refusing opaque values in calls and with a fuller fmt.Sprintf."""

        def apply(self, name, args, spread):
            for a in args:
                if a is golite.OPAQUE or (isinstance(a, list) and any(e is golite.OPAQUE for e in a)):
                    raise golite.EvalError("opaque argument to " + name)
            if name == "fmt.Sprintf":
                try:
                    return go_sprintf(args[0], args[1:])
                except Unresolved as e:
                    raise golite.EvalError(str(e))
            if name == "fmt.Sprint":
                return "".join(go_value_str(a, "v") for a in args)
            if name == "strings.Join" and len(args) == 2 and isinstance(args[0], list):
                if not all(isinstance(e, str) for e in args[0]):
                    raise golite.EvalError("strings.Join of non-strings")
                return args[1].join(args[0])
            if name in ("strings.Repeat",) and not (isinstance(args[0], str) and isinstance(args[1], int)):
                raise golite.EvalError("strings.Repeat arguments")
            if name in ("strconv.Itoa",) and isinstance(args[0], int):
                return str(args[0])
            if name == "len" and isinstance(args[0], (str, list, dict)):
                return len(args[0])
            return base.apply(self, name, args, spread)

    return Evaluator


class Scope:
    """Values of one detector directory's package-level names plus one function's locals, and why
    the names we could not evaluate are missing."""

    def __init__(self, ev, globals_, unresolved):
        self.ev = ev
        self.globals = globals_
        self.unresolved = unresolved  # name -> reason

    def reason(self, err):
        msg = str(err)
        m = re.match(r"unknown name (\S+)", msg)
        if m:
            nm = m.group(1).split(".")[0]
            if nm in self.unresolved:
                return self.unresolved[nm]
            return "unknown name"
        m = re.match(r"unknown call (\S+)", msg)
        if m:
            return "call " + m.group(1)
        if msg.startswith("opaque argument"):
            return "opaque value (struct, regexp, ...)"
        return re.sub(r"[\"'].*", "", msg)[:60] or type(err).__name__

    def eval(self, toks, env):
        """Evaluate one whole expression; raise Unresolved(reason) if we cannot."""
        if not toks:
            raise Unresolved("empty expression")
        ev = self.ev
        ev.globals = self.globals
        try:
            v = ev.eval_tokens(toks, env)
            if ev.p != len(toks):
                raise golite.EvalError("unsupported operator %r" % (toks[ev.p][1],))
        except golite.EvalError as e:
            raise Unresolved(self.reason(e))
        except (LookupError, ValueError, TypeError, AttributeError, ZeroDivisionError) as e:
            raise Unresolved("eval %s" % type(e).__name__)
        if v is golite.OPAQUE:
            raise Unresolved("opaque value (struct, regexp, ...)")
        return v


def assign(scope, st, env, declared_only=False):
    """Run one `names [type] = values`, `names := values`, `name += value` statement (or the body of
    a var/const spec when declared_only). Names that fail go to scope.unresolved, not to env."""
    toks = st
    ops = (("=",) if declared_only else ("=", ":=", "+="))
    eq = None
    depth = 0
    for i, (k, v) in enumerate(toks):
        if k == "op" and v in OPEN:
            depth += 1
        elif k == "op" and v in (")", "]", "}"):
            depth -= 1
        elif depth == 0 and k == "op" and v in ops:
            eq = i
            break
    if eq is None:
        if declared_only:  # `var x string` / `var xs []string`: the zero value
            names = [t[1] for t in toks if t[0] == "id"][:1]
            for nm in names:
                env[nm] = [] if any(is_op(t, "[") for t in toks) else ""
        return
    lhs = toks[:eq]
    op = toks[eq][1]
    names = []
    for part in split_depth0(lhs, ","):
        if part and part[0][0] == "id":
            names.append(part[0][1])  # a type after the last name (`var x string =`) is ignored
        else:
            return
    rhs = split_depth0(toks[eq + 1:], ",")
    if len(rhs) != len(names):
        for nm in names:
            env.pop(nm, None)
            scope.unresolved[nm] = "multi-value call"
        return
    for nm, expr in zip(names, rhs):
        if nm == "_":
            continue
        try:
            val = scope.eval(expr, env)
            if op == "+=":
                old = env.get(nm, scope.globals.get(nm))
                if not isinstance(old, str) or not isinstance(val, str):
                    raise Unresolved("+= on a non-string")
                val = old + val
            env[nm] = val
            scope.unresolved.pop(nm, None)
        except Unresolved as e:
            env.pop(nm, None)
            scope.unresolved[nm] = str(e)


def load_package(scope, sources):
    """Evaluate the package-level const/var specs of a directory's Go files. Go allows any order,
    so repeat until nothing more resolves."""
    specs = []
    for src in sources:
        for item in top_level(golite.tokenize(src)):
            if item[0] == "decl":
                specs.append(item[2])
    for _ in range(6):
        before = dict(scope.globals)
        for st in specs:
            assign(scope, st, scope.globals, declared_only=True)
        if scope.globals == before:
            break


# ------------------------------------------------------------------ test tables


def parse_struct_type(toks, i, types):
    """toks[i:] starts a struct type ([]struct{...}, map[K]struct{...}, []T, map[K]T);
    -> (kind 'slice'|'map', fields, index just after the type) or None."""
    kind = None
    if is_op(toks[i], "[") and is_op(toks[i + 1], "]"):
        kind, j = "slice", i + 2
    elif toks[i] == ("id", "map") and is_op(toks[i + 1], "["):
        kind, j = "map", match_close(toks, i + 1) + 1
    else:
        return None
    if is_op(toks[j], "*"):
        j += 1
    if toks[j] == ("id", "struct") and is_op(toks[j + 1], "{"):
        end = match_close(toks, j + 1)
        return kind, fields_of(toks[j + 2:end]), end + 1
    if toks[j][0] == "id" and toks[j][1] in types:
        return kind, types[toks[j][1]], j + 1
    return None


def fields_of(inner):
    """Fields of a struct body (tokens between the braces): [(name, type text)]."""
    out = []
    for st in split_statements(inner):
        # strip a trailing struct tag
        if st and st[-1][0] == "str":
            st = st[:-1]
        names, j = [], 0
        while j < len(st) and st[j][0] == "id":
            names.append(st[j][1])
            j += 1
            if j < len(st) and is_op(st[j], ","):
                j += 1
            else:
                break
        if j >= len(st) and len(names) >= 2:
            typ = names.pop()  # `name string`
        elif j < len(st):
            typ = "".join(v for _, v in st[j:])
        else:
            continue  # embedded field
        for nm in names:
            out.append((nm, typ))
    return out


def find_table(body, types):
    """-> (statement index, statements, table variable name, kind, fields, literal body tokens) of
    the first `X := []struct{...}{...}` (or map / named struct type) statement of a function body,
    or None."""
    stmts = split_statements(body)
    for si, st in enumerate(stmts):
        if len(st) < 4:
            continue
        if st[0][0] == "id" and st[1][1] in (":=", "="):
            name, j = st[0][1], 2
        elif st[0] == ("id", "var") and st[1][0] == "id" and is_op(st[2], "="):
            name, j = st[1][1], 3
        else:
            continue
        try:
            t = parse_struct_type(st, j, types)
        except (Unresolved, IndexError):
            t = None
        if not t:
            continue
        kind, fields, k = t
        if k < len(st) and is_op(st[k], "{"):
            end = match_close(st, k)
            return si, stmts, name, kind, fields, st[k + 1:end]
    return None


def table_elements(kind, lit):
    """Split a composite literal body into elements: [(key tokens or None, element body tokens)]."""
    out = []
    for part in split_depth0(lit, ","):
        if not part:
            continue
        key = None
        if kind == "map":
            kv = split_depth0(part, ":")
            if len(kv) < 2:
                raise Unresolved("map element without key")
            key, part = kv[0], [t for p in kv[1:] for t in p]  # rejoin is fine: value is {...}
            # split_depth0 dropped the ':' only at depth 0, the value is one braced literal
        j = 0
        while j < len(part) and (part[j][0] == "id" or is_op(part[j], "&") or is_op(part[j], ".")):
            j += 1  # an explicit element type such as testCase{...}
        if j < len(part) and is_op(part[j], "{") and match_close(part, j) == len(part) - 1:
            out.append((key, part[j + 1:-1]))
        else:
            out.append((key, None))
    return out


def element_fields(fields, body):
    """-> {field name: expression tokens} for a keyed or positional struct literal."""
    parts = split_depth0(body, ",")
    names = [f for f, _ in fields]
    out = {}
    keyed = parts and len(parts[0]) >= 2 and parts[0][0][0] == "id" and is_op(parts[0][1], ":")
    for pi, p in enumerate(parts):
        if not p:
            continue
        if keyed:
            if len(p) < 2 or p[0][0] != "id" or not is_op(p[1], ":"):
                raise Unresolved("mixed struct literal")
            out[p[0][1]] = p[2:]
        else:
            if pi >= len(names):
                raise Unresolved("positional literal longer than struct")
            out[names[pi]] = p
    return out


def list_emptiness(toks):
    """True/False if the tokens are syntactically an empty / non-empty list or map literal,
    None when that needs evaluation."""
    if len(toks) == 1 and toks[0] == ("id", "nil"):
        return True
    # []T{...} or map[K]V{...}: the last brace pair is the literal
    if toks and is_op(toks[-1], "}") and (is_op(toks[0], "[") or toks[0] == ("id", "map")):
        depth = 0
        for i in range(len(toks) - 1, -1, -1):
            k, v = toks[i]
            if k == "op" and v == "}":
                depth += 1
            elif k == "op" and v == "{":
                depth -= 1
                if depth == 0:
                    inner = [t for t in toks[i + 1:-1] if not is_op(t, ";")]
                    return not any(not is_op(t, ",") for t in inner)
    return None


def classify(scope, env, fields, ef):
    """-> (label 'tp'|'fp', input text); raises Unresolved(reason)."""
    ftype = dict(fields)
    for sk in SKIP_FIELDS:
        if sk in ef:
            try:
                if scope.eval(ef[sk], env) is True or ef[sk] == [("id", "true")]:
                    raise Unresolved("element marked skip")
            except Unresolved as e:
                if str(e) == "element marked skip":
                    raise
    in_field = next((f for f in INPUT_FIELDS if f in ftype and ftype[f] in ("string", "[]byte")), None)
    if in_field is None:
        raise Unresolved("table has no input field")
    if in_field not in ef:
        raise Unresolved("empty input")
    text = scope.eval(ef[in_field], env)
    if isinstance(text, list) and all(isinstance(c, int) for c in text):
        text = bytes(text).decode("utf-8", "replace")
    if not isinstance(text, str):
        raise Unresolved("input is not a string")
    if text == "":
        raise Unresolved("empty input")

    label = None
    bool_field = next((f for f in BOOL_MATCH_FIELDS if ftype.get(f) == "bool"), None)
    if bool_field:
        toks = ef.get(bool_field)
        if toks is None:
            label = "fp"
        else:
            v = scope.eval(toks, env)
            if not isinstance(v, bool):
                raise Unresolved("match flag not a bool")
            label = "tp" if v else "fp"
    else:
        want = [f for f, t in fields
                if (t.startswith("[]") or t.startswith("map[")) and re.match(r"(?i)(want|expect|match)", f)]
        count = [f for f, t in fields if t == "int" and re.match(r"(?i)(want|expect)", f)]
        if want:
            empty = True
            for f in want:
                toks = ef.get(f)
                if toks is None:
                    continue
                e = list_emptiness(toks)
                if e is None:
                    v = scope.eval(toks, env)
                    if not isinstance(v, (list, dict)):
                        raise Unresolved("want is not a list")
                    e = len(v) == 0
                if not e:
                    empty = False
            label = "fp" if empty else "tp"
        elif count:
            toks = ef.get(count[0])
            v = 0 if toks is None else scope.eval(toks, env)
            if not isinstance(v, int):
                raise Unresolved("want count not an int")
            label = "tp" if v > 0 else "fp"
        else:
            raise Unresolved("table has no expected-result field")
    return label, text


def extract_function(scope, body, types, counts):
    """-> ([(label, text, element name)], n_skipped) for one Test*_Pattern function."""
    found = find_table(body, types)
    if not found:
        counts["functions: no test table (inputs built in code)"] += 1
        return None
    si, stmts, tname, kind, fields, lit = found
    env = {}
    for st in stmts[:si]:
        if st[0][0] == "id" and st[0][1] in ("if", "for", "switch", "return", "defer", "go", "t", "require", "assert"):
            continue
        if st[0] == ("id", "var"):
            assign(scope, st[1:], env, declared_only=True)
        else:
            assign(scope, st, env)
    # tables extended after their literal (appends in loops or helpers) lose those elements
    later = [t for st in stmts[si + 1:] for t in st]
    for i in range(len(later) - 2):
        if later[i] == ("id", "append") and is_op(later[i + 1], "(") and later[i + 2] == ("id", tname):
            counts["functions: table extended in code (those elements lost)"] += 1
            break
    out = []
    try:
        elems = table_elements(kind, lit)
    except Unresolved as e:
        counts["elements: " + str(e)] += 1
        return out
    for _key, ebody in elems:
        if ebody is None:
            counts["elements: element is not a struct literal"] += 1
            continue
        try:
            ef = element_fields(fields, ebody)
            label, text = classify(scope, env, fields, ef)
        except Unresolved as e:
            counts["elements: " + str(e)] += 1
            continue
        out.append((label, text))
    return out


# ------------------------------------------------------------------ main


def main():
    global golite
    ap = argparse.ArgumentParser(description="Extract trufflehog's detector pattern tests into one file per "
                                             "case, in the layout score.py scores as its 'gitleaks' suite.")
    ap.add_argument("--mirror", required=True, metavar="GITDIR",
                    help="bare git directory of github:trufflesecurity/trufflehog; HEAD is read")
    ap.add_argument("--out", default="suite-cases-trufflehog", metavar="DIR",
                    help="output directory (default ./suite-cases-trufflehog); DIR/gitleaks/ is replaced")
    ap.add_argument("--suites-dir", default=os.path.join(REPO_ROOT, "..", "shared", "suites"), metavar="DIR",
                    help="directory holding golite.py (default: ../shared/suites from the repository root)")
    ap.add_argument("--seed", type=int, default=20240601,
                    help="seed for golite's random generators (trufflehog tests rarely need them)")
    ap.add_argument("-v", "--verbose", action="store_true", help="list every skipped element's file and reason")
    a = ap.parse_args()

    sys.dont_write_bytecode = True  # no __pycache__ beside golite.py
    suites_dir = os.path.abspath(a.suites_dir)
    if not os.path.isfile(os.path.join(suites_dir, "golite.py")):
        sys.exit("no golite.py in %s (pass --suites-dir)" % suites_dir)
    sys.path.insert(0, suites_dir)
    import golite as _golite  # noqa: E402
    golite = _golite
    Evaluator = make_evaluator_class()

    commit = git(a.mirror, "rev-parse", "HEAD").strip()
    print("trufflehog commit read: %s" % commit)
    all_files = git(a.mirror, "ls-tree", "-r", "--name-only", "HEAD", DETECTORS).split("\n")
    all_files = [f for f in all_files if f.endswith(".go")]
    tests = sorted(f for f in all_files
                   if f.endswith("_test.go") and not f.endswith("_integration_test.go")
                   and f.count("/") >= 3)  # pkg/detectors/<name>/..._test.go
    if not tests:
        sys.exit("no detector tests under %s at HEAD %s of %s" % (DETECTORS, commit[:12], a.mirror))
    by_dir = collections.defaultdict(list)
    for f in all_files:
        if not f.endswith("_integration_test.go"):
            by_dir[os.path.dirname(f)].append(f)
    # one `git cat-file --batch` for every blob we need
    want_dirs = sorted({os.path.dirname(f) for f in tests})
    paths = [f for d in want_dirs for f in by_dir[d]]
    sources = read_blobs(a.mirror, paths)

    counts = collections.Counter()
    skipped_where = []
    results = []  # (test file, provider, rule, [(label, text)])
    files_read = 0
    rng = random.Random(a.seed)
    for d in want_dirs:
        dir_tests = [f for f in tests if os.path.dirname(f) == d]
        funcs = []
        types = {}
        for f in dir_tests:
            for item in top_level(golite.tokenize(sources[f])):
                if item[0] == "func" and item[1] and re.match(r"Test\w*_Pattern", item[1]):
                    funcs.append((f, item[1], item[2]))
                elif item[0] == "type":
                    toks = item[2]
                    if len(toks) >= 2 and toks[0] == ("id", "struct") and is_op(toks[1], "{"):
                        types[item[1]] = fields_of(toks[2:match_close(toks, 1)])
        if not funcs:
            continue
        files_read += len({f for f, _, _ in funcs})
        scope = Scope(Evaluator(rng), {"true": True, "false": False}, {})
        load_package(scope, [sources[f] for f in by_dir[d]])
        sub = d[len(DETECTORS):]
        provider = sub.split("/")[0]
        base_rule = sub.replace("/", "-")
        for f, fname, body in funcs:
            rule = base_rule if len(funcs) == 1 else "%s.%s" % (base_rule, fname)
            before = sum(v for k, v in counts.items() if k.startswith("elements:"))
            snapshot = collections.Counter(counts)
            got = extract_function(scope, body, types, counts)
            if got is None:
                skipped_where.append((f, fname, "no test table"))
                continue
            lost = sum(v for k, v in counts.items() if k.startswith("elements:")) - before
            if lost and a.verbose:
                diff = counts - snapshot
                skipped_where.append((f, fname, ", ".join("%s x%d" % (k, v) for k, v in diff.items())))
            results.append((f, provider, rule, got))
            counts["functions: with a table"] += 1

    suite_dir = os.path.join(a.out, SUITE)
    if os.path.isdir(suite_dir):
        shutil.rmtree(suite_dir)
    os.makedirs(suite_dir)
    labels = []
    for f, provider, rule, got in results:
        n = {"tp": 0, "fp": 0}
        for label, text in got:
            n[label] += 1
            rel = os.path.join(provider, "%s__%s_%d.txt" % (rule, label, n[label]))
            full = os.path.join(suite_dir, rel)
            os.makedirs(os.path.dirname(full), exist_ok=True)
            with open(full, "w", encoding="utf-8", newline="") as fh:
                fh.write(text)
            labels.append({"suite": SUITE, "provider": provider, "rule": rule, "label": label, "n": n[label],
                           "file": os.path.join(SUITE, rel), "path_sensitive": False,
                           "source": "%s@%s" % (f, commit[:12]), "fp_is_tp_of_other_rule": False,
                           "_text": text})
    # an fp text that is also a tp text of another detector is a valid secret of that detector
    tp_rules = collections.defaultdict(set)
    for c in labels:
        if c["label"] == "tp":
            tp_rules[c["_text"]].add(c["rule"])
    for c in labels:
        if c["label"] == "fp":
            c["fp_is_tp_of_other_rule"] = bool(tp_rules.get(c["_text"], set()) - {c["rule"]})
            if c["rule"] in tp_rules.get(c["_text"], ()):
                counts["cases: fp text equal to a tp text of the same rule (kept)"] += 1
        del c["_text"]

    elem_skips = {k[len("elements: "):]: v for k, v in counts.items() if k.startswith("elements: ")}
    func_skips = {k[len("functions: "):]: v for k, v in counts.items() if k.startswith("functions: ")}
    ntp = sum(c["label"] == "tp" for c in labels)
    meta = {"commit": commit, "source_repo": "trufflesecurity/trufflehog",
            "note": "trufflehog detector pattern tests, written as suite 'gitleaks' so score.py scores them",
            "rules": files_read, "test_files_scanned": len(tests),
            "pattern_functions": sum(func_skips.values()) - func_skips.get("table extended in code (those elements lost)", 0),
            "peer_rules": len({r for _, _, r, _ in results}),
            "skipped_elements": sum(elem_skips.values()),
            "skipped_elements_by_reason": dict(sorted(elem_skips.items(), key=lambda kv: -kv[1])),
            "functions": func_skips,
            "fp_is_tp_of_other_rule": sum(c["fp_is_tp_of_other_rule"] for c in labels),
            "fp_same_as_own_tp": counts["cases: fp text equal to a tp text of the same rule (kept)"]}
    with open(os.path.join(a.out, SUITE + ".labels.json"), "w") as fh:
        json.dump({"meta": meta, "cases": labels}, fh, indent=1)

    print("trufflehog@%s: %d detector test files read (of %d scanned), %d pattern functions with a table, "
          "%d cases (%d tp, %d fp; %d fp are a tp text of another detector)"
          % (commit[:12], files_read, len(tests), func_skips.get("with a table", 0), len(labels), ntp,
             len(labels) - ntp, meta["fp_is_tp_of_other_rule"]))
    print("pattern functions: " + ", ".join("%s: %d" % kv for kv in sorted(func_skips.items())))
    print("skipped elements: %d" % meta["skipped_elements"])
    for k, v in meta["skipped_elements_by_reason"].items():
        print("  %5d  %s" % (v, k))
    if a.verbose:
        for f, fname, why in skipped_where:
            print("  skip %s %s: %s" % (f, fname, why))
    print("wrote %s and %s" % (suite_dir, os.path.join(a.out, SUITE + ".labels.json")))


def read_blobs(mirror, paths):
    """{path: text} of HEAD:<path> for every path, through one `git cat-file --batch`."""
    req = "".join("HEAD:%s\n" % p for p in paths).encode()
    out = subprocess.run(["git", "--git-dir", mirror, "cat-file", "--batch"], input=req,
                         capture_output=True, check=True).stdout
    res, pos = {}, 0
    for p in paths:
        nl = out.index(b"\n", pos)
        header = out[pos:nl].split()
        if len(header) < 3 or header[1] != b"blob":
            raise SystemExit("git cat-file: %s: %s" % (p, out[pos:nl].decode(errors="replace")))
        size = int(header[2])
        res[p] = out[nl + 1:nl + 1 + size].decode("utf-8", "replace")
        pos = nl + 1 + size + 1
    return res


if __name__ == "__main__":
    main()

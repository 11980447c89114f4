#!/usr/bin/env python3
"""A strict reader of the Prometheus text exposition format (0.0.4).

  promparse.py FILE                 checks FILE, prints "N families, M samples"
  promparse.py FILE get NAME [L=V]  the value of the one sample of NAME with those labels
  promparse.py FILE families        the family names, one a line
Exits 1 naming the first line that breaks the format."""
import math
import re
import sys

NAME = re.compile(r"[a-zA-Z_:][a-zA-Z0-9_:]*")
LABEL = re.compile(r"[a-zA-Z_][a-zA-Z0-9_]*")
TYPES = {"counter", "gauge", "histogram", "summary", "untyped"}


def bad(n, line, why):
    sys.exit("line %d: %s: %r" % (n, why, line[:200]))


def parse_labels(n, line, s):
    """s starts after '{'; returns (labels, rest after '}')."""
    labels, i = {}, 0
    while True:
        if s[i:i + 1] == "}":
            return labels, s[i + 1:]
        m = LABEL.match(s, i)
        if not m:
            bad(n, line, "bad label name")
        key, i = m.group(0), m.end()
        if s[i:i + 2] != '="':
            bad(n, line, "label without =\"")
        i += 2
        val = []
        while True:
            if i >= len(s):
                bad(n, line, "unterminated label value")
            c = s[i]
            if c == "\\":
                e = s[i + 1:i + 2]
                if e not in ("\\", '"', "n"):
                    bad(n, line, "bad escape")
                val.append({"n": "\n"}.get(e, e))
                i += 2
            elif c == '"':
                i += 1
                break
            elif c == "\n":
                bad(n, line, "newline in label value")
            else:
                val.append(c)
                i += 1
        if key in labels:
            bad(n, line, "label repeated")
        labels[key] = "".join(val)
        if s[i:i + 1] == ",":
            i += 1
        elif s[i:i + 1] != "}":
            bad(n, line, "expected , or }")


def parse(path):
    data = open(path, encoding="utf-8").read()
    if data and not data.endswith("\n"):
        sys.exit("the file does not end with a newline")
    families, samples, cur, seen = {}, [], None, set()
    for n, line in enumerate(data.split("\n")[:-1], 1):
        if line.startswith("# HELP ") or line.startswith("# TYPE "):
            parts = line.split(" ", 3)
            if len(parts) < 4 or not NAME.fullmatch(parts[2]):
                bad(n, line, "bad comment")
            name = parts[2]
            if parts[1] == "TYPE":
                if parts[3] not in TYPES:
                    bad(n, line, "unknown type")
                if name in families:
                    bad(n, line, "family typed twice")
                if parts[3] == "counter" and not name.endswith("_total"):
                    bad(n, line, "a counter not ending in _total")
                families[name] = parts[3]
                cur = name
            continue
        if line.startswith("#") or not line:
            continue
        m = NAME.match(line)
        if not m:
            bad(n, line, "bad metric name")
        name, rest = m.group(0), line[m.end():]
        labels = {}
        if rest.startswith("{"):
            labels, rest = parse_labels(n, line, rest[1:])
        f = rest.split(" ")
        if len(f) not in (2, 3) or f[0] != "":
            bad(n, line, "expected ' value [timestamp]'")
        try:
            v = float(f[1])
        except ValueError:
            bad(n, line, "bad value")
        if len(f) == 3 and not re.fullmatch(r"-?\d+", f[2]):
            bad(n, line, "bad timestamp")
        if name != cur:
            bad(n, line, "sample outside its family's TYPE")
        if families[cur] == "counter" and (v < 0 or math.isnan(v)):
            bad(n, line, "a counter must be >= 0")
        key = (name, tuple(sorted(labels.items())))
        if key in seen:
            bad(n, line, "series repeated")
        seen.add(key)
        samples.append((name, labels, v))
    return families, samples


def main():
    families, samples = parse(sys.argv[1])
    if len(sys.argv) > 3 and sys.argv[2] == "get":
        want = dict(a.split("=", 1) for a in sys.argv[4:])
        hits = [v for (nm, l, v) in samples if nm == sys.argv[3] and l == want]
        if len(hits) != 1:
            sys.exit("%d samples of %s %s" % (len(hits), sys.argv[3], want))
        print("%d" % hits[0] if hits[0] == int(hits[0]) else hits[0])
    elif len(sys.argv) > 2 and sys.argv[2] == "families":
        print("\n".join(sorted(families)))
    else:
        print("%d families, %d samples" % (len(families), len(samples)))


main()

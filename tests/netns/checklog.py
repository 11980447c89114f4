#!/usr/bin/env python3
"""Checks a verdict log against the README's log format and answers questions about it.

  checklog.py LOG                      every line is one JSON object with its fields
  checklog.py LOG count KEY=VAL ...    prints how many verdict lines match all KEY=VAL
  checklog.py LOG events EVENT KEY=VAL ...  the same for lines of another event
  checklog.py LOG last EVENT           the last line of EVENT
  checklog.py LOG field EVENT PATH     a dotted PATH of the last line of EVENT
Exits 1 naming the first bad line."""
import ipaddress
import json
import re
import sys

TS = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$")
HOOKS = {"prerouting", "input", "forward", "output", "postrouting"}
REASONS = {"pass", "malformed", "nat-before-ipsec", "nat-changed-sp", "sp-miss-out",
           "sp-miss-in", "tmpl-mismatch", "no-sa", "mss-clamp", "unjudged", "bypass",
           "tunnel-down"}


def bad(n, line, why):
    sys.exit("line %d: %s: %s" % (n, why, line[:300]))


def check_verdict(n, line, o):
    for k in ("hook", "verdict", "reason"):
        if k not in o:
            bad(n, line, "missing " + k)
    # a queued packet names its queue, a kernel rule's copy its nflog group
    if ("queue" in o) == ("nflog" in o):
        bad(n, line, "wants exactly one of queue and nflog")
    if o["hook"] not in HOOKS:
        bad(n, line, "bad hook")
    if o["verdict"] not in ("accept", "drop"):
        bad(n, line, "bad verdict")
    if o["reason"] not in REASONS:
        bad(n, line, "bad reason")
    if o["reason"] == "malformed" and "family" not in o:
        return
    for k in ("family", "proto", "src", "dst"):
        if k not in o:
            bad(n, line, "missing " + k)
    if o["family"] not in (4, 6):
        bad(n, line, "bad family")
    for k in ("src", "dst", "nat_src", "nat_dst"):
        if k in o and ipaddress.ip_address(o[k]).version != o["family"]:
            bad(n, line, k + " not of the family")
    if o["proto"] in ("tcp", "udp") and ("sport" not in o or "dport" not in o):
        bad(n, line, "tcp/udp without ports")


def lines(path):
    with open(path) as f:
        for n, line in enumerate(f, 1):
            line = line.rstrip("\n")
            try:
                o = json.loads(line)
            except ValueError as e:
                bad(n, line, "not JSON (%s)" % e)
            if not isinstance(o, dict):
                bad(n, line, "not an object")
            if "ts" not in o or not TS.match(o["ts"]):
                bad(n, line, "bad ts")
            # every line names the gateway and the daemon (a fleet's collector)
            if not isinstance(o.get("host"), str) or not o.get("instance"):
                bad(n, line, "no host or instance")
            if o.get("event") == "verdict":
                check_verdict(n, line, o)
            elif "event" not in o:
                bad(n, line, "no event")
            yield o


def get(o, path):
    for part in path.split("."):
        o = o.get(part) if isinstance(o, dict) else None
    return o


def match(o, conds):
    for c in conds:
        k, v = c.split("=", 1)
        if str(get(o, k)) != v:
            return False
    return True


def main():
    path = sys.argv[1]
    objs = list(lines(path))
    if len(sys.argv) > 2 and sys.argv[2] == "count":
        print(sum(1 for o in objs if o.get("event") == "verdict" and match(o, sys.argv[3:])))
    elif len(sys.argv) > 3 and sys.argv[2] == "events":
        print(sum(1 for o in objs if o.get("event") == sys.argv[3] and match(o, sys.argv[4:])))
    elif len(sys.argv) > 2 and sys.argv[2] == "last":
        ev = [o for o in objs if o.get("event") == sys.argv[3]]
        print(json.dumps(ev[-1]) if ev else "")
    elif len(sys.argv) > 4 and sys.argv[2] == "field":
        ev = [o for o in objs if o.get("event") == sys.argv[3]]
        v = get(ev[-1], sys.argv[4]) if ev else None
        print("" if v is None else v)
    else:
        print("%d lines ok" % len(objs))


main()
